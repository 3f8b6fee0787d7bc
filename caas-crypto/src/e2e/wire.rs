//! Wire formats of profile `caas-e2e-v1`, each starting with a version byte.
//!
//! ```text
//! Message        = 0x01 ‖ 0x02 ‖ header (40) ‖ ciphertext
//! PrekeyMessage  = 0x01 ‖ 0x01 ‖ IK_A (32) ‖ EK_A (32) ‖ SPK id (u32 BE)
//!                  ‖ OPK flag (0x00 | 0x01) ‖ OPK id (u32 BE, 0 without OPK)
//!                  ‖ header (40) ‖ ciphertext
//! header         = ratchet public key (32) ‖ PN (u32 BE) ‖ N (u32 BE)
//! ```
//! The ciphertext is ChaCha20-Poly1305 output (plaintext ‖ 16-byte tag).

use super::keys::IdentityKey;
use super::ratchet::Header;
use crate::{Error, Result};

/// The profile's wire version.
pub const VERSION: u8 = 0x01;
const KIND_PREKEY: u8 = 0x01;
const KIND_MESSAGE: u8 = 0x02;

/// A ratchet message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its header.
    pub header: Header,
    /// Its ciphertext.
    pub ciphertext: Vec<u8>,
}

/// The first message to a device: what Bob needs to run X3DH, and the
/// first ratchet message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrekeyMessage {
    /// Alice's identity key.
    pub identity: IdentityKey,
    /// Alice's ephemeral public key.
    pub ephemeral: [u8; 32],
    /// The id of Bob's signed prekey Alice used.
    pub signed_prekey_id: u32,
    /// The id of Bob's one-time prekey Alice used, if any.
    pub one_time_prekey_id: Option<u32>,
    /// The first ratchet message.
    pub message: Message,
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    bytes
        .get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or(Error::Malformed("message"))
}

impl Message {
    /// Encodes the message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + Header::LEN + self.ciphertext.len());
        out.extend_from_slice(&[VERSION, KIND_MESSAGE]);
        out.extend_from_slice(&self.header.to_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Decodes a message.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        match bytes {
            [VERSION, KIND_MESSAGE, rest @ ..] => Self::body(rest),
            [VERSION, ..] => Err(Error::Malformed("message")),
            [v, ..] => Err(Error::Version(*v)),
            [] => Err(Error::Malformed("message")),
        }
    }

    fn body(rest: &[u8]) -> Result<Self> {
        if rest.len() < Header::LEN + 16 {
            return Err(Error::Malformed("message"));
        }
        Ok(Message {
            header: Header::from_bytes(&rest[..Header::LEN])?,
            ciphertext: rest[Header::LEN..].to_vec(),
        })
    }
}

impl PrekeyMessage {
    /// Encodes the message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(75 + Header::LEN + self.message.ciphertext.len());
        out.extend_from_slice(&[VERSION, KIND_PREKEY]);
        out.extend_from_slice(&self.identity.to_bytes());
        out.extend_from_slice(&self.ephemeral);
        out.extend_from_slice(&self.signed_prekey_id.to_be_bytes());
        out.push(u8::from(self.one_time_prekey_id.is_some()));
        out.extend_from_slice(&self.one_time_prekey_id.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&self.message.header.to_bytes());
        out.extend_from_slice(&self.message.ciphertext);
        out
    }

    /// Decodes a message.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let rest = match bytes {
            [VERSION, KIND_PREKEY, rest @ ..] => rest,
            [VERSION, ..] | [] => return Err(Error::Malformed("prekey message")),
            [v, ..] => return Err(Error::Version(*v)),
        };
        if rest.len() < 73 {
            return Err(Error::Malformed("prekey message"));
        }
        let mut ik = [0u8; 32];
        ik.copy_from_slice(&rest[..32]);
        let mut ephemeral = [0u8; 32];
        ephemeral.copy_from_slice(&rest[32..64]);
        let signed_prekey_id = u32_at(rest, 64)?;
        let one_time_prekey_id = match rest[68] {
            0 => None,
            1 => Some(u32_at(rest, 69)?),
            _ => return Err(Error::Malformed("prekey message")),
        };
        Ok(PrekeyMessage {
            identity: IdentityKey::from_bytes(&ik)?,
            ephemeral,
            signed_prekey_id,
            one_time_prekey_id,
            message: Message::body(&rest[73..])?,
        })
    }
}
