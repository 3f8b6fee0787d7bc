//! `--tenant` of the operator commands: a tenant's id or slug.

use caas_core::{Error, Result, SharedTenantStore, TenantId};

/// Resolves `arg` (an id or a slug) to a tenant id; unknown is `NotFound`
/// naming `tenant`.
pub async fn tenant_arg(tenants: &SharedTenantStore, arg: &str) -> Result<TenantId> {
    let found = match arg.parse::<TenantId>() {
        Ok(id) => tenants.get(&id).await?,
        Err(_) => match caas_core::TenantSlug::parse(arg) {
            Ok(slug) => tenants.get_by_slug(&slug).await?,
            Err(_) => None,
        },
    };
    found
        .map(|t| t.id)
        .ok_or_else(|| Error::not_found(format!("tenant `{arg}` not found")).with_field("tenant"))
}
