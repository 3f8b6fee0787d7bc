//! XChaCha20-Poly1305 with random 24-byte nonces and associated data that
//! names what a ciphertext is for, so it cannot be moved elsewhere.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Nonce length.
pub(crate) const NONCE: usize = 24;

/// Associated data: a domain label and length-prefixed fields.
pub(crate) fn aad(domain: &str, fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"caas-kms-v1\0");
    out.extend_from_slice(domain.as_bytes());
    for f in fields {
        out.extend_from_slice(&u32::try_from(f.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// `nonce (24) ‖ ciphertext ‖ tag`.
pub(crate) fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| Error::Malformed("key"))?;
    let mut nonce = [0u8; NONCE];
    rand::fill(&mut nonce[..]);
    let ct = cipher
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::Malformed("plaintext too long"))?;
    let mut out = Vec::with_capacity(NONCE + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens what [`seal`] made.
pub(crate) fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE + 16 {
        return Err(Error::Malformed("ciphertext"));
    }
    let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| Error::Malformed("key"))?;
    let nonce: &[u8; NONCE] = sealed[..NONCE]
        .try_into()
        .map_err(|_| Error::Malformed("ciphertext"))?;
    cipher
        .decrypt(
            nonce.into(),
            Payload {
                msg: &sealed[NONCE..],
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::Undecryptable)
}

/// Opens a wrapped 32-byte key.
pub(crate) fn unwrap_key(
    kek: &[u8; 32],
    aad: &[u8],
    wrapped: &[u8],
) -> Result<Zeroizing<[u8; 32]>> {
    let bytes = open(kek, aad, wrapped)?;
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(Error::Malformed("wrapped key"));
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_associated_data() {
        let key = [5u8; 32];
        let a = aad("data", &[b"tenant-a", b"profile"]);
        let sealed = seal(&key, &a, b"secret").unwrap();
        assert_eq!(&open(&key, &a, &sealed).unwrap()[..], b"secret");
        let b = aad("data", &[b"tenant-b", b"profile"]);
        assert_eq!(open(&key, &b, &sealed).unwrap_err(), Error::Undecryptable);
        assert_eq!(
            open(&[6u8; 32], &a, &sealed).unwrap_err(),
            Error::Undecryptable
        );
        // Length prefixes keep field boundaries: ("ab","c") differs from ("a","bc").
        assert_ne!(aad("d", &[b"ab", b"c"]), aad("d", &[b"a", b"bc"]));
        // Nonces are random: sealing twice differs.
        assert_ne!(seal(&key, &a, b"secret").unwrap(), sealed);
    }
}
