//! [`Principal`]: who is making a request, as every crate sees it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::TenantId;

/// What kind of actor a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person with an account.
    User,
    /// A machine: an API key, a client-credentials client, the platform admin.
    Service,
    /// An anonymous or temporary visitor.
    Guest,
}

/// An authenticated actor: subject, tenant, kind, roles, scopes and attributes.
///
/// Built by an authenticator once credentials are verified; read by
/// authorization, audit and every handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
    /// Stable subject id within the tenant (a user id, a key id…).
    pub subject: String,
    /// The tenant the principal belongs to; `None` for platform-level actors.
    pub tenant: Option<TenantId>,
    /// What kind of actor this is.
    pub kind: PrincipalKind,
    /// Role names.
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// OAuth-style scopes granted to the credentials.
    #[serde(default)]
    pub scopes: BTreeSet<String>,
    /// Further attributes for attribute-based policies.
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// The user a derived credential acts for (an API key's owner, a token
    /// exchanged for one): its rights are capped by the owner's rights at
    /// every use, and it dies with its owner. `None` for credentials that
    /// are their own principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Principal {
    /// The attribute `name` when it is a string (`sid`, `email`, …).
    pub fn text_attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(|v| v.as_str())
    }

    /// How the principal authenticated (the `amr` attribute: `pwd`, `mfa`,
    /// `fed`, …); empty when unknown.
    pub fn amr(&self) -> Vec<String> {
        self.attributes
            .get("amr")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A principal with no roles, scopes or attributes.
    pub fn new(subject: impl Into<String>, tenant: Option<TenantId>, kind: PrincipalKind) -> Self {
        Principal {
            subject: subject.into(),
            tenant,
            kind,
            roles: BTreeSet::new(),
            scopes: BTreeSet::new(),
            attributes: serde_json::Map::new(),
            owner: None,
        }
    }

    /// Marks the principal as a credential derived from the user `owner`.
    #[must_use]
    pub fn owned_by(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Adds a role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.insert(role.into());
        self
    }

    /// Adds a scope.
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.insert(scope.into());
        self
    }

    /// Sets an attribute.
    #[must_use]
    pub fn with_attribute(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.attributes.insert(key.into(), value);
        self
    }

    /// Whether the principal has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// Whether the principal's credentials carry `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Whether the principal belongs to `tenant`.
    pub fn is_in_tenant(&self, tenant: &TenantId) -> bool {
        self.tenant.as_ref() == Some(tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, Timestamp};

    #[test]
    fn principal_answers_membership_questions() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let t = TenantId::generate(&clock);
        let other = TenantId::generate(&clock);
        let p = Principal::new("user-1", Some(t), PrincipalKind::User)
            .with_role("admin")
            .with_scope("games:write")
            .with_attribute("department", serde_json::json!("sales"));
        assert!(p.has_role("admin") && !p.has_role("owner"));
        assert!(p.has_scope("games:write") && !p.has_scope("games:read"));
        assert!(p.is_in_tenant(&t) && !p.is_in_tenant(&other));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["kind"], "user");
        assert_eq!(serde_json::from_value::<Principal>(json).unwrap(), p);
    }
}
