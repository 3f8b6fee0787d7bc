//! The E2E mailbox: opaque ciphertexts addressed to a user's devices, held
//! until the device acknowledges them or their time to live ends. The server
//! never sees a plaintext.

mod store;

pub use self::store::{Address, MAX_CIPHERTEXT, MAX_TTL, Mailbox, StoredMessage, ttl_seconds};
