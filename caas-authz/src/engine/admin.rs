//! [`AuthzAdmin`]: a tenant's authorization data, read and written through
//! the engine — policy versions, roles and role assignments, entities,
//! access entries and cross-tenant grants. Each write goes to its store,
//! then drops what it changed from the caches of every instance; role
//! assignments and grants are also announced to integrators
//! (`role.granted`, `role.revoked`, `grant.created`, `grant.revoked`).

use caas_core::{Error, Result, TenantId};
use serde_json::Value;

use super::Engine;
use crate::entities::{AccessEntry, EntityInput, EntityRecord};
use crate::model::EntityRef;
use crate::roles::RoleDef;
use crate::store::{Checked, PolicyDraft, PolicyVersion};

/// The administration of every tenant's authorization data, from
/// [`Engine::admin`]. It checks its input, not who asks.
#[derive(Debug, Clone, Copy)]
pub struct AuthzAdmin<'a> {
    engine: &'a Engine,
}

/// The payload of `grant.created` and `grant.revoked`: ids only.
fn grant_event(entry: &AccessEntry, grantee: &TenantId) -> Value {
    serde_json::json!({
        "grant_id": entry.id,
        "grantee_tenant": grantee,
        "principal": entry.principal.to_string(),
        "role": entry.role,
        "resource": entry.resource.to_string(),
    })
}

impl<'a> AuthzAdmin<'a> {
    pub(super) fn new(engine: &'a Engine) -> Self {
        AuthzAdmin { engine }
    }

    /// Publishes a tenant event for integrators (webhooks); best effort.
    async fn announce(&self, tenant: &TenantId, event_type: &str, data: Value) {
        let inner = &self.engine.0;
        if let Some(bus) = &inner.events {
            caas_core::Envelope::new(inner.clock.as_ref(), *tenant, event_type, data)
                .publish_or_log(bus.as_ref())
                .await;
        }
    }

    async fn changed(&self, tenant: &TenantId, policies: bool, entities: Vec<EntityRef>) {
        self.engine.changed(tenant, policies, entities).await;
    }

    async fn known_role(&self, tenant: &TenantId, role: &str) -> Result<()> {
        if self.engine.0.roles.all(tenant).await?.contains_key(role) {
            Ok(())
        } else {
            Err(Error::not_found(format!("role `{role}` not found")))
        }
    }

    // ---- policies -----------------------------------------------------

    /// Publishes a new policy version (see
    /// [`PolicyStore::publish`](crate::PolicyStore::publish)).
    pub async fn publish_policies(
        &self,
        tenant: &TenantId,
        draft: &PolicyDraft,
        replaces: Option<i64>,
        by: Option<&str>,
    ) -> Result<(PolicyVersion, Checked)> {
        let out = self
            .engine
            .0
            .policies
            .publish(tenant, draft, replaces, by)
            .await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(out)
    }

    /// Publishes version `to`'s content again.
    pub async fn rollback_policies(
        &self,
        tenant: &TenantId,
        to: i64,
        by: Option<&str>,
    ) -> Result<(PolicyVersion, Checked)> {
        let out = self.engine.0.policies.rollback(tenant, to, by).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(out)
    }

    // ---- roles --------------------------------------------------------

    /// The built-in and the tenant's roles.
    pub async fn roles(&self, tenant: &TenantId) -> Result<Vec<RoleDef>> {
        Ok(self
            .engine
            .0
            .roles
            .all(tenant)
            .await?
            .into_values()
            .collect())
    }

    /// Creates or replaces a tenant role.
    pub async fn put_role(&self, tenant: &TenantId, role: RoleDef) -> Result<RoleDef> {
        let role = self.engine.0.roles.put(tenant, role).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(role)
    }

    /// Deletes a tenant role.
    pub async fn delete_role(&self, tenant: &TenantId, name: &str) -> Result<()> {
        self.engine.0.roles.delete(tenant, name).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(())
    }

    /// Assigns `role` to `principal` (a user, group or service) in the tenant.
    pub async fn assign_role(
        &self,
        tenant: &TenantId,
        role: &str,
        principal: &EntityRef,
    ) -> Result<()> {
        self.known_role(tenant, role).await?;
        self.engine
            .0
            .store
            .add_parent(tenant, principal, &EntityRef::role(role))
            .await?;
        self.changed(tenant, false, vec![principal.clone()]).await;
        self.announce(
            tenant,
            "role.granted",
            serde_json::json!({ "role": role, "principal": principal.to_string() }),
        )
        .await;
        Ok(())
    }

    /// Removes `role` from `principal`; 404 when it did not hold it.
    pub async fn unassign_role(
        &self,
        tenant: &TenantId,
        role: &str,
        principal: &EntityRef,
    ) -> Result<()> {
        if !self
            .engine
            .0
            .store
            .remove_parent(tenant, principal, &EntityRef::role(role))
            .await?
        {
            return Err(Error::not_found(format!(
                "{principal} does not hold role `{role}`"
            )));
        }
        self.changed(tenant, false, vec![principal.clone()]).await;
        self.announce(
            tenant,
            "role.revoked",
            serde_json::json!({ "role": role, "principal": principal.to_string() }),
        )
        .await;
        Ok(())
    }

    /// Who holds `role` directly (at most 1,000).
    pub async fn role_holders(&self, tenant: &TenantId, role: &str) -> Result<Vec<EntityRef>> {
        self.known_role(tenant, role).await?;
        self.engine
            .0
            .store
            .children(tenant, &EntityRef::role(role))
            .await
    }

    // ---- entities -----------------------------------------------------

    /// Entity `uid` as the engine reads it.
    pub async fn get_entity(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
    ) -> Result<Option<EntityRecord>> {
        uid.uid()?;
        self.engine.0.provider.entity(tenant, uid).await
    }

    /// Creates or replaces an entity of the built-in store.
    pub async fn put_entity(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
        input: &EntityInput,
    ) -> Result<EntityRecord> {
        let record = self.engine.0.store.put(tenant, uid, input).await?;
        self.changed(tenant, false, vec![uid.clone()]).await;
        Ok(record)
    }

    /// Deletes an entity of the built-in store.
    pub async fn delete_entity(&self, tenant: &TenantId, uid: &EntityRef) -> Result<()> {
        uid.uid()?;
        let changed = self
            .engine
            .0
            .store
            .delete(tenant, uid)
            .await?
            .ok_or_else(|| Error::not_found(format!("entity {uid} not found")))?;
        self.changed(tenant, false, changed).await;
        Ok(())
    }

    /// The access entries `principal` holds on any resource.
    pub async fn access_held_by(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        principal.uid()?;
        self.engine.0.store.access_held_by(tenant, principal).await
    }

    /// Deletes `principal`'s entity (its parents: groups and roles) and
    /// every access entry it holds; returns how many records went.
    pub async fn erase_principal(&self, tenant: &TenantId, principal: &EntityRef) -> Result<u64> {
        principal.uid()?;
        let store = &self.engine.0.store;
        let held = store.access_held_by(tenant, principal).await?;
        let mut records = held.len() as u64;
        let mut changed = match store.delete(tenant, principal).await? {
            Some(changed) => {
                records += 1;
                changed
            }
            None => Vec::new(),
        };
        // Without an entity its entries stay; remove them one by one.
        for entry in store.access_held_by(tenant, principal).await? {
            if let Some(gone) = store.remove_access(tenant, &entry.id, None).await? {
                changed.push(gone.resource);
            }
        }
        changed.push(principal.clone());
        self.changed(tenant, false, changed).await;
        Ok(records)
    }

    // ---- access entries and grants ------------------------------------

    /// The access entries on `resource`.
    pub async fn access_on(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        resource.uid()?;
        self.engine.0.store.access_on(tenant, resource).await
    }

    /// Gives `principal` (of this tenant) `role` on `resource`.
    pub async fn add_access(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
        principal: &EntityRef,
        role: &str,
        by: Option<&str>,
    ) -> Result<AccessEntry> {
        self.known_role(tenant, role).await?;
        let entry = self
            .engine
            .0
            .store
            .add_access(tenant, resource, principal, role, None, by)
            .await?;
        self.changed(tenant, false, vec![resource.clone()]).await;
        Ok(entry)
    }

    /// Removes access entry `id` (not a grant).
    pub async fn remove_access(&self, tenant: &TenantId, id: &str) -> Result<AccessEntry> {
        let entry = self
            .engine
            .0
            .store
            .remove_access(tenant, id, Some(false))
            .await?
            .ok_or_else(|| Error::not_found(format!("access entry `{id}` not found")))?;
        self.changed(tenant, false, vec![entry.resource.clone()])
            .await;
        Ok(entry)
    }

    /// Grants `subject` of tenant `grantee` `role` on `resource` of `tenant`.
    pub async fn grant(
        &self,
        tenant: &TenantId,
        grantee: &TenantId,
        subject: &str,
        role: &str,
        resource: &EntityRef,
        by: Option<&str>,
    ) -> Result<AccessEntry> {
        if grantee == tenant {
            return Err(Error::invalid_input(
                "a grant is for another tenant's principal: give access within a tenant with an access entry",
            )
            .with_field("grantee_tenant"));
        }
        self.known_role(tenant, role).await?;
        let principal = EntityRef::foreign(grantee, subject);
        let entry = self
            .engine
            .0
            .store
            .add_access(tenant, resource, &principal, role, Some(grantee), by)
            .await?;
        self.changed(tenant, false, vec![resource.clone()]).await;
        self.announce(tenant, "grant.created", grant_event(&entry, grantee))
            .await;
        Ok(entry)
    }

    /// Revokes grant `id`.
    pub async fn revoke_grant(&self, tenant: &TenantId, id: &str) -> Result<AccessEntry> {
        let entry = self
            .engine
            .0
            .store
            .remove_access(tenant, id, Some(true))
            .await?
            .ok_or_else(|| Error::not_found(format!("grant `{id}` not found")))?;
        self.changed(tenant, false, vec![entry.resource.clone()])
            .await;
        if let Some(grantee) = entry.grantee_tenant {
            self.announce(tenant, "grant.revoked", grant_event(&entry, &grantee))
                .await;
        }
        Ok(entry)
    }

    /// The tenant's grants to other tenants' principals.
    pub async fn grants(&self, tenant: &TenantId) -> Result<Vec<AccessEntry>> {
        self.engine.0.store.grants(tenant).await
    }
}
