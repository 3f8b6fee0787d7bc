//! Rate limits and quotas: per client IP, and per tenant plan.

use std::collections::BTreeMap;

use caas_core::{Error, RateLimit, Result};
use serde::Deserialize;

/// The plan a tenant without `settings.plan` (or with an unknown one) is on.
pub const DEFAULT_PLAN: &str = "default";

/// Limits per client IP, applied before any tenant is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpLimits {
    /// Every request, per client IP; `None` disables.
    pub all: Option<RateLimit>,
    /// Requests to authentication routes, per client IP; `None` disables.
    pub auth: Option<RateLimit>,
}

impl Default for IpLimits {
    fn default() -> Self {
        IpLimits {
            all: "600/min".parse().ok(),
            auth: "30/min".parse().ok(),
        }
    }
}

/// What a plan allows a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Requests per tenant (all instances together); absent: unlimited.
    #[serde(default, with = "opt_limit")]
    pub requests: Option<RateLimit>,
    /// Requests per tenant to authentication routes; absent: unlimited.
    #[serde(default, with = "opt_limit")]
    pub auth_requests: Option<RateLimit>,
    /// Requests per tenant per calendar month (UTC); absent: no quota.
    #[serde(default)]
    pub monthly_requests: Option<u64>,
}

impl Plan {
    /// The built-in `default` plan: 1200 requests/min, 120 auth requests/min, no quota.
    pub fn builtin_default() -> Self {
        Plan {
            requests: "1200/min".parse().ok(),
            auth_requests: "120/min".parse().ok(),
            monthly_requests: None,
        }
    }
}

/// The configured plans; `default` always exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plans(BTreeMap<String, Plan>);

impl Default for Plans {
    fn default() -> Self {
        Plans::new(BTreeMap::new())
    }
}

impl Plans {
    /// The plans of a configuration, with the built-in `default` unless overridden.
    pub fn new(mut plans: BTreeMap<String, Plan>) -> Self {
        plans
            .entry(DEFAULT_PLAN.to_owned())
            .or_insert_with(Plan::builtin_default);
        Plans(plans)
    }

    /// The plan named `name`; the default plan for `None` or an unknown name.
    pub fn get(&self, name: Option<&str>) -> &Plan {
        name.and_then(|n| self.0.get(n))
            .or_else(|| self.0.get(DEFAULT_PLAN))
            .unwrap_or(&DEFAULT)
    }

    /// `Ok` if `name` is a configured plan (for validating tenant settings).
    pub fn check(&self, name: &str) -> Result<()> {
        if self.0.contains_key(name) {
            return Ok(());
        }
        let known: Vec<&str> = self.0.keys().map(String::as_str).collect();
        Err(Error::invalid_input(format!(
            "`{name}` is not a plan of this server; known plans: {}",
            known.join(", ")
        ))
        .with_field("settings.plan"))
    }

    /// The plan names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

static DEFAULT: Plan = Plan {
    requests: None,
    auth_requests: None,
    monthly_requests: None,
};

/// `"600/min"` or `"off"` as an optional limit.
pub(crate) fn parse_limit(s: &str) -> Result<Option<RateLimit>> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.parse().map(Some)
}

mod opt_limit {
    use caas_core::RateLimit;
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<RateLimit>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_limit(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_plans_fall_back_to_default() {
        let mut map = BTreeMap::new();
        map.insert(
            "pro".to_owned(),
            Plan {
                requests: "10/s".parse().ok(),
                auth_requests: None,
                monthly_requests: Some(5),
            },
        );
        let plans = Plans::new(map);
        assert_eq!(plans.get(Some("pro")).monthly_requests, Some(5));
        assert_eq!(plans.get(Some("gold")), &Plan::builtin_default());
        assert_eq!(plans.get(None), &Plan::builtin_default());
        assert!(plans.check("pro").is_ok());
        let e = plans.check("gold").unwrap_err();
        assert!(e.message().contains("default, pro"), "{e}");
    }

    #[test]
    fn limits_parse_or_turn_off() {
        assert_eq!(parse_limit("off").unwrap(), None);
        assert_eq!(parse_limit("5/s").unwrap().unwrap().limit(), 5);
        assert!(parse_limit("five").is_err());
    }
}
