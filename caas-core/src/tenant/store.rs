//! [`TenantStore`]: the tenant registry, and its in-memory implementation.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use super::model::validate_name;
use super::{NewTenant, Tenant, TenantId, TenantSlug, TenantStatus, TenantUpdate};
use crate::{Error, Result, SharedClock};

/// A page request for [`TenantStore::list`]: tenants ordered by id (creation
/// order), starting after `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// Return tenants whose id sorts after this one.
    pub after: Option<TenantId>,
    /// Return at most this many (1..=1000; 0 means 100).
    pub limit: u32,
}

impl Page {
    /// The most tenants one [`TenantStore::list`] call returns.
    pub const MAX_LIMIT: u32 = 1000;

    /// The first page of `limit` tenants.
    pub fn first(limit: u32) -> Self {
        Page { after: None, limit }
    }

    /// The effective limit after applying the default and the maximum.
    pub fn effective_limit(&self) -> Result<u32> {
        match self.limit {
            0 => Ok(100),
            n if n <= Self::MAX_LIMIT => Ok(n),
            n => Err(Error::invalid_input(format!(
                "page limit {n} is larger than the maximum of {}",
                Self::MAX_LIMIT
            ))
            .with_field("limit")),
        }
    }
}

/// The registry of tenants.
///
/// Implementations: [`MemoryTenantStore`] and [`SqlTenantStore`](super::SqlTenantStore)
/// (SQLite and PostgreSQL), which pass one conformance suite.
#[async_trait]
pub trait TenantStore: Send + Sync + Debug {
    /// Creates an active tenant. A slug in use (even by a deleted tenant) is `Conflict`.
    async fn create(&self, new: NewTenant) -> Result<Tenant>;

    /// The tenant with `id`, in any status.
    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>>;

    /// The tenant with `slug`, in any status.
    async fn get_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>>;

    /// Tenants in id order, one page at a time.
    async fn list(&self, page: &Page) -> Result<Vec<Tenant>>;

    /// Changes name and/or settings. Unknown tenant is `NotFound`; a deleted
    /// tenant cannot be changed (`Conflict`).
    async fn update(&self, id: &TenantId, update: &TenantUpdate) -> Result<Tenant>;

    /// Moves the tenant to `status` (see [`TenantStatus::check_transition`]).
    async fn set_status(&self, id: &TenantId, status: TenantStatus) -> Result<Tenant>;

    /// Every tenant in any status, in id order, read page by page; for
    /// platform tasks that visit each tenant (retention, re-wrapping).
    async fn all(&self) -> Result<Vec<Tenant>> {
        let mut out = Vec::new();
        let mut page = Page::first(Page::MAX_LIMIT);
        loop {
            let batch = self.list(&page).await?;
            let full = batch.len() == Page::MAX_LIMIT as usize;
            page.after = batch.last().map(|t| t.id);
            out.extend(batch);
            if !full {
                return Ok(out);
            }
        }
    }
}

/// A shared tenant store handle.
pub type SharedTenantStore = Arc<dyn TenantStore>;

pub(crate) fn not_found(id: &TenantId) -> Error {
    Error::not_found(format!("tenant `{id}` not found"))
}

pub(crate) fn slug_taken(slug: &TenantSlug) -> Error {
    Error::conflict(format!("tenant slug `{slug}` is already taken")).with_field("slug")
}

/// Tenants in process memory; for tests and embedded use.
#[derive(Debug)]
pub struct MemoryTenantStore {
    clock: SharedClock,
    tenants: RwLock<BTreeMap<TenantId, Tenant>>,
}

impl MemoryTenantStore {
    /// An empty store.
    pub fn new(clock: SharedClock) -> Self {
        MemoryTenantStore {
            clock,
            tenants: RwLock::new(BTreeMap::new()),
        }
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, BTreeMap<TenantId, Tenant>>> {
        self.tenants
            .read()
            .map_err(|_| Error::internal("tenant store lock poisoned"))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, BTreeMap<TenantId, Tenant>>> {
        self.tenants
            .write()
            .map_err(|_| Error::internal("tenant store lock poisoned"))
    }
}

#[async_trait]
impl TenantStore for MemoryTenantStore {
    async fn create(&self, new: NewTenant) -> Result<Tenant> {
        let name = new.validate()?;
        let now = self.clock.now();
        let mut tenants = self.write()?;
        if tenants.values().any(|t| t.slug == new.slug) {
            return Err(slug_taken(&new.slug));
        }
        let tenant = Tenant {
            id: TenantId::generate(self.clock.as_ref()),
            slug: new.slug,
            name,
            status: TenantStatus::Active,
            settings: new.settings,
            created_at: now,
            updated_at: now,
        };
        tenants.insert(tenant.id, tenant.clone());
        Ok(tenant)
    }

    async fn get(&self, id: &TenantId) -> Result<Option<Tenant>> {
        Ok(self.read()?.get(id).cloned())
    }

    async fn get_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>> {
        Ok(self.read()?.values().find(|t| &t.slug == slug).cloned())
    }

    async fn list(&self, page: &Page) -> Result<Vec<Tenant>> {
        let limit = page.effective_limit()? as usize;
        let tenants = self.read()?;
        let iter: Box<dyn Iterator<Item = &Tenant>> = match &page.after {
            Some(after) => Box::new(
                tenants
                    .range((
                        std::ops::Bound::Excluded(*after),
                        std::ops::Bound::Unbounded,
                    ))
                    .map(|(_, t)| t),
            ),
            None => Box::new(tenants.values()),
        };
        Ok(iter.take(limit).cloned().collect())
    }

    async fn update(&self, id: &TenantId, update: &TenantUpdate) -> Result<Tenant> {
        if let Some(name) = &update.name {
            validate_name(name)?;
        }
        let mut tenants = self.write()?;
        let tenant = tenants.get_mut(id).ok_or_else(|| not_found(id))?;
        if tenant.status == TenantStatus::Deleted {
            return Err(Error::conflict(format!(
                "tenant `{}` is deleted",
                tenant.slug
            )));
        }
        let mut changed = tenant.clone();
        update.apply_to(&mut changed)?;
        changed.updated_at = self.clock.now();
        *tenant = changed.clone();
        Ok(changed)
    }

    async fn set_status(&self, id: &TenantId, status: TenantStatus) -> Result<Tenant> {
        let mut tenants = self.write()?;
        let tenant = tenants.get_mut(id).ok_or_else(|| not_found(id))?;
        tenant.status.check_transition(status)?;
        if tenant.status != status {
            tenant.status = status;
            tenant.updated_at = self.clock.now();
        }
        Ok(tenant.clone())
    }
}

/// Prepares what a new tenant needs (key material, default policies…).
///
/// Registered with the server and run when a tenant is created and again
/// when it is resumed, so it must be idempotent.
#[async_trait]
pub trait TenantProvisioner: Send + Sync + Debug {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// Provisions `tenant`; safe to run again for the same tenant.
    async fn provision(&self, tenant: &Tenant) -> Result<()>;
}
