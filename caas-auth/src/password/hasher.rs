//! [`PasswordHasher`]: argon2id with OWASP's parameters, PHC strings, and
//! rehash detection when the parameters change.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};
use caas_core::{Error, Result};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for HashParams {
    /// OWASP's argon2id recommendation (Password Storage Cheat Sheet):
    /// m = 19 MiB, t = 2, p = 1.
    fn default() -> Self {
        HashParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// What verifying a password found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The password is right and the hash uses the current parameters.
    Ok,
    /// The password is right; store this new hash (current parameters).
    Rehash(String),
    /// The password is wrong.
    Wrong,
}

/// Hashes and verifies passwords with argon2id.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password, verified against when a user does not
    /// exist so that the answer takes as long as for a wrong password.
    dummy: String,
}

impl PasswordHasher {
    /// A hasher with `params`.
    pub fn new(params: HashParams) -> Result<Self> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| Error::invalid_input(format!("argon2id parameters: {e}")))?;
        let mut hasher = PasswordHasher {
            params,
            dummy: String::new(),
        };
        let mut random = [0u8; 24];
        rand::fill(&mut random[..]);
        hasher.dummy = hasher.hash(&hex::encode(random))?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of `password` under a fresh 16-byte salt.
    pub fn hash(&self, password: &str) -> Result<String> {
        use argon2::PasswordHasher as _;
        let mut salt = [0u8; 16];
        rand::fill(&mut salt[..]);
        let hash = self
            .argon2()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| Error::internal(format!("cannot hash a password: {e}")))?;
        Ok(hash.to_string())
    }

    /// Verifies `password` against `stored` (constant time in the hash
    /// comparison); asks for a rehash when `stored` used other parameters.
    pub fn verify(&self, password: &str, stored: &str) -> Result<Verified> {
        let parsed = PasswordHash::new(stored)
            .map_err(|_| Error::internal("a stored password hash is not a PHC string"))?;
        // The parameters in the hash are used, whatever the current ones are.
        match self.argon2().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => {}
            Err(argon2::password_hash::Error::PasswordInvalid) => return Ok(Verified::Wrong),
            Err(e) => return Err(Error::internal(format!("cannot verify a password: {e}"))),
        }
        let current = Params::try_from(&parsed).ok().is_some_and(|p| {
            p.m_cost() == self.params.m_cost()
                && p.t_cost() == self.params.t_cost()
                && p.p_cost() == self.params.p_cost()
        }) && parsed.algorithm.as_str() == "argon2id";
        if current {
            Ok(Verified::Ok)
        } else {
            Ok(Verified::Rehash(self.hash(password)?))
        }
    }

    /// Spends the time of one verification, for a login whose user does not
    /// exist (no user enumeration by timing).
    pub fn verify_nothing(&self, password: &str) {
        let _ = self.verify(password, &self.dummy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = PasswordHasher::new(cheap()).unwrap();
        let stored = h.hash("correct horse battery staple").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        assert_eq!(
            h.verify("correct horse battery staple", &stored).unwrap(),
            Verified::Ok
        );
        assert_eq!(
            h.verify("correct horse battery stapl", &stored).unwrap(),
            Verified::Wrong
        );
        assert_ne!(h.hash("x").unwrap(), h.hash("x").unwrap(), "salted");
    }

    #[test]
    fn new_parameters_ask_for_a_rehash() {
        let old = PasswordHasher::new(cheap()).unwrap();
        let stored = old.hash("pw-1234567").unwrap();
        let new = PasswordHasher::new(HashParams {
            memory_kib: 128,
            ..cheap()
        })
        .unwrap();
        let Verified::Rehash(again) = new.verify("pw-1234567", &stored).unwrap() else {
            panic!("expected a rehash");
        };
        assert!(again.contains("m=128"));
        assert_eq!(new.verify("pw-1234567", &again).unwrap(), Verified::Ok);
        assert_eq!(new.verify("wrong", &stored).unwrap(), Verified::Wrong);
    }

    #[test]
    fn the_default_is_owasps() {
        assert_eq!(
            HashParams::default(),
            HashParams {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert!(
            PasswordHasher::new(cheap())
                .unwrap()
                .verify("x", "not a hash")
                .is_err()
        );
    }
}
