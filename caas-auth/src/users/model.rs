//! [`User`] and what creates or changes one, with the validation rules.

use std::fmt;
use std::str::FromStr;

use caas_core::{Error, Result, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
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

/// An email, trimmed, in Unicode NFC and checked, and its key: the local
/// part case-folded, `@`, the domain in its UTS 46 ASCII form
/// (`bücher.example` and `xn--bcher-kva.example` are one domain). 400
/// naming `email` when it is not an address.
///
/// The address kept is the NFC form as given (its domain as written).
pub fn email(value: &str) -> Result<(String, String)> {
    let v: String = value.trim().nfc().collect();
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
        || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    let ascii = idna::domain_to_ascii(domain).map_err(|_| bad())?;
    if ascii.len() < 3
        || ascii.len() > 253
        || !ascii.contains('.')
        || ascii.split('.').any(str::is_empty)
    {
        return Err(bad());
    }
    let key = format!("{}@{ascii}", fold(local));
    Ok((v, key))
}

/// A username as stored: the NFC form as given, its case-folded key
/// (unique per tenant) and its skeleton (unique per tenant too, so names
/// that only look alike cannot both be taken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Username {
    /// The name (NFC).
    pub(crate) name: String,
    /// Case-folded (NFC).
    pub(crate) key: String,
    /// The confusable skeleton ([`skeleton`]).
    pub(crate) skeleton: String,
}

/// A username, in NFC and checked, with its key and skeleton (400 naming
/// `username` when it breaks the rules).
pub(crate) fn username(value: &str) -> Result<Username> {
    let name: String = value.nfc().collect();
    let ok = (3..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.contains('@');
    if !ok {
        return Err(Error::invalid_input(
            "`username` must be 3 to 64 letters, digits, `.`, `_` or `-`",
        )
        .with_field("username"));
    }
    Ok(username_keys(&name))
}

/// The key and skeleton of a name, unchecked (also for names stored before
/// today's rules).
pub(crate) fn username_keys(name: &str) -> Username {
    let name: String = name.nfc().collect();
    Username {
        key: fold(&name),
        skeleton: skeleton(&name),
        name,
    }
}

/// Case-folded NFC: the key two spellings of one name share.
pub(crate) fn fold(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase().nfc().collect()
}

/// The UTS 39 skeleton of `name`, case-insensitively: confusable characters
/// (Cyrillic `а` and Latin `a`, full-width `ｐ` and `p`, `rn` and `m`, `0`
/// and `O`, `I` and `l`) become one prototype. The skeleton is taken, lower
/// cased, and taken again, so that letters confusable in either case meet
/// (`g00gle` → `gOOgle` → `google`; `Iohn` → `lohn`).
pub(crate) fn skeleton(name: &str) -> String {
    let once: String = unicode_security::skeleton(name).collect();
    let twice: String = unicode_security::skeleton(&once.to_lowercase()).collect();
    twice.to_lowercase()
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
            "alice@example..com",
            "alice@xn--zz.example",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_nfc_and_their_domains_ascii() {
        // NFD and NFC spellings of one address are one key, kept as NFC.
        let nfd = email("jose\u{301}@example.com").unwrap();
        let nfc = email("jos\u{e9}@example.com").unwrap();
        assert_eq!(nfd, nfc);
        assert_eq!(nfd.0, "jos\u{e9}@example.com");
        // An IDN domain in Unicode or in punycode, any case: one key.
        let unicode = email("Ana@Bücher.Example").unwrap();
        let puny = email("ana@xn--bcher-kva.example").unwrap();
        assert_eq!(unicode.1, "ana@xn--bcher-kva.example");
        assert_eq!(unicode.1, puny.1);
        assert_eq!(
            unicode.0, "Ana@Bücher.Example",
            "the address is kept as given"
        );
        // Full-width letters and dots in the domain map to ASCII (UTS 46).
        assert_eq!(
            email("ana@ｅｘａｍｐｌｅ．ｃｏｍ").unwrap().1,
            "ana@example.com"
        );
    }

    #[test]
    fn confusable_usernames_share_a_skeleton() {
        let skel = |s: &str| username(s).unwrap().skeleton;
        for (a, b) in [
            ("paypal", "p\u{430}ypal"),   // Cyrillic а
            ("paypal", "PAYPAL"),         // case
            ("paypal", "ｐａｙｐａｌ"),   // full-width
            ("modern", "rnodern"),        // rn / m
            ("google", "g00gle"),         // 0 / o
            ("lohn", "Iohn"),             // I / l
            ("jose\u{301}", "jos\u{e9}"), // NFD / NFC
            ("admin", "\u{430}dmin"),
        ] {
            assert_eq!(skel(a), skel(b), "{a} / {b}");
        }
        for (a, b) in [("paypal", "paypa"), ("ana", "anna"), ("bob1", "bob2")] {
            assert_ne!(skel(a), skel(b), "{a} / {b}");
        }
        // The NFC form is kept; keys fold case.
        let u = username("Jose\u{301}").unwrap();
        assert_eq!(
            (u.name.as_str(), u.key.as_str()),
            ("Jos\u{e9}", "jos\u{e9}")
        );
    }

    #[test]
    fn usernames_are_checked() {
        let u = username("Ana.K").unwrap();
        assert_eq!((u.name.as_str(), u.key.as_str()), ("Ana.K", "ana.k"));
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
