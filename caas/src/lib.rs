#![doc = include_str!("../README.md")]

pub mod backends;
mod background;
pub mod config;
mod federation;
pub mod master_key;
#[cfg(feature = "openapi")]
pub mod openapi;
mod platform;
pub mod provision;
pub mod remote;
mod tenants;
mod wiring;

pub use self::backends::Backends;
pub use self::background::Background;
pub use self::config::{AuthConfig, PlatformConfig, WebhookConfig};
pub use self::platform::Platform;
pub use self::provision::Provisioners;
pub use self::tenants::{FirstAdmin, SETTINGS_SECTIONS};

// The crates, so a user depends on `caas` alone.
pub use caas_auth as auth;
pub use caas_authz as authz;
pub use caas_core as core;
pub use caas_crypto as crypto;
pub use caas_game as game;
pub use caas_privacy as privacy;
pub use caas_webhooks as webhooks;
