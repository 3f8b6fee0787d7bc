//! Tenant key management and Signal-style end-to-end encryption.
//!
//! - [`e2e`]: the end-to-end profile `caas-e2e-v1` (X3DH, the Double
//!   Ratchet, wire formats, safety numbers), a client-side [`e2e::Device`]
//!   with the prekey rotation policy, and [`e2e::Vault`] for sealed sessions.
//! - [`keys`]: the [`KeyManager`] — per-tenant key-encryption keys under a
//!   master key, data keys per purpose, per-subject keys for
//!   crypto-shredding, rotation with batched re-wrapping, and the
//!   [`keys::Rewrapper`] that finishes re-wrapping in the background.
//! - [`prekeys`] and [`mailbox`]: the server side of E2E — public device
//!   keys with one-time prekeys claimed at most once, and ciphertexts waiting
//!   for devices. `caas-server` serves them over HTTP.
//!
//! It depends only on `caas-core`; see DESIGN.md.

pub mod e2e;
mod error;
pub mod keys;
pub mod mailbox;
mod migrations;
pub mod prekeys;
mod subject;

pub use self::error::{Error, Result};

/// The events caas-crypto publishes (with a bus configured).
pub static EVENTS: &[caas_core::EventType] = &[
    caas_core::EventType::new(
        "keys.rotated",
        "the tenant key was rotated (its data keys are re-wrapped next)",
    ),
    caas_core::EventType::new(
        "keys.rewrapped",
        "every data and subject key is wrapped by the current tenant key",
    ),
    caas_core::EventType::new(
        "e2e.identity.changed",
        "a device replaced its identity key: its contacts' safety numbers changed",
    ),
    caas_core::EventType::new("e2e.device.reset", "a device's keys were reset"),
];
pub use self::keys::{KeyManager, MasterKey, SqlKeyManager};
pub use self::mailbox::Mailbox;
pub use self::migrations::MIGRATIONS;
pub use self::prekeys::PrekeyStore;
pub use self::subject::E2eSource;
