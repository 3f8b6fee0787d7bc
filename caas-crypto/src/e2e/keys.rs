//! Identity keys (Ed25519, also used for X25519 in Montgomery form) and
//! X25519 key pairs for prekeys, ephemeral and ratchet keys.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// 32 random bytes from the operating system's CSPRNG (via the thread RNG).
pub(crate) fn random32() -> Zeroizing<[u8; 32]> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::fill(&mut bytes[..]);
    bytes
}

/// A long-term identity: an Ed25519 key pair from a 32-byte seed.
#[derive(Clone)]
pub struct IdentityKeyPair {
    signing: SigningKey,
}

impl std::fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityKeyPair")
            .field("public", &hex::encode(self.public().to_bytes()))
            .finish_non_exhaustive()
    }
}

impl IdentityKeyPair {
    /// A new random identity.
    pub fn generate() -> Self {
        Self::from_seed(&random32())
    }

    /// The identity with this 32-byte Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        IdentityKeyPair {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The seed (secret; zeroized when dropped).
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public identity key.
    pub fn public(&self) -> IdentityKey {
        IdentityKey(self.signing.verifying_key())
    }

    /// A standard Ed25519 signature over `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The X25519 secret of the identity: the first half of SHA-512(seed),
    /// clamped by X25519 itself.
    pub(crate) fn dh_secret(&self) -> StaticSecret {
        let mut scalar = self.signing.to_scalar_bytes();
        let secret = StaticSecret::from(scalar);
        zeroize::Zeroize::zeroize(&mut scalar);
        secret
    }
}

/// A public identity key (Ed25519).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentityKey(VerifyingKey);

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentityKey({})", hex::encode(self.to_bytes()))
    }
}

impl IdentityKey {
    /// From `Encode(IK)`: the 32 raw bytes of the Ed25519 public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        VerifyingKey::from_bytes(bytes)
            .map(IdentityKey)
            .map_err(|_| Error::Malformed("identity key"))
    }

    /// `Encode(IK)`.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Verifies a standard Ed25519 signature (strictly: no malleable forms).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        self.0
            .verify_strict(message, &Signature::from_bytes(signature))
            .map_err(|_| Error::BadSignature)
    }

    /// The identity key in Montgomery form, for X25519 (the birational map).
    pub(crate) fn dh_public(&self) -> PublicKey {
        PublicKey::from(self.0.to_montgomery().to_bytes())
    }
}

/// An X25519 key pair (prekeys, ephemeral and ratchet keys).
#[derive(Clone)]
pub struct KeyPair {
    secret: StaticSecret,
    public: PublicKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair(public {})", hex::encode(self.public.as_bytes()))
    }
}

impl KeyPair {
    /// A new random key pair.
    pub fn generate() -> Self {
        Self::from_private(&random32())
    }

    /// The key pair of this 32-byte X25519 private key.
    pub fn from_private(private: &[u8; 32]) -> Self {
        let secret = StaticSecret::from(*private);
        let public = PublicKey::from(&secret);
        KeyPair { secret, public }
    }

    /// The private key bytes (secret; zeroized when dropped).
    pub fn private(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// `Encode(PK)`: the 32 raw bytes of the public key.
    pub fn public(&self) -> [u8; 32] {
        self.public.to_bytes()
    }

    pub(crate) fn secret(&self) -> &StaticSecret {
        &self.secret
    }
}

/// X25519, refusing an all-zero output (a low-order public key).
pub(crate) fn dh(secret: &StaticSecret, public: &PublicKey) -> Result<Zeroizing<[u8; 32]>> {
    let shared = secret.diffie_hellman(public);
    if !shared.was_contributory() {
        return Err(Error::WeakKey);
    }
    Ok(Zeroizing::new(shared.to_bytes()))
}

/// Reads a 32-byte X25519 public key.
pub(crate) fn public_key(bytes: &[u8; 32]) -> PublicKey {
    PublicKey::from(*bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_dh_keys_match_across_the_birational_map() {
        let a = IdentityKeyPair::from_seed(&[7; 32]);
        let b = KeyPair::from_private(&[9; 32]);
        // DH(IK_a secret, B) == DH(b, IK_a public in Montgomery form).
        let left = dh(&a.dh_secret(), &public_key(&b.public())).unwrap();
        let right = dh(b.secret(), &a.public().dh_public()).unwrap();
        assert_eq!(*left, *right);
    }

    #[test]
    fn low_order_points_are_refused() {
        let a = KeyPair::from_private(&[3; 32]);
        assert_eq!(dh(a.secret(), &public_key(&[0; 32])), Err(Error::WeakKey));
    }

    #[test]
    fn signatures_verify_only_for_their_message() {
        let id = IdentityKeyPair::from_seed(&[1; 32]);
        let sig = id.sign(b"spk");
        id.public().verify(b"spk", &sig).unwrap();
        assert_eq!(id.public().verify(b"spK", &sig), Err(Error::BadSignature));
    }
}
