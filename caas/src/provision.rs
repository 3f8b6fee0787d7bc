//! What a new tenant needs before it can serve: the crates' provisioners
//! (the tenant key, then the token signing key sealed under it) and any an
//! application adds.

use std::sync::Arc;

use caas_core::{Result, Tenant, TenantProvisioner};

/// The provisioners run, in order, when a tenant is created or resumed.
///
/// Each must be idempotent: a tenant whose provisioning failed is left
/// suspended, and resuming it runs every provisioner again.
#[derive(Debug, Clone, Default)]
pub struct Provisioners(Vec<Arc<dyn TenantProvisioner>>);

impl Provisioners {
    /// Adds `p` after the ones already registered.
    #[must_use]
    pub fn with(mut self, p: Arc<dyn TenantProvisioner>) -> Self {
        self.0.push(p);
        self
    }

    /// Runs every provisioner for `tenant`; stops at the first failure.
    pub async fn provision(&self, tenant: &Tenant) -> Result<()> {
        for p in &self.0 {
            p.provision(tenant).await.inspect_err(|e| {
                tracing::error!(provisioner = p.name(), tenant = %tenant.slug, error = %e, "tenant provisioning failed");
            })?;
        }
        Ok(())
    }
}
