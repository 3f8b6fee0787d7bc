//! [`User`] and what creates or changes one, with the validation rules.

use std::fmt;
use std::str::FromStr;

use caas_core::{Error, Result, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether a user may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// May log in.
    Active,
    /// Locked by an administrator (or by repeated failures): may not log in
    /// until unlocked.
    Locked,
    /// Disabled: may not log in; kept for records.
    Disabled,
}

impl UserStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Locked => "locked",
            UserStatus::Disabled => "disabled",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(UserStatus::Active),
            "locked" => Ok(UserStatus::Locked),
            "disabled" => Ok(UserStatus::Disabled),
            other => Err(Error::invalid_input(format!(
                "`{}` is not a user status (active, locked, disabled)",
                other.chars().take(32).collect::<String>()
            ))
            .with_field("status")),
        }
    }
}

/// A user of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Id (UUIDv7), the `sub` of the user's tokens.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: TenantId,
    /// Email as given (unique per tenant, case-insensitively).
    pub email: Option<String>,
    /// Username as given (unique per tenant, case-insensitively).
    pub username: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Whether the user may log in.
    pub status: UserStatus,
    /// Free attributes (for policies and applications).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Whether a password is set.
    pub has_password: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// What a new user starts with; at least an email or a username.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Email.
    pub email: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Display name (defaults to the username or the email's local part).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Attributes.
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// Changes to a user; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// New email.
    pub email: Option<String>,
    /// New username.
    pub username: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New status.
    pub status: Option<UserStatus>,
    /// New attributes (replace the old ones).
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The most bytes of attributes, serialized.
pub const MAX_ATTRIBUTES: usize = 16 * 1024;

/// An email, trimmed and checked, and its case-folded key (400 naming
/// `email` when it is not an address).
pub fn email(value: &str) -> Result<(String, String)> {
    let v = value.trim();
    let bad = || {
        Error::invalid_input(
            "`email` must be an address like name@example.com (at most 254 characters)",
        )
        .with_field("email")
    };
    let (local, domain) = v.rsplit_once('@').ok_or_else(bad)?;
    if v.len() > 254
        || local.is_empty()
        || local.len() > 64
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok((v.to_owned(), v.to_lowercase()))
}

/// A username, checked, and its case-folded key.
pub(crate) fn username(value: &str) -> Result<(String, String)> {
    let ok = (3..=64).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !value.contains('@');
    if !ok {
        return Err(Error::invalid_input(
            "`username` must be 3 to 64 letters, digits, `.`, `_` or `-`",
        )
        .with_field("username"));
    }
    Ok((value.to_owned(), value.to_lowercase()))
}

pub(crate) fn display_name(value: &str) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "`display_name` must be at most 200 characters without control characters",
        )
        .with_field("display_name"));
    }
    Ok(v.to_owned())
}

pub(crate) fn attributes(value: &serde_json::Map<String, serde_json::Value>) -> Result<String> {
    let text = serde_json::to_string(value)?;
    if text.len() > MAX_ATTRIBUTES {
        return Err(Error::invalid_input(format!(
            "`attributes` are {} bytes; at most {MAX_ATTRIBUTES} are allowed",
            text.len()
        ))
        .with_field("attributes"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_fold_case_and_bad_ones_are_refused() {
        assert_eq!(
            email(" Alice@Example.COM ").ok(),
            Some(("Alice@Example.COM".into(), "alice@example.com".into()))
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "alice@com",
            "alice@.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_are_checked() {
        assert_eq!(
            username("Ana.K").ok(),
            Some(("Ana.K".into(), "ana.k".into()))
        );
        for bad in ["ab", "with space", "a@b", &"x".repeat(65)] {
            assert!(username(bad).is_err(), "{bad}");
        }
        assert!("frozen".parse::<UserStatus>().is_err());
        assert_eq!(
            "locked".parse::<UserStatus>().ok(),
            Some(UserStatus::Locked)
        );
    }
}
