//! The event catalogue: which tenant event types exist and what they mean.
//!
//! Each crate exports the [`EventType`]s it publishes as a `pub static
//! EVENTS: &[EventType]` beside the code that publishes them; whoever
//! composes the crates (the `caas` facade, a Rust application) concatenates
//! the lists into one [`EventCatalogue`]. Webhook subscriptions are checked
//! against it, so every published type can be subscribed to.

use crate::{Error, Result};

/// One tenant event type: its name (also its bus topic) and its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    /// The type, e.g. `user.created`: dotted, lower case.
    pub name: &'static str,
    /// What it means, for people reading the catalogue.
    pub description: &'static str,
}

impl EventType {
    /// The type `name`, meaning `description`.
    pub const fn new(name: &'static str, description: &'static str) -> Self {
        EventType { name, description }
    }
}

/// caas-core's own events: a tenant's lifecycle.
pub static EVENTS: &[EventType] = &[
    EventType::new("tenant.created", "a tenant was created"),
    EventType::new("tenant.updated", "the tenant's name or settings changed"),
    EventType::new("tenant.suspended", "the tenant was suspended"),
    EventType::new("tenant.resumed", "the tenant was resumed"),
    EventType::new("tenant.deleted", "the tenant was deleted"),
];

/// Every event type of a composition, in the order the crates were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCatalogue {
    types: Vec<EventType>,
}

impl EventCatalogue {
    /// An empty catalogue.
    pub fn new() -> Self {
        EventCatalogue::default()
    }

    /// Adds `types` after those already in; a name listed twice is an
    /// error (two crates would claim one meaning).
    pub fn with(mut self, types: &[EventType]) -> Result<Self> {
        for t in types {
            crate::events::check_topic_name(t.name)?;
            if self.types.iter().any(|known| known.name == t.name) {
                return Err(Error::internal(format!(
                    "event type `{}` is in the catalogue twice",
                    t.name
                )));
            }
            self.types.push(*t);
        }
        Ok(self)
    }

    /// Every type, in catalogue order.
    pub fn types(&self) -> &[EventType] {
        &self.types
    }

    /// The type called `name`.
    pub fn get(&self, name: &str) -> Option<&EventType> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Checks a subscription pattern: a type in the catalogue, `prefix.*`
    /// where some type starts with `prefix.`, or `*`.
    pub fn check_pattern(&self, pattern: &str) -> Result<()> {
        let known = pattern == "*"
            || self.get(pattern).is_some()
            || self.types.iter().any(|t| pattern_matches(pattern, t.name));
        if known {
            return Ok(());
        }
        Err(Error::invalid_input(format!(
            "`{}` is not an event type or a pattern of one",
            crate::validate::truncate(pattern)
        )))
    }

    /// The types a subscription to `patterns` receives.
    pub fn matching<'a>(&'a self, patterns: &'a [String]) -> impl Iterator<Item = &'a EventType> {
        self.types
            .iter()
            .filter(move |t| subscribed(patterns, t.name))
    }
}

/// Whether `pattern` (`*`, `prefix.*` or an exact type) matches `event_type`.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    pattern == "*"
        || pattern == event_type
        || pattern.strip_suffix(".*").is_some_and(|prefix| {
            event_type
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Whether a subscription to `patterns` receives `event_type`.
pub fn subscribed(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, event_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn patterns_match_by_dotted_prefix() {
        assert!(subscribed(&p(&["*"]), "tenant.updated"));
        assert!(subscribed(&p(&["tenant.*"]), "tenant.updated"));
        assert!(!subscribed(&p(&["tenant.*"]), "tenantx.updated"));
        assert!(!subscribed(&p(&["tenant.updated"]), "tenant.deleted"));
        assert!(subscribed(&p(&["auth.*"]), "auth.login_failed"));
    }

    #[test]
    fn the_catalogue_checks_patterns_and_refuses_twins() {
        let more = [EventType::new("auth.login_failed", "a login failed")];
        let c = EventCatalogue::new()
            .with(EVENTS)
            .unwrap()
            .with(&more)
            .unwrap();
        for ok in [
            "*",
            "tenant.*",
            "auth.*",
            "auth.login_failed",
            "tenant.created",
        ] {
            c.check_pattern(ok).unwrap();
        }
        for bad in ["nothing.*", "tenant.exploded", "auth", ""] {
            assert!(c.check_pattern(bad).is_err(), "{bad}");
        }
        let names: Vec<_> = c.matching(&p(&["auth.*"])).map(|t| t.name).collect();
        assert_eq!(names, ["auth.login_failed"]);
        assert!(c.clone().with(&more).is_err());
        let bad = [EventType::new("Not A Topic", "x")];
        assert!(EventCatalogue::new().with(&bad).is_err());
    }
}
