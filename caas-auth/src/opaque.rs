//! Opaque secrets (refresh tokens, tickets, API keys, client secrets, …):
//! 256 random bits in base64url behind a prefix, stored and looked up only as
//! SHA-256 hex, and compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `prefix` followed by 256 random bits in base64url (43 characters).
pub(crate) fn token(prefix: &str) -> String {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    rand::fill(&mut bytes[..]);
    format!("{prefix}{}", B64.encode(&bytes[..]))
}

/// The SHA-256 of `secret` in hex: what is stored, never the secret.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(digest_bytes(secret))
}

/// The SHA-256 of `secret` as bytes (for tables that store it raw).
pub(crate) fn digest_bytes(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `presented` hashes to `stored`, in constant time; `None` (an
/// unknown record) is compared against a dummy so both take the same path.
pub(crate) fn matches(stored: Option<&str>, presented: &str) -> bool {
    let dummy = "0".repeat(64);
    let stored = stored.unwrap_or(&dummy);
    let same: bool = stored.as_bytes().ct_eq(digest(presented).as_bytes()).into();
    same && stored != dummy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_matches() {
        let (a, b) = (token("x_"), token("x_"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 2 + 43);
        assert!(matches(Some(&digest(&a)), &a));
        assert!(!matches(Some(&digest(&a)), &b));
        assert!(!matches(None, &a));
    }
}
