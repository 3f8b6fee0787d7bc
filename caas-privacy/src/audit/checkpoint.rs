//! Signed checkpoints in the C2SP forms (`c2sp.org/tlog-checkpoint` inside a
//! `c2sp.org/signed-note`, Ed25519): the body is
//!
//! ```text
//! <origin>
//! <size>
//! <base64 root hash>
//! ```
//!
//! followed by a blank line and one line `— <key name> <base64(key hash ‖
//! signature)>`, where the key hash is the first 4 bytes of
//! `SHA-256(key name ‖ "\n" ‖ 0x01 ‖ public key)`. A verifier key is written
//! `<key name>+<hex key hash>+<base64(0x01 ‖ public key)>` (the vkey form
//! of `golang.org/x/mod/sumdb/note`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::merkle::Hash;

const ED25519: u8 = 0x01;
const DASH: &str = "\u{2014} ";

/// A tree head: origin, size and root.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log's name, e.g. `caas/audit/<tenant id>`.
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The root hash, hex.
    #[serde(with = "hex32")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

/// Why a signed checkpoint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The text is not a signed note with a checkpoint body.
    #[error("not a signed checkpoint: {0}")]
    Malformed(&'static str),
    /// The verifier key is not `<name>+<hex hash>+<base64 key>` for Ed25519.
    #[error("not an Ed25519 verifier key: {0}")]
    BadKey(&'static str),
    /// No signature line is by the given key.
    #[error("the checkpoint has no signature by key `{0}`")]
    NoSignature(String),
    /// The signature by the key does not verify.
    #[error("the signature by key `{0}` does not verify")]
    BadSignature(String),
}

impl Checkpoint {
    /// The note body (ends with a newline).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// The signed note: the body, a blank line and the signature by `key`
    /// under the name [`origin`](Checkpoint::origin).
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let signature = key.sign(body.as_bytes());
        let mut blob = key_hash(&self.origin, &key.verifying_key()).to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!("{body}\n{DASH}{} {}\n", self.origin, B64.encode(blob))
    }

    /// Parses a checkpoint body (`origin`, `size`, `root`; extension lines
    /// are allowed and ignored).
    pub fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(CheckpointError::Malformed("no origin line"))?;
        let size = lines
            .next()
            .and_then(|s| {
                (!s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && !(s.len() > 1 && s.starts_with('0')))
                .then(|| s.parse::<u64>().ok())
                .flatten()
            })
            .ok_or(CheckpointError::Malformed(
                "the size is not a decimal number",
            ))?;
        let root = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| Hash::try_from(r.as_slice()).ok())
            .ok_or(CheckpointError::Malformed(
                "the root is not a base64 SHA-256 hash",
            ))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// The 4-byte key hash of an Ed25519 key named `name`.
pub fn key_hash(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key text of `key` named `name`.
pub fn verifier_key(name: &str, key: &VerifyingKey) -> String {
    let mut blob = vec![ED25519];
    blob.extend_from_slice(key.as_bytes());
    format!(
        "{name}+{}+{}",
        hex::encode(key_hash(name, key)),
        B64.encode(blob)
    )
}

fn parse_verifier_key(vkey: &str) -> Result<(String, [u8; 4], VerifyingKey), CheckpointError> {
    // The key is base64, which may itself hold `+`: split twice only.
    let mut parts = vkey.trim().splitn(3, '+');
    let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CheckpointError::BadKey(
            "expected three `+`-separated parts",
        ));
    };
    let mut id = [0u8; 4];
    hex::decode_to_slice(hash, &mut id).map_err(|_| CheckpointError::BadKey("bad key hash"))?;
    let blob = B64
        .decode(key)
        .map_err(|_| CheckpointError::BadKey("the key is not base64"))?;
    let (Some(&ED25519), Ok(raw)) = (
        blob.first(),
        <[u8; 32]>::try_from(&blob[1.min(blob.len())..]),
    ) else {
        return Err(CheckpointError::BadKey(
            "not an Ed25519 key (type 0x01, 32 bytes)",
        ));
    };
    let key =
        VerifyingKey::from_bytes(&raw).map_err(|_| CheckpointError::BadKey("not a valid point"))?;
    if key_hash(name, &key) != id {
        return Err(CheckpointError::BadKey(
            "the key hash does not match the name and key",
        ));
    }
    Ok((name.to_owned(), id, key))
}

/// Verifies a signed checkpoint note with the verifier key `vkey` (see
/// [`verifier_key`]) and returns the checkpoint. The origin must equal the
/// key's name.
pub fn verify_signed(note: &str, vkey: &str) -> Result<Checkpoint, CheckpointError> {
    let (name, id, key) = parse_verifier_key(vkey)?;
    let (body, signatures) = note.split_once("\n\n").ok_or(CheckpointError::Malformed(
        "no blank line before the signatures",
    ))?;
    let body = format!("{body}\n");
    let checkpoint = Checkpoint::parse_body(&body)?;
    if checkpoint.origin != name {
        return Err(CheckpointError::Malformed(
            "the origin is not the key's name",
        ));
    }
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix(DASH) else {
            return Err(CheckpointError::Malformed(
                "a signature line does not start with `— `",
            ));
        };
        let Some((signer, blob)) = rest.rsplit_once(' ') else {
            return Err(CheckpointError::Malformed(
                "a signature line has no signature",
            ));
        };
        let Ok(blob) = B64.decode(blob) else {
            return Err(CheckpointError::Malformed("a signature is not base64"));
        };
        if signer != name || blob.len() != 4 + 64 || blob[..4] != id {
            continue;
        }
        let signature = Signature::from_slice(&blob[4..])
            .map_err(|_| CheckpointError::BadSignature(name.clone()))?;
        return key
            .verify(body.as_bytes(), &signature)
            .map(|()| checkpoint)
            .map_err(|_| CheckpointError::BadSignature(name.clone()));
    }
    Err(CheckpointError::NoSignature(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_and_tamper() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let cp = Checkpoint {
            origin: "caas/audit/t1".into(),
            size: 5,
            root: [9; 32],
        };
        let note = cp.sign(&key);
        assert!(note.starts_with("caas/audit/t1\n5\nCQkJ"));
        let vkey = verifier_key(&cp.origin, &key.verifying_key());
        assert_eq!(verify_signed(&note, &vkey).unwrap(), cp);
        let forged = note.replacen("\n5\n", "\n6\n", 1);
        assert!(matches!(
            verify_signed(&forged, &vkey),
            Err(CheckpointError::BadSignature(_))
        ));
        let other = verifier_key(
            &cp.origin,
            &SigningKey::from_bytes(&[8; 32]).verifying_key(),
        );
        let got = verify_signed(&note, &other);
        assert!(
            matches!(got, Err(CheckpointError::NoSignature(_))),
            "{got:?}"
        );
    }
}
