#![doc = include_str!("../README.md")]
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
