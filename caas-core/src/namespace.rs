//! [`Namespace`]: the tenant (or platform) partition of keys and topics.

use std::fmt;

use crate::validate::truncate;
use crate::{Error, Result, TenantId};

/// Whose data a key or topic belongs to.
///
/// Every key and topic is built from a namespace, so code holding tenant A's
/// namespace cannot name a key of tenant B: the namespace part is not text a
/// caller supplies. In Redis it becomes a hash tag — `caas:{t:<id>}:…` — so
/// all of one tenant's keys land in one cluster slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// Platform-wide state not owned by a tenant (e.g. per-IP rate limits).
    Platform,
    /// One tenant's state.
    Tenant(TenantId),
}

impl Namespace {
    /// The longest key or topic name accepted, in bytes.
    pub const MAX_NAME: usize = 512;

    /// The hash-tag body: `platform` or `t:<tenant id>`.
    pub fn tag(&self) -> String {
        match self {
            Namespace::Platform => "platform".to_owned(),
            Namespace::Tenant(id) => format!("t:{id}"),
        }
    }

    /// Reads a tag back (`platform` or `t:<id>`).
    pub fn from_tag(tag: &str) -> Option<Namespace> {
        if tag == "platform" {
            return Some(Namespace::Platform);
        }
        tag.strip_prefix("t:")
            .and_then(|id| id.parse().ok())
            .map(Namespace::Tenant)
    }

    /// The key `name` in this namespace.
    pub fn key(&self, name: &str) -> Result<KvKey> {
        check_name(name, "key")?;
        Ok(KvKey {
            ns: *self,
            name: name.to_owned(),
        })
    }

    /// The tenant, if this is a tenant namespace.
    pub fn tenant(&self) -> Option<&TenantId> {
        match self {
            Namespace::Platform => None,
            Namespace::Tenant(id) => Some(id),
        }
    }
}

impl From<TenantId> for Namespace {
    fn from(id: TenantId) -> Self {
        Namespace::Tenant(id)
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag())
    }
}

/// Key and topic names: 1–512 bytes without control characters.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() || name.len() > Namespace::MAX_NAME {
        return Err(Error::invalid_input(format!(
            "{what} names must be 1 to {} bytes long",
            Namespace::MAX_NAME
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "{what} name `{}` contains a control character",
            truncate(name)
        )));
    }
    Ok(())
}

/// A key in a [`Namespace`]; build it with [`Namespace::key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KvKey {
    ns: Namespace,
    name: String,
}

impl KvKey {
    /// The namespace.
    pub fn namespace(&self) -> &Namespace {
        &self.ns
    }

    /// The name within the namespace.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full Redis key under `prefix`: `prefix:{tag}:name`.
    pub fn render(&self, prefix: &str) -> String {
        format!("{prefix}:{{{}}}:{}", self.ns.tag(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, Timestamp};

    #[test]
    fn keys_render_with_a_hash_tag_per_tenant() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let t = TenantId::generate(&clock);
        let key = Namespace::Tenant(t).key("rl:login").unwrap();
        assert_eq!(key.render("caas"), format!("caas:{{t:{t}}}:rl:login"));
        assert_eq!(
            Namespace::Platform.key("x").unwrap().render("caas"),
            "caas:{platform}:x"
        );
    }

    #[test]
    fn a_key_name_cannot_escape_its_namespace() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let (a, b) = (TenantId::generate(&clock), TenantId::generate(&clock));
        // A name that spells out another namespace stays inside its own.
        let sneaky = format!("}}:{{t:{b}}}:secret");
        let key = Namespace::Tenant(a).key(&sneaky).unwrap();
        assert!(key.render("caas").starts_with(&format!("caas:{{t:{a}}}:")));
        assert_eq!(key.namespace(), &Namespace::Tenant(a));
    }

    #[test]
    fn names_are_validated() {
        assert!(Namespace::Platform.key("").is_err());
        assert!(Namespace::Platform.key(&"k".repeat(513)).is_err());
        assert!(Namespace::Platform.key("a\nb").is_err());
        assert!(Namespace::Platform.key("ok:name/with spaces").is_ok());
    }

    #[test]
    fn tags_round_trip() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let t = TenantId::generate(&clock);
        for ns in [Namespace::Platform, Namespace::Tenant(t)] {
            assert_eq!(Namespace::from_tag(&ns.tag()), Some(ns));
        }
        assert_eq!(Namespace::from_tag("t:nope"), None);
    }
}
