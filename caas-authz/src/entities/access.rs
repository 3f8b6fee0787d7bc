//! Access on resources in the built-in store: access entries (a principal
//! holds a role on a resource and, unless inheritance is broken, below it)
//! and cross-tenant grants (the same, for another tenant's principal).

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Error, Result, TenantId, Timestamp, new_id};
use serde::Serialize;

use super::{MAX_ACCESS_ENTRIES, SqlEntities, touch};
use crate::model::{EntityRef, FOREIGN_USER};

/// An access entry: `principal` holds `role` on `resource` (and below it,
/// unless a descendant breaks inheritance). With `grantee_tenant` set, a
/// cross-tenant grant to a principal of that tenant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// The entry's id.
    pub id: String,
    /// The resource.
    pub resource: EntityRef,
    /// Who: a user, group or service of the tenant, or a foreign user.
    pub principal: EntityRef,
    /// The role held.
    pub role: String,
    /// For a cross-tenant grant: the grantee's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_tenant: Option<TenantId>,
    /// Who added it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

impl FromRow for AccessEntry {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let grantee: Option<String> = row.get("grantee_tenant")?;
        Ok(AccessEntry {
            id: row.get("id")?,
            resource: EntityRef::new(
                row.get::<String>("resource_type")?,
                row.get::<String>("resource_id")?,
            ),
            principal: EntityRef::new(
                row.get::<String>("principal_type")?,
                row.get::<String>("principal_id")?,
            ),
            role: row.get("role")?,
            grantee_tenant: grantee.map(|g| g.parse::<TenantId>()).transpose()?,
            created_by: row.get("created_by")?,
            created_at: row.timestamp("created_at")?,
        })
    }
}

impl SqlEntities {
    /// Adds an access entry on `resource` (creating the resource entity
    /// without attributes if it is new). The same principal, role and
    /// resource twice is a 409.
    pub async fn add_access(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
        principal: &EntityRef,
        role: &str,
        grantee_tenant: Option<&TenantId>,
        by: Option<&str>,
    ) -> Result<AccessEntry> {
        resource.uid()?;
        principal.uid()?;
        if resource.is_role() || resource.ty == FOREIGN_USER {
            return Err(
                Error::invalid_input(format!("{resource} is not a resource"))
                    .with_field("resource"),
            );
        }
        if principal.is_role() {
            return Err(Error::invalid_input(
                "access is given to users, groups and services, not to roles",
            )
            .with_field("principal"));
        }
        if (principal.ty == FOREIGN_USER) != grantee_tenant.is_some() {
            return Err(Error::invalid_input(
                "principals of other tenants get access through cross-tenant grants",
            )
            .with_field("principal"));
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let count: Scalar<i64> = query(
            "SELECT COUNT(*) FROM authz_access WHERE tenant_id = $1 AND resource_type = $2 AND resource_id = $3",
        )
        .bind(tenant)
        .bind(resource.ty.as_str())
        .bind(resource.id.as_str())
        .fetch_one(&mut tx)
        .await?;
        if count.0 >= i64::try_from(MAX_ACCESS_ENTRIES).unwrap_or(i64::MAX) {
            return Err(Error::invalid_input(format!(
                "{resource} already has {MAX_ACCESS_ENTRIES} access entries"
            )));
        }
        let now = self.clock.now();
        let id = new_id(self.clock.as_ref()).simple().to_string();
        touch(&mut tx, tenant, resource, now).await?;
        query(
            "INSERT INTO authz_access (tenant_id, id, resource_type, resource_id, principal_type, \
             principal_id, role, grantee_tenant, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant)
        .bind(id.as_str())
        .bind(resource.ty.as_str())
        .bind(resource.id.as_str())
        .bind(principal.ty.as_str())
        .bind(principal.id.as_str())
        .bind(role)
        .bind(grantee_tenant.map(ToString::to_string))
        .bind(by)
        .bind(now)
        .execute(&mut tx)
        .await
        .map_err(|e| {
            if e.kind() == caas_core::ErrorKind::Conflict {
                Error::conflict(format!("{principal} already holds `{role}` on {resource}"))
                    .with_code("access_exists")
            } else {
                e
            }
        })?;
        tx.commit().await?;
        Ok(AccessEntry {
            id,
            resource: resource.clone(),
            principal: principal.clone(),
            role: role.to_owned(),
            grantee_tenant: grantee_tenant.copied(),
            created_by: by.map(str::to_owned),
            created_at: now,
        })
    }

    /// Removes access entry `id` (of any kind when `grants` is `None`, only
    /// grants or only plain entries otherwise); the entry, if it existed.
    pub async fn remove_access(
        &self,
        tenant: &TenantId,
        id: &str,
        grants: Option<bool>,
    ) -> Result<Option<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let entry: Option<AccessEntry> = query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
             grantee_tenant, created_by, created_at FROM authz_access WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut tx)
        .await?;
        let Some(entry) = entry.filter(|e| grants.is_none_or(|g| g == e.grantee_tenant.is_some()))
        else {
            return Ok(None);
        };
        query("DELETE FROM authz_access WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        touch(&mut tx, tenant, &entry.resource, self.clock.now()).await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// The access entries on `resource`.
    pub async fn access_on(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = access_rows(&mut tx, tenant, resource).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The access entries `principal` holds (on any resource), oldest first.
    pub async fn access_held_by(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
             grantee_tenant, created_by, created_at FROM authz_access \
             WHERE tenant_id = $1 AND principal_type = $2 AND principal_id = $3 ORDER BY created_at, id",
        )
        .bind(tenant)
        .bind(principal.ty.as_str())
        .bind(principal.id.as_str())
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The tenant's cross-tenant grants, newest first (at most 1,000).
    pub async fn grants(&self, tenant: &TenantId) -> Result<Vec<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
             grantee_tenant, created_by, created_at FROM authz_access \
             WHERE tenant_id = $1 AND grantee_tenant IS NOT NULL ORDER BY created_at DESC, id LIMIT 1000",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }
}

/// The access entries on `resource`, oldest first.
pub(super) async fn access_rows(
    tx: &mut caas_core::sql::Tx,
    tenant: &TenantId,
    resource: &EntityRef,
) -> Result<Vec<AccessEntry>> {
    query(
        "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
         grantee_tenant, created_by, created_at FROM authz_access \
         WHERE tenant_id = $1 AND resource_type = $2 AND resource_id = $3 ORDER BY created_at, id",
    )
    .bind(tenant)
    .bind(resource.ty.as_str())
    .bind(resource.id.as_str())
    .fetch_all(tx)
    .await
}
