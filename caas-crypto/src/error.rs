//! Errors of caas-crypto.

use caas_core::ErrorKind;

/// What can go wrong in caas-crypto.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that should be a key, signature, message or session are malformed.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A signature did not verify.
    #[error("the signature of the signed prekey does not verify")]
    BadSignature,
    /// A Diffie-Hellman result was all zeros (a low-order public key).
    #[error("a public key is of low order")]
    WeakKey,
    /// A message did not authenticate (tampered, replayed or not for this session).
    #[error("the message cannot be decrypted")]
    Undecryptable,
    /// A message is too far ahead of its chain.
    #[error("the message is {ahead} messages ahead of its chain; at most {max} may be skipped")]
    TooFarAhead {
        /// How far ahead.
        ahead: u64,
        /// The limit.
        max: u32,
    },
    /// The session cannot send yet (the responder must receive first).
    #[error("this session cannot send before it has received a message")]
    NotReady,
    /// The key of this data was destroyed on purpose (crypto-shredding): it
    /// can never be decrypted again.
    #[error("the data was erased: its key was destroyed")]
    Erased,
    /// No key exists for this ciphertext (wrong tenant, purpose or version).
    #[error("no key for this ciphertext")]
    UnknownKey,
    /// A wire format version this implementation does not know.
    #[error("unsupported version {0}")]
    Version(u8),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for caas_core::Error {
    fn from(e: Error) -> Self {
        let kind = match e {
            Error::Malformed(_)
            | Error::BadSignature
            | Error::WeakKey
            | Error::Undecryptable
            | Error::TooFarAhead { .. }
            | Error::Version(_) => ErrorKind::InvalidInput,
            Error::NotReady => ErrorKind::Conflict,
            Error::Erased | Error::UnknownKey => ErrorKind::NotFound,
        };
        let error = caas_core::Error::new(kind, e.to_string());
        match e {
            Error::Erased => error.with_code("erased"),
            _ => error,
        }
    }
}
