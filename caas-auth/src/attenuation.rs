//! [`Attenuation`]: a derived credential is an attenuation of its owner.
//!
//! An API key, a token exchanged for one, an OAuth access token issued for
//! a user, a ticket and a guest token carry at most what their owner may do
//! *when they are used*, and die with the owner:
//!
//! - **when made** ([`Attenuation::check_grant`]): only users make API keys,
//!   and a CAAS platform scope (see [`caas_core::rights`]) the owner could
//!   not exercise is 403 `insufficient_scope` naming it;
//! - **when issued for a user** ([`Attenuation::cap`]): an OAuth token gets
//!   requested ∩ client-allowed ∩ user-held scopes;
//! - **at every use** ([`Attenuation::at_use`], run by the gateway's
//!   authenticators): a derived principal's owner must be an active user of
//!   the tenant (401 otherwise) and its platform scopes are cut to the
//!   owner's current roles, so demoting the owner shrinks the credential
//!   at once. A principal that is its own owner (a user's or guest's token)
//!   keeps only the platform scopes it holds the roles for.
//!
//! A service principal without an owner (the tenant's client-credentials
//! clients, which only tenant administrators register) acts on its scopes.

use std::sync::Arc;

use caas_core::rights::{is_platform_scope, withheld};
use caas_core::{
    CredentialRoles, Error, Principal, PrincipalKind, Result, SharedRoleLookup, TenantId,
};
use uuid::Uuid;

use crate::service::roles;
use crate::users::{User, UserStatus, UserStore};

/// Caps derived credentials by their owner's rights.
#[derive(Debug, Clone)]
pub struct Attenuation {
    users: Arc<dyn UserStore>,
    roles: SharedRoleLookup,
}

fn owner_gone() -> Error {
    Error::invalid_token("the owner of these credentials is no longer an active user")
}

impl Attenuation {
    /// Owners found in `users`, their roles answered by `roles` (caas-authz's
    /// engine on a server; [`CredentialRoles`] without one).
    pub fn new(users: Arc<dyn UserStore>, roles: SharedRoleLookup) -> Self {
        Attenuation { users, roles }
    }

    /// Owners found in `users`, holding the roles their accounts carry.
    pub fn without_engine(users: Arc<dyn UserStore>) -> Self {
        Attenuation::new(users, Arc::new(CredentialRoles))
    }

    /// The principal of user `user` as of now: their account's roles.
    pub fn user_principal(user: &User) -> Principal {
        let mut p = Principal::new(
            user.id.to_string(),
            Some(user.tenant_id),
            PrincipalKind::User,
        );
        p.roles = roles(user).into_iter().collect();
        p
    }

    /// The active user `id` of `tenant`, if there is one.
    async fn active_user(&self, tenant: &TenantId, id: &str) -> Result<Option<User>> {
        let Ok(id) = id.parse::<Uuid>() else {
            return Ok(None);
        };
        Ok(self
            .users
            .get(tenant, id)
            .await?
            .filter(|u| u.status == UserStatus::Active))
    }

    /// The scopes of `scopes` that `owner` could not exercise in `tenant`.
    pub async fn withheld(
        &self,
        tenant: &TenantId,
        owner: &Principal,
        scopes: &[String],
    ) -> Result<Vec<String>> {
        if !scopes.iter().any(|s| is_platform_scope(s)) {
            return Ok(Vec::new());
        }
        let held = self.roles.held_roles(tenant, owner).await?;
        Ok(withheld(scopes, &held))
    }

    /// Whether `owner` may make a credential carrying `scopes`: 403
    /// `credential_not_allowed` for guests and services, 401 when the
    /// account is no longer active, 403 `insufficient_scope` naming the
    /// first scope beyond the owner's current rights.
    pub async fn check_grant(
        &self,
        tenant: &TenantId,
        owner: &Principal,
        scopes: &[String],
    ) -> Result<()> {
        if owner.kind != PrincipalKind::User || owner.owner.is_some() {
            return Err(Error::forbidden(
                "only a signed-in user may make credentials: guests, services and API keys may not",
            )
            .with_code("credential_not_allowed"));
        }
        // The owner as the account stands now, not as the caller's token
        // remembers it.
        let now = self
            .active_user(tenant, &owner.subject)
            .await?
            .map(|u| Self::user_principal(&u))
            .ok_or_else(owner_gone)?;
        if let Some(scope) = self.withheld(tenant, &now, scopes).await?.first() {
            return Err(Error::forbidden(format!(
                "the scope `{scope}` is beyond what you may do in this tenant"
            ))
            .with_code("insufficient_scope")
            .with_field("scopes"));
        }
        Ok(())
    }

    /// `scopes` without those `owner` could not exercise (for tokens issued
    /// for a user).
    pub async fn cap(
        &self,
        tenant: &TenantId,
        owner: &Principal,
        scopes: &[String],
    ) -> Result<Vec<String>> {
        let withheld = self.withheld(tenant, owner, scopes).await?;
        Ok(scopes
            .iter()
            .filter(|s| !withheld.contains(s))
            .cloned()
            .collect())
    }

    /// The principal `p` may act as in `tenant` now: a derived credential
    /// whose owner is gone is 401; platform scopes beyond the owner's
    /// current roles are dropped.
    pub async fn at_use(&self, tenant: &TenantId, mut p: Principal) -> Result<Principal> {
        let owner = match (&p.owner, p.kind) {
            (Some(owner), _) => {
                let user = self
                    .active_user(tenant, owner)
                    .await?
                    .ok_or_else(owner_gone)?;
                Self::user_principal(&user)
            }
            (None, PrincipalKind::Service) => return Ok(p),
            (None, _) => p.clone(),
        };
        let scopes: Vec<String> = p.scopes.iter().cloned().collect();
        for s in self.withheld(tenant, &owner, &scopes).await? {
            p.scopes.remove(&s);
        }
        Ok(p)
    }

    /// Whether the principal a ticket was issued to is still alive: a
    /// user's account active, a derived credential's owner active.
    pub async fn alive(&self, tenant: &TenantId, p: &Principal) -> Result<()> {
        let user = match (&p.owner, p.kind) {
            (Some(owner), _) => owner,
            (None, PrincipalKind::User) => &p.subject,
            _ => return Ok(()),
        };
        self.active_user(tenant, user)
            .await?
            .map(|_| ())
            .ok_or_else(owner_gone)
    }
}
