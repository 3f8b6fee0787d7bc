//! Sharing with a ceiling: [`Engine::share`] and [`Engine::unshare`] change
//! a resource's access entries on behalf of a principal, who grants at most
//! the role it holds on that resource (its own entries there and above,
//! its tenant roles, with inheritance: an `owner` may grant `editor`) and
//! cannot remove an entry whose role it does not hold itself. The tenant's
//! administrators keep full power.

use std::collections::BTreeSet;

use caas_core::{Error, Principal, Result, TenantId};

use crate::engine::Engine;
use crate::entities::AccessEntry;
use crate::model::EntityRef;

/// The tenant role that may share anything.
const TENANT_ADMIN: &str = caas_core::TENANT_ADMIN_ROLE;

impl Engine {
    /// The roles `principal` holds on `resource`: its tenant roles and the
    /// access entries on the resource and the ancestors it inherits from,
    /// with everything those roles inherit.
    pub async fn roles_on(
        &self,
        tenant: &TenantId,
        principal: &Principal,
        resource: &EntityRef,
    ) -> Result<BTreeSet<String>> {
        if principal.tenant != Some(*tenant) {
            return Ok(BTreeSet::new());
        }
        let me = EntityRef::principal(principal, tenant);
        let prepared = self
            .prepare(tenant, &me, &principal.roles, resource)
            .await?;
        Ok(prepared.roles.into_iter().collect())
    }

    /// Whether `by` may give or take away `role` on `resource`; `None` is
    /// the platform (its administrator, or the system itself).
    async fn may_share(
        &self,
        tenant: &TenantId,
        by: Option<&Principal>,
        resource: &EntityRef,
        role: &str,
    ) -> Result<bool> {
        let Some(by) = by else { return Ok(true) };
        if by.tenant != Some(*tenant) {
            return Ok(false);
        }
        let me = EntityRef::principal(by, tenant);
        if self
            .tenant_roles(tenant, &me, &by.roles)
            .await?
            .contains(TENANT_ADMIN)
        {
            return Ok(true);
        }
        Ok(self.roles_on(tenant, by, resource).await?.contains(role))
    }

    /// Gives `principal` `role` on `resource` on behalf of `by` (`None`:
    /// the platform): 403
    /// `share_above_own_role` when `by` does not hold `role` there.
    pub async fn share(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
        principal: &EntityRef,
        role: &str,
        by: Option<&Principal>,
    ) -> Result<AccessEntry> {
        if !self.may_share(tenant, by, resource, role).await? {
            return Err(Error::forbidden(format!(
                "you may share at most the role you hold on {resource}, not `{role}`"
            ))
            .with_code("share_above_own_role")
            .with_field("role"));
        }
        self.admin()
            .add_access(
                tenant,
                resource,
                principal,
                role,
                by.map(|b| b.subject.as_str()),
            )
            .await
    }

    /// Removes access entry `id` from `resource` on behalf of `by`: 404
    /// when it is not an entry (not a grant) on that resource, 403
    /// `share_above_own_role` when its role is one `by` does not hold there.
    pub async fn unshare(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
        id: &str,
        by: Option<&Principal>,
    ) -> Result<AccessEntry> {
        let entry = self
            .admin()
            .access_on(tenant, resource)
            .await?
            .into_iter()
            .find(|e| e.id == id && e.grantee_tenant.is_none())
            .ok_or_else(|| {
                Error::not_found(format!("access entry `{id}` not found on {resource}"))
            })?;
        if !self.may_share(tenant, by, resource, &entry.role).await? {
            return Err(Error::forbidden(format!(
                "you may not remove an entry with the role `{}`, which you do not hold on {resource}",
                entry.role
            ))
            .with_code("share_above_own_role"));
        }
        self.admin().remove_access(tenant, id).await
    }
}
