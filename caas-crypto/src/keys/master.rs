//! The platform master key: 32 random bytes that wrap every tenant key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::e2e::random32;
use crate::{Error, Result};

/// The platform master key (zeroized on drop, never printed).
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// A new random master key.
    pub fn generate() -> Self {
        MasterKey(random32())
    }

    /// From its text form: 64 hex digits or standard base64 of 32 bytes
    /// (surrounding whitespace ignored, as in a key file).
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bytes = Zeroizing::new(if text.len() == 64 {
            hex::decode(text).map_err(|_| Error::Malformed("master key"))?
        } else {
            STANDARD
                .decode(text)
                .map_err(|_| Error::Malformed("master key"))?
        });
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(Error::Malformed("master key (expected 32 bytes)"));
        }
        key.copy_from_slice(&bytes);
        Ok(MasterKey(key))
    }

    /// The text form (base64); secret.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(&self.0[..]))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_keys_round_trip_and_bad_ones_are_refused() {
        let k = MasterKey::generate();
        let again = MasterKey::parse(&format!("  {}\n", k.to_text().as_str())).unwrap();
        assert_eq!(again.bytes(), k.bytes());
        assert!(MasterKey::parse(&hex::encode([1u8; 32])).is_ok());
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
        assert!(MasterKey::parse("not a key").is_err());
        assert_eq!(format!("{k:?}"), "MasterKey([redacted])");
    }
}
