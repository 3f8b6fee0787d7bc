//! Tenant identity: the immutable [`TenantId`] and the human [`TenantSlug`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::validate::truncate;
use crate::{Clock, Error, Result, new_id};

/// A tenant's immutable id (a UUIDv7).
///
/// Every tenant-owned row and every Redis key carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(Uuid);

impl TenantId {
    /// A fresh id whose time part comes from `clock`.
    pub fn generate(clock: &dyn Clock) -> Self {
        TenantId(new_id(clock))
    }

    /// Wraps an existing UUID.
    pub const fn from_uuid(id: Uuid) -> Self {
        TenantId(id)
    }

    /// The UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hyphenated lowercase: the form stored in SQL and used in keys.
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl FromStr for TenantId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Uuid::try_parse(s)
            .map(TenantId)
            .map_err(|_| Error::invalid_input(format!("`{}` is not a tenant id", truncate(s))))
    }
}

/// A tenant's slug: its name in URLs, subdomains and headers.
///
/// Valid slugs are 3–63 characters of lowercase ASCII letters, digits and
/// hyphens, starting and ending with a letter or digit — exactly what a DNS
/// label allows, so every slug works as a subdomain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// The shortest valid slug.
    pub const MIN_LEN: usize = 3;
    /// The longest valid slug (a DNS label's limit).
    pub const MAX_LEN: usize = 63;

    /// Validates `s` as a slug.
    pub fn parse(s: &str) -> Result<Self> {
        let shown = truncate(s);
        let err = |why: &str| {
            Error::invalid_input(format!("tenant slug `{shown}` {why}")).with_field("slug")
        };
        if s.len() < Self::MIN_LEN || s.len() > Self::MAX_LEN {
            return Err(err("must be 3 to 63 characters long"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            let why = if c.is_ascii_uppercase() {
                "must be lowercase".to_owned()
            } else {
                format!(
                    "may only contain a-z, 0-9 and `-`, not `{}`",
                    c.escape_debug()
                )
            };
            return Err(err(&why));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(err("must start and end with a letter or digit"));
        }
        Ok(TenantSlug(s.to_owned()))
    }

    /// The slug as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantSlug {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        TenantSlug::parse(s)
    }
}

impl AsRef<str> for TenantSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for TenantSlug {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TenantSlug::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How a request or caller names a tenant: by id or by slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TenantRef {
    /// By immutable id.
    Id(TenantId),
    /// By slug.
    Slug(TenantSlug),
}

impl TenantRef {
    /// Reads `s` as a tenant id if it is a UUID, otherwise as a slug.
    pub fn parse(s: &str) -> Result<Self> {
        if let Ok(id) = Uuid::try_parse(s) {
            return Ok(TenantRef::Id(TenantId(id)));
        }
        TenantSlug::parse(s).map(TenantRef::Slug)
    }
}

impl fmt::Display for TenantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenantRef::Id(id) => fmt::Display::fmt(id, f),
            TenantRef::Slug(slug) => fmt::Display::fmt(slug, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn valid_slugs_parse() {
        for s in ["acme", "a-1", "abc", "x9z", &"a".repeat(63), "0-0"] {
            assert_eq!(TenantSlug::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn invalid_slugs_are_rejected_with_the_rule() {
        let cases = [
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("Acme", "lowercase"),
            ("ac_me", "not `_`"),
            ("ac.me", "not `.`"),
            ("-acme", "start and end"),
            ("acme-", "start and end"),
            ("acmé", "not `é`"),
            ("", "3 to 63"),
        ];
        for (input, why) in cases {
            let e = TenantSlug::parse(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{input}");
            assert!(e.message().contains(why), "{input}: {}", e.message());
            assert_eq!(e.field(), Some("slug"));
        }
    }

    #[test]
    fn slugs_deserialize_with_validation() {
        assert!(serde_json::from_str::<TenantSlug>("\"acme\"").is_ok());
        assert!(serde_json::from_str::<TenantSlug>("\"ACME\"").is_err());
    }

    #[test]
    fn tenant_refs_tell_ids_from_slugs() {
        let id = "0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e";
        assert!(matches!(TenantRef::parse(id).unwrap(), TenantRef::Id(_)));
        assert!(matches!(
            TenantRef::parse("acme").unwrap(),
            TenantRef::Slug(_)
        ));
        assert!(TenantRef::parse("NOPE").is_err());
    }

    #[test]
    fn bad_tenant_ids_are_invalid_input() {
        let e = "nope".parse::<TenantId>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.message(), "`nope` is not a tenant id");
    }

    #[test]
    fn long_input_is_truncated_in_messages() {
        let e = TenantSlug::parse(&"x".repeat(10_000)).unwrap_err();
        assert!(e.message().len() < 200);
    }
}
