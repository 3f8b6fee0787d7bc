//! Attenuation: a derived credential carries at most what its owner may do.
//!
//! CAAS's own routes accept a scope *instead of* a tenant role
//! (`scope_or_role`). A scope therefore stands for a right, and a credential
//! may carry it only while its owner holds the role behind it:
//!
//! - [`PLATFORM_SCOPES`] lists every scope CAAS itself gives meaning to and
//!   the tenant role its owner must hold;
//! - [`RoleLookup`] answers which tenant roles a principal holds *now*
//!   (caas-authz's engine: the credential's roles plus assignments, with
//!   inheritance); [`CredentialRoles`] is the fallback without an engine;
//! - [`withheld`] names the scopes of a request its owner could not exercise.
//!
//! Scopes CAAS does not know (an application's `orders:read`) open no CAAS
//! route; applications that give them meaning decide who may hold them
//! (the principal's [`owner`](crate::Principal::owner) tells them whose
//! credential it is).

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Principal, Result, TenantId};

/// The tenant role that administers a tenant: held by a tenant's first
/// administrator, and needed by every tenant-wide scope below.
pub const TENANT_ADMIN_ROLE: &str = "admin";

/// Every scope CAAS gives meaning to, and the tenant role its owner must
/// hold for a credential to carry it.
pub const PLATFORM_SCOPES: &[(&str, &str)] = &[
    ("tenant:read", "admin"),
    ("tenant:write", "admin"),
    ("webhooks:read", "admin"),
    ("webhooks:write", "admin"),
    ("authz:check", "admin"),
    ("authz:read", "admin"),
    ("authz:write", "admin"),
];

/// The tenant role that `scope` requires of its owner; `None` for a scope
/// CAAS gives no meaning to.
pub fn required_role(scope: &str) -> Option<&'static str> {
    PLATFORM_SCOPES
        .iter()
        .find(|(s, _)| *s == scope)
        .map(|(_, role)| *role)
}

/// Whether `scope` is one of CAAS's own.
pub fn is_platform_scope(scope: &str) -> bool {
    required_role(scope).is_some()
}

/// The scopes of `scopes` that an owner holding the roles `held` could not
/// exercise, in order and without repeats.
pub fn withheld<'a>(
    scopes: impl IntoIterator<Item = &'a String>,
    held: &BTreeSet<String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        if required_role(scope).is_some_and(|role| !held.contains(role))
            && !out.iter().any(|s| s == scope)
        {
            out.push(scope.clone());
        }
    }
    out
}

/// Which tenant roles a principal holds now.
#[async_trait]
pub trait RoleLookup: Send + Sync + Debug {
    /// The roles `principal` holds in `tenant` (with inheritance).
    async fn held_roles(
        &self,
        tenant: &TenantId,
        principal: &Principal,
    ) -> Result<BTreeSet<String>>;
}

/// A shared [`RoleLookup`].
pub type SharedRoleLookup = Arc<dyn RoleLookup>;

/// The roles the credential itself carries, nothing assigned: the lookup
/// when no authorization engine is plugged in.
#[derive(Debug, Clone, Copy, Default)]
pub struct CredentialRoles;

#[async_trait]
impl RoleLookup for CredentialRoles {
    async fn held_roles(
        &self,
        tenant: &TenantId,
        principal: &Principal,
    ) -> Result<BTreeSet<String>> {
        if principal.tenant != Some(*tenant) {
            return Ok(BTreeSet::new());
        }
        Ok(principal.roles.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, PrincipalKind, Timestamp};

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn platform_scopes_need_their_role_and_others_pass() {
        let asked: Vec<String> = ["authz:write", "orders:read", "authz:write", "tenant:read"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            withheld(&asked, &set(&["viewer"])),
            vec!["authz:write".to_owned(), "tenant:read".to_owned()]
        );
        assert!(withheld(&asked, &set(&["admin"])).is_empty());
        assert_eq!(required_role("orders:read"), None);
        assert!(is_platform_scope("webhooks:write"));
    }

    #[tokio::test]
    async fn credential_roles_count_only_in_the_home_tenant() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let home = TenantId::generate(&clock);
        let other = TenantId::generate(&clock);
        let p = Principal::new("u", Some(home), PrincipalKind::User).with_role("admin");
        assert_eq!(
            CredentialRoles.held_roles(&home, &p).await.unwrap(),
            set(&["admin"])
        );
        assert!(
            CredentialRoles
                .held_roles(&other, &p)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
