//! Tenant key management and Signal-style end-to-end encryption.
//!
//! Built so far: [`e2e`], the end-to-end profile `caas-e2e-v1` (X3DH, the
//! Double Ratchet, wire formats, safety numbers), and [`keys`], the
//! [`KeyManager`] (per-tenant key-encryption keys under a master key, data
//! keys per purpose, per-subject keys for crypto-shredding, rotation). Still
//! to come (issue 4): the master key in the server (`keys init`), background
//! re-wrapping, and prekey distribution and the mailbox behind the server.
//! It depends only on `caas-core`; see DESIGN.md.

pub mod e2e;
mod error;
pub mod keys;
pub mod mailbox;
mod migrations;
pub mod prekeys;

pub use self::error::{Error, Result};
pub use self::keys::{KeyManager, MasterKey, SqlKeyManager};
pub use self::mailbox::Mailbox;
pub use self::migrations::MIGRATIONS;
pub use self::prekeys::PrekeyStore;
