//! [`SqlTenantStore`]: the tenant registry on SQLite or PostgreSQL.

use async_trait::async_trait;

use super::store::{Page, TenantStore, not_found, slug_taken};
use super::{NewTenant, Tenant, TenantId, TenantSettings, TenantSlug, TenantStatus, TenantUpdate};
use crate::Tx;
use crate::sql::{Db, FromRow, Row, query};
use crate::{Error, Result, SharedClock};

/// Tenants in the `tenants` table (a platform table, not tenant-owned).
#[derive(Debug, Clone)]
pub struct SqlTenantStore {
    db: Db,
    clock: SharedClock,
}

impl SqlTenantStore {
    /// A store on `db`, which must be migrated with [`crate::MIGRATIONS`].
    pub fn new(db: Db, clock: SharedClock) -> Self {
        SqlTenantStore { db, clock }
    }
}

impl FromRow for Tenant {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let settings: String = row.get("settings")?;
        // Leniently: a slug stored before today's rules for new slugs (a
        // reserved word, all digits, UUID-shaped) still loads.
        let slug: String = row.get("slug")?;
        let slug = TenantSlug::from_stored(&slug).map_err(|e| {
            Error::internal(format!(
                "a stored tenant slug is unreadable: {}",
                e.message()
            ))
        })?;
        Ok(Tenant {
            id: row.parse("id")?,
            slug,
            name: row.get("name")?,
            status: row.parse("status")?,
            settings: serde_json::from_str::<TenantSettings>(&settings).map_err(|e| {
                Error::internal(format!("stored tenant settings are unreadable: {e}"))
            })?,
            created_at: row.timestamp("created_at")?,
            updated_at: row.timestamp("updated_at")?,
        })
    }
}

/// Reads tenant `id` inside `tx` (which holds the write lock on SQLite).
async fn load(tx: &mut Tx, id: &TenantId) -> Result<Tenant> {
    query(
        "SELECT id, slug, name, status, settings, created_at, updated_at \
         FROM tenants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?
    .ok_or_else(|| not_found(id))
}

#[async_trait]
impl TenantStore for SqlTenantStore {
    async fn create(&self, new: NewTenant) -> Result<Tenant> {
        let name = new.validate()?;
        let settings = serde_json::to_string(&new.settings)?;
        let now = self.clock.now();
        let id = TenantId::generate(self.clock.as_ref());
        let created = query(
            "INSERT INTO tenants (id, slug, name, status, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, 'active', $4, $5, $5) \
             ON CONFLICT (slug) DO NOTHING \
             RETURNING id, slug, name, status, settings, created_at, updated_at",
        )
        .bind(id)
        .bind(new.slug.as_str())
        .bind(name)
        .bind(settings)
        .bind(now)
        .fetch_optional::<Tenant>(&self.db)
        .await?;
        created.ok_or_else(|| slug_taken(&new.slug))
    }

    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>> {
        query(
            "SELECT id, slug, name, status, settings, created_at, updated_at \
             FROM tenants WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await
    }

    async fn get_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>> {
        query(
            "SELECT id, slug, name, status, settings, created_at, updated_at \
             FROM tenants WHERE slug = $1",
        )
        .bind(slug.as_str())
        .fetch_optional(&self.db)
        .await
    }

    async fn list(&self, page: &Page) -> Result<Vec<Tenant>> {
        let limit = i64::from(page.effective_limit()?);
        match &page.after {
            Some(after) => {
                query(
                    "SELECT id, slug, name, status, settings, created_at, updated_at \
                     FROM tenants WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db)
                .await
            }
            None => {
                query(
                    "SELECT id, slug, name, status, settings, created_at, updated_at \
                     FROM tenants ORDER BY id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.db)
                .await
            }
        }
    }

    async fn update(&self, id: &TenantId, update: &TenantUpdate) -> Result<Tenant> {
        let mut tx = self.db.begin().await?;
        let mut tenant = load(&mut tx, id).await?;
        if tenant.status == TenantStatus::Deleted {
            return Err(Error::conflict(format!(
                "tenant `{}` is deleted",
                tenant.slug
            )));
        }
        update.apply_to(&mut tenant)?;
        tenant.updated_at = self.clock.now();
        let changed = query(
            "UPDATE tenants SET name = $1, settings = $2, updated_at = $3 \
             WHERE id = $4 AND status <> 'deleted'",
        )
        .bind(&tenant.name)
        .bind(serde_json::to_string(&tenant.settings)?)
        .bind(tenant.updated_at)
        .bind(id)
        .execute(&mut tx)
        .await?;
        if changed == 0 {
            return Err(Error::conflict(format!(
                "tenant `{}` is deleted",
                tenant.slug
            )));
        }
        tx.commit().await?;
        Ok(tenant)
    }

    async fn set_status(&self, id: &TenantId, status: TenantStatus) -> Result<Tenant> {
        let mut tx = self.db.begin().await?;
        let mut tenant = load(&mut tx, id).await?;
        tenant.status.check_transition(status)?;
        if tenant.status == status {
            return Ok(tenant);
        }
        let previous = tenant.status;
        tenant.status = status;
        tenant.updated_at = self.clock.now();
        // Compare-and-set on the status read above: a concurrent change wins
        // and this one reports a conflict instead of overwriting it.
        let changed =
            query("UPDATE tenants SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
                .bind(status.as_str())
                .bind(tenant.updated_at)
                .bind(id)
                .bind(previous.as_str())
                .execute(&mut tx)
                .await?;
        if changed == 0 {
            return Err(Error::conflict(format!(
                "tenant `{}` changed status concurrently; retry",
                tenant.slug
            )));
        }
        tx.commit().await?;
        Ok(tenant)
    }
}
