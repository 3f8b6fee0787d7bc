//! [`AuthSettings`]: a tenant's authentication choices, kept in its settings
//! under `extensions.auth`.

use caas_core::{Result, TenantSettings};
use serde::{Deserialize, Serialize};

use crate::tokens::TokenFormat;

/// A tenant's authentication settings (all off or at their defaults when
/// absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Anyone may sign up with `POST /v1/auth/register` (default off).
    pub allow_registration: bool,
    /// Anyone may get a guest token with `POST /v1/auth/guest` (default off).
    pub allow_guests: bool,
    /// Guest-token lifetime in seconds (default 3600, at most 86400).
    pub guest_ttl_secs: u64,
    /// Days a device may skip MFA after the user trusts it (default 30; 0 disables).
    pub trusted_device_days: u32,
    /// The format of access tokens: `jwt` (default) or `paseto` (v4.public).
    pub token_format: TokenFormat,
    /// The OAuth password grant for first-party clients (default off).
    pub allow_password_grant: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            allow_registration: false,
            allow_guests: false,
            guest_ttl_secs: 3600,
            trusted_device_days: 30,
            token_format: TokenFormat::Jwt,
            allow_password_grant: false,
        }
    }
}

impl AuthSettings {
    /// The section's name in `TenantSettings.extensions`.
    pub const SECTION: &'static str = "auth";

    /// The tenant's settings (defaults when the section is absent).
    pub fn of(settings: &TenantSettings) -> Result<Self> {
        let s: AuthSettings = settings.extension(Self::SECTION)?.unwrap_or_default();
        Ok(AuthSettings {
            guest_ttl_secs: s.guest_ttl_secs.clamp(60, 86_400),
            trusted_device_days: s.trusted_device_days.min(365),
            ..s
        })
    }
}
