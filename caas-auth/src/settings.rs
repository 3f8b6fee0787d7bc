//! [`AuthSettings`]: a tenant's authentication choices, kept in its settings
//! under `extensions.auth`.

use std::time::Duration;

use caas_core::{Error, Result, TenantSettings, bounded_duration};
use serde::{Deserialize, Serialize};

use crate::tokens::TokenFormat;

/// A tenant's authentication settings (all off or at their defaults when
/// absent).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Anyone may sign up with `POST /v1/auth/register` (default off).
    pub allow_registration: bool,
    /// Anyone may get a guest token with `POST /v1/auth/guest` (default off).
    pub allow_guests: bool,
    /// Guest-token lifetime in seconds (default 3600; 60 to 86400, one day).
    pub guest_ttl_secs: u64,
    /// Days a device may skip MFA after the user trusts it (default 30; 0
    /// disables; at most 365).
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

    /// The shortest guest-token lifetime (one minute).
    pub const MIN_GUEST_TTL: Duration = Duration::from_secs(60);
    /// The longest guest-token lifetime (one day).
    pub const MAX_GUEST_TTL: Duration = Duration::from_secs(86_400);
    /// The most days a device may stay trusted (one year).
    pub const MAX_TRUSTED_DEVICE_DAYS: u32 = 365;

    /// Checks every field; the error names it as a path into the tenant's
    /// settings (`settings.extensions.auth.guest_ttl_secs`).
    pub fn validate(&self) -> Result<()> {
        const GUEST_TTL: &str = "settings.extensions.auth.guest_ttl_secs";
        let ttl = bounded_duration(GUEST_TTL, self.guest_ttl_secs, Self::MAX_GUEST_TTL)?;
        if ttl < Self::MIN_GUEST_TTL {
            return Err(Error::invalid_input(format!(
                "`{GUEST_TTL}` must be at least {} seconds",
                Self::MIN_GUEST_TTL.as_secs()
            ))
            .with_field(GUEST_TTL));
        }
        if self.trusted_device_days > Self::MAX_TRUSTED_DEVICE_DAYS {
            const DAYS: &str = "settings.extensions.auth.trusted_device_days";
            return Err(Error::invalid_input(format!(
                "`{DAYS}` must be at most {} days",
                Self::MAX_TRUSTED_DEVICE_DAYS
            ))
            .with_field(DAYS));
        }
        Ok(())
    }

    /// Checks the `auth` section of settings about to be written: it must
    /// read as [`AuthSettings`] and pass [`validate`](Self::validate).
    /// Settings without the section pass.
    pub fn check(settings: &TenantSettings) -> Result<()> {
        match settings.extension::<AuthSettings>(Self::SECTION)? {
            Some(s) => s.validate(),
            None => Ok(()),
        }
    }

    /// The tenant's settings (defaults when the section is absent). Values
    /// stored before [`check`](Self::check) existed are clamped into range.
    pub fn of(settings: &TenantSettings) -> Result<Self> {
        let s: AuthSettings = settings.extension(Self::SECTION)?.unwrap_or_default();
        Ok(AuthSettings {
            guest_ttl_secs: s
                .guest_ttl_secs
                .clamp(Self::MIN_GUEST_TTL.as_secs(), Self::MAX_GUEST_TTL.as_secs()),
            trusted_device_days: s.trusted_device_days.min(Self::MAX_TRUSTED_DEVICE_DAYS),
            ..s
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn with_auth(section: serde_json::Value) -> TenantSettings {
        let mut settings = TenantSettings::default();
        settings
            .extensions
            .insert(AuthSettings::SECTION.into(), section);
        settings
    }

    #[test]
    fn settings_are_checked_before_they_are_written() {
        assert!(AuthSettings::check(&TenantSettings::default()).is_ok());
        assert!(AuthSettings::default().validate().is_ok());
        let ok =
            with_auth(serde_json::json!({"guest_ttl_secs": 86_400, "trusted_device_days": 365}));
        assert!(AuthSettings::check(&ok).is_ok());
        for (section, field) in [
            (
                serde_json::json!({"guest_ttl_secs": u64::MAX}),
                "settings.extensions.auth.guest_ttl_secs",
            ),
            (
                serde_json::json!({"guest_ttl_secs": 59}),
                "settings.extensions.auth.guest_ttl_secs",
            ),
            (
                serde_json::json!({"trusted_device_days": 366}),
                "settings.extensions.auth.trusted_device_days",
            ),
            (
                serde_json::json!({"guest_ttl_secs": "soon"}),
                "settings.extensions.auth",
            ),
        ] {
            let e = AuthSettings::check(&with_auth(section.clone())).unwrap_err();
            assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput, "{section}");
            assert_eq!(e.field(), Some(field), "{section}");
        }
    }

    #[test]
    fn stored_values_out_of_range_are_clamped_on_read() {
        let stored = with_auth(
            serde_json::json!({"guest_ttl_secs": u64::MAX, "trusted_device_days": u32::MAX}),
        );
        let s = AuthSettings::of(&stored).unwrap();
        assert_eq!((s.guest_ttl_secs, s.trusted_device_days), (86_400, 365));
    }

    proptest! {
        #[test]
        fn guest_ttl_is_bounded_or_refused_by_name(secs in any::<u64>()) {
            let s = AuthSettings { guest_ttl_secs: secs, ..AuthSettings::default() };
            match s.validate() {
                Ok(()) => prop_assert!((60..=86_400).contains(&secs)),
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("settings.extensions.auth.guest_ttl_secs"));
                    prop_assert!(!(60..=86_400).contains(&secs));
                }
            }
        }

        #[test]
        fn trusted_device_days_are_bounded_or_refused_by_name(days in any::<u32>()) {
            let s = AuthSettings { trusted_device_days: days, ..AuthSettings::default() };
            match s.validate() {
                Ok(()) => prop_assert!(days <= 365),
                Err(e) => {
                    prop_assert_eq!(e.field(), Some("settings.extensions.auth.trusted_device_days"));
                    prop_assert!(days > 365);
                }
            }
        }
    }
}
