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
/// Every slug is 3–63 characters of lowercase ASCII letters, digits and
/// hyphens, starting and ending with a letter or digit — exactly what a DNS
/// label allows, so every slug works as a subdomain.
///
/// A slug given to a *new* tenant ([`TenantSlug::new`], checked again when a
/// tenant is created) must also:
///
/// - not be shaped like a UUID (32 hex digits, with or without hyphens):
///   `X-Tenant-ID: {uuid}` names a tenant by id, so a UUID-shaped slug would
///   let `/t/{slug}` and `X-Tenant-ID` name different tenants;
/// - contain a letter: an all-digit slug reads as a number or an id;
/// - not be reserved ([`TenantSlug::RESERVED`], or `v` and digits): the
///   path segments the server serves at its root and the host names an
///   operator uses, so no tenant's subdomain or path poses as the platform's.
///
/// Naming an existing tenant ([`TenantSlug::parse`], [`FromStr`], serde)
/// only refuses UUID-shaped strings beyond the DNS-label rules, so tenants
/// created before the stricter rules can still be found; stored rows are
/// read with [`TenantSlug::from_stored`], which checks the DNS-label rules
/// only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// The shortest valid slug.
    pub const MIN_LEN: usize = 3;
    /// The longest valid slug (a DNS label's limit).
    pub const MAX_LEN: usize = 63;

    /// Slugs no new tenant may take: what the server serves at its root
    /// (`/health`, `/ready`, `/metrics`, `/docs`, `/openapi.json`, `/t/…`,
    /// `/v1/…`), the paths of a provider or a web front end, and host names
    /// an operator uses. `v` followed by digits (API versions) is reserved
    /// too.
    pub const RESERVED: &'static [&'static str] = &[
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "cdn",
        "console",
        "dashboard",
        "docs",
        "federation",
        "ftp",
        "health",
        "healthz",
        "help",
        "imap",
        "internal",
        "localhost",
        "login",
        "logout",
        "mail",
        "metrics",
        "null",
        "oauth",
        "oauth2",
        "oidc",
        "openapi",
        "openapi-json",
        "platform",
        "pop",
        "pop3",
        "ready",
        "readyz",
        "register",
        "root",
        "security",
        "settings",
        "signin",
        "signup",
        "smtp",
        "sso",
        "static",
        "status",
        "support",
        "swagger",
        "system",
        "t",
        "tenant",
        "tenants",
        "undefined",
        "v1",
        "webmail",
        "well-known",
        "www",
    ];

    /// Validates `s` as the slug of a **new** tenant: the DNS-label rules,
    /// and not UUID-shaped, not all digits, not reserved. Refusals are
    /// `invalid_input` naming the field `slug`.
    pub fn new(s: &str) -> Result<Self> {
        let slug = Self::parse(s)?;
        slug.check_new()?;
        Ok(slug)
    }

    /// Validates `s` as a slug that names a tenant (a lookup): the DNS-label
    /// rules, and not UUID-shaped (a UUID names a tenant by id). Reserved
    /// and all-digit slugs pass, so tenants created before those rules can
    /// still be found; [`TenantSlug::new`] is the check for new slugs.
    pub fn parse(s: &str) -> Result<Self> {
        let slug = Self::from_stored(s)?;
        if is_uuid_shaped(s) {
            return Err(slug_error(s, UUID_SHAPED));
        }
        Ok(slug)
    }

    /// Reads a slug stored before the current rules (a tenant row): only the
    /// DNS-label rules are checked, so a reserved, all-digit or UUID-shaped
    /// slug of an old tenant still loads.
    pub fn from_stored(s: &str) -> Result<Self> {
        let err = |why: &str| slug_error(s, why);
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

    /// Checks the rules for a new tenant's slug beyond the DNS-label ones
    /// (see [`TenantSlug::new`]).
    pub fn check_new(&self) -> Result<()> {
        let s = self.0.as_str();
        if is_uuid_shaped(s) {
            return Err(slug_error(s, UUID_SHAPED));
        }
        if !s.bytes().any(|b| b.is_ascii_lowercase()) {
            return Err(slug_error(
                s,
                "must contain a letter: a slug of digits (and hyphens) reads as a number or an id",
            ));
        }
        if Self::is_reserved(s) {
            return Err(slug_error(
                s,
                "is reserved: it names a path or host of the platform itself",
            ));
        }
        Ok(())
    }

    /// Whether `s` is reserved: in [`TenantSlug::RESERVED`], or `v` and digits.
    pub fn is_reserved(s: &str) -> bool {
        let version = s
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        version || Self::RESERVED.binary_search(&s).is_ok()
    }

    /// The slug as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const UUID_SHAPED: &str =
    "is shaped like a UUID, which names a tenant by id (`X-Tenant-ID`); choose a name";

fn slug_error(s: &str, why: &str) -> Error {
    Error::invalid_input(format!("tenant slug `{}` {why}", truncate(s))).with_field("slug")
}

/// Whether `s` is a UUID in any form [`Uuid::try_parse`] reads, or 32 hex
/// digits however hyphenated (what a reader takes for one).
fn is_uuid_shaped(s: &str) -> bool {
    if Uuid::try_parse(s).is_ok() {
        return true;
    }
    let mut hex = 0;
    for b in s.bytes() {
        match b {
            b'-' => {}
            b if b.is_ascii_hexdigit() => hex += 1,
            _ => return false,
        }
    }
    hex == 32
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
        for s in [
            "acme",
            "a-1",
            "abc",
            "x9z",
            &"a".repeat(63),
            "0-a",
            "v1x",
            "admins",
        ] {
            assert_eq!(TenantSlug::new(s).unwrap().as_str(), s);
            assert_eq!(TenantSlug::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn new_slugs_refuse_uuids_digits_and_reserved_words() {
        let cases = [
            ("0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e", "UUID"),
            ("0190f1c27e4b7a3d9c1e2f3a4b5c6d7e", "UUID"),
            ("0190f1c27e4b-7a3d9c1e2f3a-4b5c6d7e", "UUID"),
            ("00000000-0000-0000-0000-000000000000", "UUID"),
            ("123", "must contain a letter"),
            ("2024-01-31", "must contain a letter"),
            ("0-0", "must contain a letter"),
            ("admin", "reserved"),
            ("api", "reserved"),
            ("www", "reserved"),
            ("docs", "reserved"),
            ("health", "reserved"),
            ("ready", "reserved"),
            ("metrics", "reserved"),
            ("openapi", "reserved"),
            ("static", "reserved"),
            ("login", "reserved"),
            ("well-known", "reserved"),
            ("oauth2", "reserved"),
            ("tenants", "reserved"),
            ("status", "reserved"),
            ("v2", "3 to 63"),
            ("v10", "reserved"),
            ("v2024", "reserved"),
        ];
        for (input, why) in cases {
            let e = TenantSlug::new(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{input}");
            assert_eq!(e.field(), Some("slug"), "{input}");
            assert!(e.message().contains(why), "{input}: {}", e.message());
        }
    }

    #[test]
    fn reserved_words_are_sorted_and_valid_slugs_otherwise() {
        assert!(TenantSlug::RESERVED.windows(2).all(|w| w[0] < w[1]));
        for word in TenantSlug::RESERVED {
            assert!(TenantSlug::is_reserved(word));
            if word.len() >= TenantSlug::MIN_LEN {
                assert!(TenantSlug::parse(word).is_ok(), "{word} can be looked up");
                assert!(TenantSlug::new(word).is_err(), "{word} cannot be taken");
            }
        }
    }

    #[test]
    fn lookups_find_old_slugs_but_not_uuid_shaped_ones() {
        // Tenants created before the rules for new slugs can still be named.
        for old in ["admin", "123", "status"] {
            assert_eq!(TenantSlug::parse(old).unwrap().as_str(), old);
        }
        // A UUID names a tenant by id, never by slug.
        let uuid = "0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e";
        let e = TenantSlug::parse(uuid).unwrap_err();
        assert_eq!(e.field(), Some("slug"));
        assert!(e.message().contains("UUID"));
        assert!(matches!(TenantRef::parse(uuid).unwrap(), TenantRef::Id(_)));
        assert!(TenantSlug::from_str(uuid).is_err());
        assert!(serde_json::from_str::<TenantSlug>(&format!("\"{uuid}\"")).is_err());
    }

    #[test]
    fn stored_slugs_load_leniently() {
        for old in ["admin", "123", "0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e"] {
            assert_eq!(TenantSlug::from_stored(old).unwrap().as_str(), old);
        }
        // The DNS-label rules still hold for stored slugs.
        assert!(TenantSlug::from_stored("Not_A_Slug").is_err());
    }

    proptest::proptest! {
        #[test]
        fn accepted_slugs_never_read_as_ids_or_numbers(s in "[a-z0-9-]{1,70}") {
            if let Ok(slug) = TenantSlug::new(&s) {
                proptest::prop_assert!(Uuid::try_parse(slug.as_str()).is_err());
                proptest::prop_assert!(slug.as_str().parse::<TenantId>().is_err());
                proptest::prop_assert!(matches!(TenantRef::parse(slug.as_str()), Ok(TenantRef::Slug(_))));
                proptest::prop_assert!(!slug.as_str().bytes().all(|b| b.is_ascii_digit()));
                proptest::prop_assert!(!TenantSlug::is_reserved(slug.as_str()));
            }
        }

        #[test]
        fn hex_strings_shaped_like_uuids_are_refused(
            hex in "[0-9a-f]{32}",
            cuts in proptest::collection::vec(1usize..32, 0..4),
        ) {
            let mut s = hex.clone();
            let mut cuts = cuts;
            cuts.sort_unstable();
            cuts.dedup();
            for cut in cuts.iter().rev() {
                s.insert(*cut, '-');
            }
            proptest::prop_assert!(TenantSlug::new(&s).is_err(), "{}", s);
            proptest::prop_assert!(TenantSlug::new(&hex).is_err());
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
