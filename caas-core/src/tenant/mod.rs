//! Tenancy: identity, the tenant record, the registry and request resolution.

mod branding;
mod cors;
mod id;
mod model;
mod resolver;
mod sql;
mod store;

pub use self::branding::Branding;
pub use self::cors::CorsSettings;
pub use self::id::{TenantId, TenantRef, TenantSlug};
pub use self::model::{NewTenant, Tenant, TenantSettings, TenantStatus, TenantUpdate};
pub use self::resolver::{Resolution, TenantHints, TenantResolver, TenantSource};
pub use self::sql::SqlTenantStore;
pub use self::store::{MemoryTenantStore, Page, SharedTenantStore, TenantProvisioner, TenantStore};
