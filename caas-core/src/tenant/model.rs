//! The tenant record: status, typed settings, and the inputs that create and change it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CorsSettings, TenantId, TenantSlug};
use crate::validate::truncate;
use crate::{Error, Result, Timestamp};

/// A tenant of the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// Immutable id.
    pub id: TenantId,
    /// Unique slug; stays reserved after the tenant is deleted.
    pub slug: TenantSlug,
    /// Display name.
    pub name: String,
    /// Lifecycle state.
    pub status: TenantStatus,
    /// Typed settings.
    pub settings: TenantSettings,
    /// When the tenant was created.
    pub created_at: Timestamp,
    /// When the tenant was last changed.
    pub updated_at: Timestamp,
}

impl Tenant {
    /// `Ok` if the tenant may be served: active. Suspended → forbidden,
    /// deleted → not found (a deleted tenant is gone as far as callers know).
    pub fn ensure_active(&self) -> Result<()> {
        match self.status {
            TenantStatus::Active => Ok(()),
            TenantStatus::Suspended => Err(Error::forbidden(format!(
                "tenant `{}` is suspended",
                self.slug
            ))),
            TenantStatus::Deleted => Err(Error::not_found(format!(
                "tenant `{}` not found",
                self.slug
            ))),
        }
    }
}

/// A tenant's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Serving requests.
    Active,
    /// Kept, but every request is refused until resumed.
    Suspended,
    /// Terminal: refused like an unknown tenant; the slug stays reserved so
    /// nobody can take over the deleted tenant's subdomain.
    Deleted,
}

impl TenantStatus {
    /// The stored form: `active`, `suspended`, `deleted`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Deleted => "deleted",
        }
    }

    /// Checks that a tenant in this state may move to `next`.
    ///
    /// Active and suspended move freely between each other and to deleted;
    /// deleted is terminal.
    pub fn check_transition(self, next: TenantStatus) -> Result<()> {
        if self == TenantStatus::Deleted && next != TenantStatus::Deleted {
            return Err(Error::conflict(
                "a deleted tenant cannot be resumed or suspended",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TenantStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(TenantStatus::Active),
            "suspended" => Ok(TenantStatus::Suspended),
            "deleted" => Ok(TenantStatus::Deleted),
            other => Err(Error::invalid_input(format!(
                "`{}` is not a tenant status; expected `active`, `suspended` or `deleted`",
                truncate(other)
            ))
            .with_field("status")),
        }
    }
}

/// A tenant's settings, stored as JSON and validated on every write.
///
/// Platform-wide fields are typed here; each crate keeps its own typed section
/// under `extensions` (read with [`extension`](TenantSettings::extension)).
/// Unknown top-level fields are rejected.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// The tenant's plan; rate limits and quotas are configured per plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Which browser origins may call the tenant's API.
    #[serde(default, skip_serializing_if = "CorsSettings::is_empty")]
    pub cors: CorsSettings,
    /// Per-crate settings, keyed by a component name such as `game`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

impl TenantSettings {
    /// The largest settings document accepted, serialized (64 KiB).
    pub const MAX_BYTES: usize = 64 * 1024;

    /// Checks every field; the error names the field.
    pub fn validate(&self) -> Result<()> {
        if let Some(plan) = &self.plan {
            check_identifier(plan, "settings.plan")?;
        }
        self.cors.validate()?;
        for key in self.extensions.keys() {
            check_identifier(key, "settings.extensions")?;
        }
        let size = serde_json::to_vec(self)?.len();
        if size > Self::MAX_BYTES {
            return Err(Error::invalid_input(format!(
                "settings are {size} bytes; at most {} are allowed",
                Self::MAX_BYTES
            ))
            .with_field("settings"));
        }
        Ok(())
    }

    /// Reads the section `name` of `extensions` as `T`; `None` if absent.
    pub fn extension<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        match self.extensions.get(name) {
            None => Ok(None),
            Some(v) => T::deserialize(v).map(Some).map_err(|e| {
                Error::invalid_input(format!("settings section `{name}` is invalid: {e}"))
                    .with_field(format!("settings.extensions.{name}"))
            }),
        }
    }

    /// These settings with `patch` applied as a JSON merge patch (RFC 7396):
    /// an object merges key by key, `null` removes a key, anything else
    /// replaces. The result is read and validated like a whole document
    /// (unknown fields refused, the field named).
    pub fn merged(&self, patch: &serde_json::Value) -> Result<Self> {
        if !patch.is_object() {
            return Err(
                Error::invalid_input("a settings patch must be a JSON object")
                    .with_field("settings"),
            );
        }
        let mut doc = serde_json::to_value(self)?;
        merge_patch(&mut doc, patch);
        let settings: TenantSettings = serde_json::from_value(doc).map_err(|e| {
            Error::invalid_input(format!("invalid tenant settings: {e}")).with_field("settings")
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Parses and validates settings from JSON text.
    pub fn from_json(json: &str) -> Result<Self> {
        let settings: TenantSettings = serde_json::from_str(json).map_err(|e| {
            Error::invalid_input(format!("invalid tenant settings: {e}")).with_field("settings")
        })?;
        settings.validate()?;
        Ok(settings)
    }
}

/// RFC 7396 §2: `target` becomes `target` merged with `patch`.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(fields) = target {
        for (key, value) in changes {
            if value.is_null() {
                fields.remove(key);
            } else {
                merge_patch(
                    fields.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

fn check_identifier(s: &str, field: &'static str) -> Result<()> {
    crate::validate::Identifier::new(64, &['-', '_']).check(s, field)
}

/// Validates a tenant display name: 1–200 characters after trimming, no control characters.
pub(crate) fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > 200 {
        return Err(
            Error::invalid_input("tenant name must be 1 to 200 characters long").with_field("name"),
        );
    }
    if name.chars().any(char::is_control) {
        return Err(
            Error::invalid_input("tenant name must not contain control characters")
                .with_field("name"),
        );
    }
    Ok(name.to_owned())
}

/// What it takes to create a tenant.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NewTenant {
    /// The slug; must be unused, including by deleted tenants, and meet the
    /// rules for new slugs ([`TenantSlug::new`]), checked on create.
    pub slug: TenantSlug,
    /// Display name.
    pub name: String,
    /// Initial settings.
    #[serde(default)]
    pub settings: TenantSettings,
}

impl NewTenant {
    /// A new active tenant with default settings.
    pub fn new(slug: TenantSlug, name: impl Into<String>) -> Self {
        NewTenant {
            slug,
            name: name.into(),
            settings: TenantSettings::default(),
        }
    }

    /// Replaces the initial settings.
    #[must_use]
    pub fn with_settings(mut self, settings: TenantSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Validates the input and returns the normalized name.
    pub(crate) fn validate(&self) -> Result<String> {
        // However the slug was parsed, a new tenant's slug meets the rules
        // for new slugs (not UUID-shaped, not all digits, not reserved).
        self.slug.check_new()?;
        self.settings.validate()?;
        validate_name(&self.name)
    }
}

/// A change to a tenant's name or settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdate {
    /// A new display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New settings (replacing the old ones as a whole).
    #[serde(default)]
    pub settings: Option<TenantSettings>,
}

impl TenantUpdate {
    /// Applies the update to `tenant` after validating it.
    pub(crate) fn apply_to(&self, tenant: &mut Tenant) -> Result<()> {
        if let Some(name) = &self.name {
            tenant.name = validate_name(name)?;
        }
        if let Some(settings) = &self.settings {
            settings.validate()?;
            tenant.settings = settings.clone();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn settings_reject_unknown_fields_and_bad_plans() {
        assert!(TenantSettings::from_json(r#"{"plan":"pro"}"#).is_ok());
        let e = TenantSettings::from_json(r#"{"colour":"red"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("unknown field"), "{}", e.message());
        let e = TenantSettings::from_json(r#"{"plan":"Pro Plan"}"#).unwrap_err();
        assert_eq!(e.field(), Some("settings.plan"));
    }

    #[test]
    fn settings_have_a_size_limit() {
        let big = "x".repeat(TenantSettings::MAX_BYTES);
        let json = format!(r#"{{"extensions":{{"game":"{big}"}}}}"#);
        let e = TenantSettings::from_json(&json).unwrap_err();
        assert_eq!(e.field(), Some("settings"));
    }

    #[test]
    fn extensions_read_typed_sections() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Game {
            rounds: u32,
        }
        let s = TenantSettings::from_json(r#"{"extensions":{"game":{"rounds":7}}}"#).unwrap();
        assert_eq!(
            s.extension::<Game>("game").unwrap(),
            Some(Game { rounds: 7 })
        );
        assert_eq!(s.extension::<Game>("auth").unwrap(), None);
        let bad = TenantSettings::from_json(r#"{"extensions":{"game":{"rounds":"x"}}}"#).unwrap();
        assert_eq!(
            bad.extension::<Game>("game").unwrap_err().field(),
            Some("settings.extensions.game")
        );
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(validate_name("  Acme Inc. ").unwrap(), "Acme Inc.");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"n".repeat(201)).is_err());
        assert!(validate_name("bad\u{0}name").is_err());
    }

    #[test]
    fn deleted_is_terminal() {
        use TenantStatus::*;
        assert!(Active.check_transition(Suspended).is_ok());
        assert!(Suspended.check_transition(Active).is_ok());
        assert!(Active.check_transition(Deleted).is_ok());
        let e = Deleted.check_transition(Active).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }

    #[test]
    fn status_parses_its_stored_form() {
        for s in [
            TenantStatus::Active,
            TenantStatus::Suspended,
            TenantStatus::Deleted,
        ] {
            assert_eq!(s.as_str().parse::<TenantStatus>().unwrap(), s);
        }
        assert_eq!(
            "gone".parse::<TenantStatus>().unwrap_err().field(),
            Some("status")
        );
    }

    /// RFC 7396 Appendix A's examples, then settings-specific behaviour.
    #[test]
    fn merge_patch_follows_rfc_7396() {
        use serde_json::json;
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (original, patch, result) in cases {
            let mut doc = original.clone();
            merge_patch(&mut doc, &patch);
            assert_eq!(doc, result, "{original} + {patch}");
        }

        let mut s = TenantSettings {
            plan: Some("gold".into()),
            ..TenantSettings::default()
        };
        s.extensions.insert(
            "auth".into(),
            json!({ "allow_registration": true, "allow_guests": true }),
        );
        let m = s
            .merged(&json!({ "extensions": { "auth": { "allow_guests": null } } }))
            .unwrap();
        assert_eq!(m.plan.as_deref(), Some("gold"));
        assert_eq!(m.extensions["auth"], json!({ "allow_registration": true }));
        let e = s.merged(&json!({ "colour": "red" })).unwrap_err();
        assert_eq!(e.field(), Some("settings"));
        let e = s.merged(&json!({ "plan": "Not An Id" })).unwrap_err();
        assert_eq!(e.field(), Some("settings.plan"));
        assert!(s.merged(&json!([1])).is_err());
        assert_eq!(s.merged(&json!({})).unwrap(), s);
    }
}
