//! Prekey distribution: devices publish their identity key, signed prekey
//! and one-time prekeys; anyone of the tenant may fetch a user's bundles.
//! The server only ever holds public keys.
//!
//! Each one-time prekey is handed out at most once, also under concurrent
//! fetches against several server instances: a fetch claims a key by
//! deleting it (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has a single
//! writer), so two fetches never get the same key.

mod store;

pub(crate) use self::store::check_id;
pub use self::store::{DeviceBundle, DeviceKeys, MAX_STORED, MAX_UPLOAD, PrekeyStore, Published};
