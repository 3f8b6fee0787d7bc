//! Roles: the built-in `owner`, `admin`, `editor` and `viewer`, and the
//! tenant's own. A role permits actions and inherits other roles (a holder
//! of `editor` may do what `viewer` may). In Cedar a role is the entity
//! `Role::"<name>"` whose parents are the roles it inherits, and its
//! permissions are one policy, `caas.role.<name>`:
//!
//! ```cedar
//! permit(principal in Role::"editor",
//!        action in [Action::"create", Action::"update", Action::"delete"],
//!        resource);
//! ```
//!
//! These role policies are the tenant's default policy set; they are
//! evaluated with the tenant's published policies (a `forbid` there
//! overrides them).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId};
use cedar_policy::{Entity, EntityUid, Policy, PolicyId};
use serde::{Deserialize, Serialize};

use crate::model::{EntityRef, action_uid, check_name};

/// The most permissions a role may list.
pub const MAX_PERMISSIONS: usize = 64;
/// The most roles a role may inherit.
pub const MAX_INHERITS: usize = 16;
/// The most roles a tenant may define.
pub const MAX_ROLES: usize = 256;

/// A role.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// The name (1–64 of a-z, 0-9, `_`, `-`, `.`, `:`).
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The actions it permits itself (`read`, or a uid like `Drive::Action::"read"`).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The roles whose permissions it has too.
    #[serde(default)]
    pub inherits: Vec<String>,
    /// Built in (cannot be changed or deleted).
    #[serde(default)]
    pub builtin: bool,
}

/// The built-in roles, weakest first.
pub const BUILTIN_ROLES: [&str; 4] = ["viewer", "editor", "admin", "owner"];

fn builtin(name: &str, description: &str, permissions: &[&str], inherits: &[&str]) -> RoleDef {
    RoleDef {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        inherits: inherits.iter().map(|p| (*p).to_owned()).collect(),
        builtin: true,
    }
}

/// The built-in roles and their default permissions.
pub fn builtin_roles() -> Vec<RoleDef> {
    vec![
        builtin("viewer", "Reads and lists", &["read", "list"], &[]),
        builtin(
            "editor",
            "Creates, changes and deletes; and what a viewer may",
            &["create", "update", "delete"],
            &["viewer"],
        ),
        builtin(
            "admin",
            "Shares (manages access) and administers; and what an editor may",
            &["share", "manage"],
            &["editor"],
        ),
        builtin(
            "owner",
            "Transfers ownership; and what an admin may",
            &["transfer"],
            &["admin"],
        ),
    ]
}

impl RoleDef {
    /// The role's Cedar entity (its parents are the roles it inherits).
    pub fn entity(&self) -> Result<Entity> {
        let uid = EntityRef::role(&self.name).uid()?;
        let parents = self
            .inherits
            .iter()
            .map(|r| EntityRef::role(r).uid())
            .collect::<Result<HashSet<EntityUid>>>()?;
        Ok(Entity::new_no_attrs(uid, parents))
    }

    /// The role's policy, if it permits anything itself.
    pub fn policy(&self) -> Result<Option<Policy>> {
        if self.permissions.is_empty() {
            return Ok(None);
        }
        let actions = self
            .permissions
            .iter()
            .map(|p| action_uid(p).map(|a| a.to_string()))
            .collect::<Result<Vec<_>>>()?;
        let role = EntityRef::role(&self.name).uid()?;
        let text = format!(
            "permit(principal in {role}, action in [{}], resource);",
            actions.join(", ")
        );
        Policy::parse(
            Some(PolicyId::new(format!("caas.role.{}", self.name))),
            text,
        )
        .map(Some)
        .map_err(|e| Error::internal(format!("a role policy does not parse: {e}")))
    }

    fn check(&self) -> Result<()> {
        check_name(&self.name, "name")?;
        if BUILTIN_ROLES.contains(&self.name.as_str()) {
            return Err(Error::conflict(format!(
                "`{}` is a built-in role and cannot be changed",
                self.name
            ))
            .with_code("builtin_role"));
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
        {
            return Err(
                Error::invalid_input("a description is at most 500 characters")
                    .with_field("description"),
            );
        }
        if self.permissions.len() > MAX_PERMISSIONS {
            return Err(Error::invalid_input(format!(
                "a role permits at most {MAX_PERMISSIONS} actions"
            ))
            .with_field("permissions"));
        }
        for p in &self.permissions {
            action_uid(p)?;
        }
        if self.inherits.len() > MAX_INHERITS {
            return Err(Error::invalid_input(format!(
                "a role inherits at most {MAX_INHERITS} roles"
            ))
            .with_field("inherits"));
        }
        for r in &self.inherits {
            check_name(r, "inherits")?;
        }
        Ok(())
    }
}

/// Checks that every role `roles` inherits exists and no role inherits
/// itself, directly or not.
pub(crate) fn check_hierarchy(roles: &BTreeMap<String, RoleDef>) -> Result<()> {
    for role in roles.values() {
        for parent in &role.inherits {
            if !roles.contains_key(parent) {
                return Err(Error::invalid_input(format!(
                    "role `{}` inherits `{parent}`, which does not exist",
                    role.name
                ))
                .with_field("inherits"));
            }
        }
        // Depth-first from the role: meeting it again is a cycle.
        let mut stack: Vec<&str> = role.inherits.iter().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        while let Some(r) = stack.pop() {
            if r == role.name {
                return Err(Error::invalid_input(format!(
                    "role `{}` would inherit itself",
                    role.name
                ))
                .with_field("inherits")
                .with_code("role_cycle"));
            }
            if seen.insert(r)
                && let Some(def) = roles.get(r)
            {
                stack.extend(def.inherits.iter().map(String::as_str));
            }
        }
    }
    Ok(())
}

struct StoredRole(RoleDef);

impl FromRow for StoredRole {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let permissions: String = row.get("permissions")?;
        let inherits: String = row.get("inherits")?;
        Ok(StoredRole(RoleDef {
            name: row.get("name")?,
            description: row.get("description")?,
            permissions: serde_json::from_str(&permissions)
                .map_err(|_| Error::internal("stored permissions are not JSON"))?,
            inherits: serde_json::from_str(&inherits)
                .map_err(|_| Error::internal("stored inherits are not JSON"))?,
            builtin: false,
        }))
    }
}

/// Every tenant's roles.
#[derive(Debug, Clone)]
pub struct RoleStore {
    db: Db,
    clock: SharedClock,
}

impl RoleStore {
    /// Roles in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        RoleStore { db, clock }
    }

    /// The built-in roles and the tenant's, by name.
    pub async fn all(&self, tenant: &TenantId) -> Result<BTreeMap<String, RoleDef>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let stored: Vec<StoredRole> = query(
            "SELECT name, description, permissions, inherits FROM authz_roles \
             WHERE tenant_id = $1 ORDER BY name",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        let mut all: BTreeMap<String, RoleDef> = builtin_roles()
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        for StoredRole(r) in stored {
            all.insert(r.name.clone(), r);
        }
        Ok(all)
    }

    /// Creates or replaces the tenant role `role`.
    pub async fn put(&self, tenant: &TenantId, mut role: RoleDef) -> Result<RoleDef> {
        role.check()?;
        role.builtin = false;
        role.permissions.sort();
        role.permissions.dedup();
        role.inherits.sort();
        role.inherits.dedup();
        let mut all = self.all(tenant).await?;
        let new = !all.contains_key(&role.name);
        if new && all.len() >= MAX_ROLES + BUILTIN_ROLES.len() {
            return Err(Error::invalid_input(format!(
                "a tenant may define at most {MAX_ROLES} roles"
            )));
        }
        all.insert(role.name.clone(), role.clone());
        check_hierarchy(&all)?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO authz_roles (tenant_id, name, description, permissions, inherits, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description, \
             permissions = excluded.permissions, inherits = excluded.inherits, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant)
        .bind(role.name.as_str())
        .bind(role.description.as_deref())
        .bind(serde_json::to_string(&role.permissions)?)
        .bind(serde_json::to_string(&role.inherits)?)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Deletes the tenant role `name`; a role another role inherits cannot go.
    pub async fn delete(&self, tenant: &TenantId, name: &str) -> Result<()> {
        if BUILTIN_ROLES.contains(&name) {
            return Err(Error::conflict(format!(
                "`{name}` is a built-in role and cannot be deleted"
            ))
            .with_code("builtin_role"));
        }
        let all = self.all(tenant).await?;
        if !all.contains_key(name) {
            return Err(Error::not_found(format!("role `{name}` not found")));
        }
        if let Some(heir) = all.values().find(|r| r.inherits.iter().any(|i| i == name)) {
            return Err(Error::conflict(format!(
                "role `{}` inherits `{name}`: change it first",
                heir.name
            ))
            .with_code("role_in_use"));
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        query("DELETE FROM authz_roles WHERE tenant_id = $1 AND name = $2")
            .bind(tenant)
            .bind(name)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roles_make_policies_and_a_hierarchy() {
        let all: BTreeMap<String, RoleDef> = builtin_roles()
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        check_hierarchy(&all).unwrap();
        let p = all["editor"].policy().unwrap().unwrap();
        assert_eq!(p.id().to_string(), "caas.role.editor");
        let mut cyclic = all.clone();
        if let Some(v) = cyclic.get_mut("viewer") {
            v.inherits.push("owner".into());
        }
        assert_eq!(check_hierarchy(&cyclic).unwrap_err().code(), "role_cycle");
    }
}
