//! OpenAPI schemas the facade owns (feature `openapi`): the tenant
//! settings document with each crate's section typed.
//!
//! `caas_core::TenantSettings` keeps `extensions` as JSON because the
//! sections belong to the crates above it; the facade knows them all
//! ([`SETTINGS_SECTIONS`](crate::SETTINGS_SECTIONS)), so the document an
//! API publishes is written here. A test keeps its sections equal to the
//! list [`Platform::check_settings`](crate::Platform::check_settings) accepts.

#![allow(
    dead_code,
    reason = "the types describe the wire format for OpenAPI; the server reads `TenantSettings`"
)]

use serde::Deserialize;
use utoipa::ToSchema;

/// A tenant's settings: its plan, CORS origins and each crate's section.
/// Unknown keys are refused at every level.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = TenantSettings)]
#[serde(deny_unknown_fields)]
pub struct TenantSettingsSchema {
    /// The tenant's plan (1–64 of a-z, 0-9, `-`, `_`); limits and quotas
    /// are configured per plan.
    plan: Option<String>,
    /// Which browser origins may call the tenant's API.
    cors: Option<caas_core::CorsSettings>,
    /// The crates' sections.
    extensions: Option<SettingsSections>,
}

/// The sections of `extensions`, one per crate that reads one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsSections {
    /// Sign-up, guests, token format, trusted devices, the password grant.
    auth: Option<caas_auth::AuthSettings>,
    /// The name, logo and colours on the tenant's pages.
    branding: Option<caas_core::Branding>,
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    #[test]
    fn the_schema_has_exactly_the_sections_the_platform_accepts() {
        let RefOr::T(Schema::Object(sections)) = super::SettingsSections::schema() else {
            panic!("SettingsSections is an object schema");
        };
        let names: Vec<&str> = sections.properties.keys().map(String::as_str).collect();
        let mut accepted = crate::SETTINGS_SECTIONS.to_vec();
        accepted.sort_unstable();
        assert_eq!(names, accepted);
        assert!(
            matches!(
                sections.additional_properties.as_deref(),
                Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(
                    false
                ))
            ),
            "unknown sections are refused"
        );
    }
}
