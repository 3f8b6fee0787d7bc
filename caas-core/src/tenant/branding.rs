//! A tenant's branding (`settings.extensions.branding`): the name, logo and
//! colours its pages show. Read leniently (a malformed stored section gives
//! the defaults), checked strictly when written (unknown keys and wrong
//! types refused, the field named). Pages still check each value before it
//! reaches HTML or CSS: the stored document is data, not markup.

use serde::{Deserialize, Serialize};

use super::TenantSettings;
use crate::{Error, Result};

/// The section of a tenant's settings that holds its branding.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Branding {
    /// Shown instead of the tenant's name (at most 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// An https URL of a logo (other schemes are not shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Buttons and links (`#rrggbb` or `#rgb`; anything else is not used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// The page background (`#rrggbb` or `#rgb`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
}

impl Branding {
    /// The name of the section under `extensions`.
    pub const SECTION: &'static str = "branding";
    /// The longest display name.
    pub const MAX_NAME_CHARS: usize = 100;
    /// The longest logo URL.
    pub const MAX_URL_BYTES: usize = 2048;

    /// The tenant's branding; the defaults when absent or malformed.
    pub fn of(settings: &TenantSettings) -> Branding {
        settings
            .extension::<Branding>(Self::SECTION)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Checks the section of settings about to be written.
    pub fn check(settings: &TenantSettings) -> Result<()> {
        let Some(b) = settings.extension::<Branding>(Self::SECTION)? else {
            return Ok(());
        };
        let field = |name: &str| format!("settings.extensions.branding.{name}");
        if let Some(name) = &b.display_name
            && (name.chars().count() > Self::MAX_NAME_CHARS || name.chars().any(char::is_control))
        {
            return Err(Error::invalid_input(format!(
                "the display name must be at most {} characters, without control characters",
                Self::MAX_NAME_CHARS
            ))
            .with_field(field("display_name")));
        }
        if let Some(url) = &b.logo_url
            && url.len() > Self::MAX_URL_BYTES
        {
            return Err(Error::invalid_input(format!(
                "the logo URL must be at most {} bytes",
                Self::MAX_URL_BYTES
            ))
            .with_field(field("logo_url")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branding_is_read_leniently_and_checked_strictly() {
        let ok = TenantSettings::from_json(
            r##"{"extensions":{"branding":{"display_name":"Trgovina","primary_color":"#a00"}}}"##,
        )
        .unwrap();
        assert!(Branding::check(&ok).is_ok());
        assert_eq!(Branding::of(&ok).display_name.as_deref(), Some("Trgovina"));

        let typo =
            TenantSettings::from_json(r#"{"extensions":{"branding":{"logo":"x"}}}"#).unwrap();
        assert_eq!(
            Branding::check(&typo).unwrap_err().field(),
            Some("settings.extensions.branding")
        );
        assert_eq!(Branding::of(&typo), Branding::default());

        let long = format!(
            r#"{{"extensions":{{"branding":{{"display_name":"{}"}}}}}}"#,
            "x".repeat(101)
        );
        let long = TenantSettings::from_json(&long).unwrap();
        assert_eq!(
            Branding::check(&long).unwrap_err().field(),
            Some("settings.extensions.branding.display_name")
        );
        assert!(Branding::check(&TenantSettings::default()).is_ok());
    }
}
