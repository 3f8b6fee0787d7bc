//! The platform admin key: an [`Authenticator`] for `Authorization: Bearer
//! caas_admin_…`, and how the key comes to exist (its table is caas-auth's
//! migration 30_011).
//!
//! The key is either configured (`--admin-key` / `CAAS_ADMIN_KEY`) or
//! generated on the first start against an empty database, stored as a
//! SHA-256 hash and printed once. It is a 256-bit random value, so a fast
//! hash is enough (a slow one would only slow every admin call); it is
//! compared in constant time.

use async_trait::async_trait;
use caas_core::sql::{Scalar, query};
use caas_core::{
    AuthContext, Authenticator, Credential, Db, Error, Principal, PrincipalKind, Result,
    SecretString, SharedClock,
};
use subtle::ConstantTimeEq;

use crate::opaque;

/// The prefix of generated admin keys.
pub const PREFIX: &str = "caas_admin_";

/// The role the admin principal carries.
pub const ADMIN_ROLE: &str = "platform_admin";

/// The subject of the admin principal.
pub const ADMIN_SUBJECT: &str = "platform-admin";

/// The row id of the stored key (there is one).
const ROW: &str = "primary";

/// Authenticates the platform admin key.
#[derive(Clone)]
pub struct AdminKeyAuthenticator {
    hash: [u8; 32],
}

impl std::fmt::Debug for AdminKeyAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKeyAuthenticator")
    }
}

/// The principal of the platform admin.
pub fn admin_principal() -> Principal {
    Principal::new(ADMIN_SUBJECT, None, PrincipalKind::Service).with_role(ADMIN_ROLE)
}

fn hash(key: &str) -> [u8; 32] {
    opaque::digest_bytes(key)
}

/// A new random admin key: the prefix and 32 random bytes, base64url.
pub fn generate() -> SecretString {
    SecretString::new(opaque::token(PREFIX))
}

impl AdminKeyAuthenticator {
    /// Accepts exactly `key`.
    pub fn for_key(key: &SecretString) -> Self {
        AdminKeyAuthenticator {
            hash: hash(key.expose()),
        }
    }

    /// The configured key if there is one; otherwise the stored key, and on
    /// an empty database a new one. The second value is the new key, to be
    /// shown to the operator once; it is `None` unless this call created it.
    pub async fn bootstrap(
        db: &Db,
        clock: &SharedClock,
        configured: Option<&SecretString>,
    ) -> Result<(Self, Option<SecretString>)> {
        if let Some(key) = configured {
            return Ok((Self::for_key(key), None));
        }
        if let Some(stored) = load(db).await? {
            return Ok((AdminKeyAuthenticator { hash: stored }, None));
        }
        let key = generate();
        let inserted = query(
            "INSERT INTO caas_admin_keys (id, key_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(ROW)
        .bind(hash(key.expose()).to_vec())
        .bind(clock.now())
        .execute(db)
        .await?;
        if inserted == 1 {
            return Ok((Self::for_key(&key), Some(key)));
        }
        // Another instance generated it at the same moment; it printed it.
        let stored = load(db)
            .await?
            .ok_or_else(|| Error::internal("the admin key vanished while it was created"))?;
        Ok((AdminKeyAuthenticator { hash: stored }, None))
    }

    /// Replaces the stored key with a new one and returns it (to print once).
    /// Running servers keep accepting the old key until restarted.
    pub async fn reset(db: &Db, clock: &SharedClock) -> Result<SecretString> {
        let key = generate();
        query(
            "INSERT INTO caas_admin_keys (id, key_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET key_hash = $2, created_at = $3",
        )
        .bind(ROW)
        .bind(hash(key.expose()).to_vec())
        .bind(clock.now())
        .execute(db)
        .await?;
        Ok(key)
    }
}

async fn load(db: &Db) -> Result<Option<[u8; 32]>> {
    let row: Option<Scalar<Vec<u8>>> = query("SELECT key_hash FROM caas_admin_keys WHERE id = $1")
        .bind(ROW)
        .fetch_optional(db)
        .await?;
    row.map(|Scalar(bytes)| {
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| Error::internal("the stored admin key hash is corrupt"))
    })
    .transpose()
}

#[async_trait]
impl Authenticator for AdminKeyAuthenticator {
    fn name(&self) -> &'static str {
        "admin_key"
    }

    async fn authenticate(
        &self,
        credential: &Credential,
        _context: AuthContext<'_>,
    ) -> Result<Option<Principal>> {
        let secret = credential.secret();
        if bool::from(hash(secret).ct_eq(&self.hash)) {
            return Ok(Some(admin_principal()));
        }
        if secret.starts_with(PREFIX) {
            return Err(Error::invalid_token("the admin key is not valid"));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_exact_key_is_accepted() {
        let key = generate();
        assert!(key.expose().starts_with(PREFIX) && key.expose().len() == PREFIX.len() + 43);
        let auth = AdminKeyAuthenticator::for_key(&key);
        let ctx = AuthContext::default();
        let ok = auth
            .authenticate(&Credential::Bearer(key.clone()), ctx)
            .await
            .unwrap()
            .unwrap();
        assert!(ok.has_role(ADMIN_ROLE) && ok.tenant.is_none());
        let other = generate();
        let e = auth
            .authenticate(&Credential::Bearer(other), ctx)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_token");
        let foreign = Credential::Bearer(SecretString::from("eyJhbGciOi.a.b"));
        assert!(auth.authenticate(&foreign, ctx).await.unwrap().is_none());
    }

    #[test]
    fn generated_keys_differ_and_do_not_print() {
        let (a, b) = (generate(), generate());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(format!("{a:?}"), "[redacted]");
    }
}
