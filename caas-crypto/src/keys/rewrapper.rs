//! The background re-wrapper. A tenant-key rotation only switches the
//! current version; this task then re-wraps the tenant's data and subject
//! keys in short batches. It hears rotations as `keys.rotated` events (every
//! instance does; concurrent re-wrapping is safe), and at start it sweeps
//! every tenant, finishing what an instance that stopped mid-way left.

use std::sync::Arc;

use caas_core::{
    Envelope, Result, SharedEventBus, SharedTenantStore, Subscription, TenantId, TenantStatus,
    TopicFilter,
};
use tokio::sync::watch;

use super::{KeyManager, SqlKeyManager};

/// Keys re-wrapped per transaction.
const BATCH: usize = 500;

/// Re-wraps after rotations until stopped.
#[derive(Debug)]
pub struct Rewrapper {
    rotations: Subscription,
    keys: Arc<SqlKeyManager>,
    tenants: SharedTenantStore,
}

impl Rewrapper {
    /// Subscribes to rotations; those published after this returns are handled by [`Rewrapper::run`].
    pub async fn subscribe(
        bus: &SharedEventBus,
        keys: Arc<SqlKeyManager>,
        tenants: SharedTenantStore,
    ) -> Result<Self> {
        let rotations = bus
            .subscribe(TopicFilter::any_tenant("keys.rotated")?)
            .await?;
        Ok(Rewrapper {
            rotations,
            keys,
            tenants,
        })
    }

    /// Sweeps every tenant once, then re-wraps after each rotation, until `stop` flips.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        tokio::select! {
            _ = stop.changed() => return,
            () = self.sweep() => {}
        }
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                event = self.rotations.recv() => {
                    let Some(event) = event else { break };
                    match Envelope::from_event(&event.topic, &event.payload) {
                        Ok(envelope) => self.rewrap(&envelope.tenant_id).await,
                        Err(e) => tracing::warn!(error = %e, "ignoring a malformed rotation event"),
                    }
                }
            }
        }
    }

    async fn sweep(&self) {
        let tenants = match self.tenants.all().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list tenants to re-wrap their keys");
                return;
            }
        };
        for t in tenants.iter().filter(|t| t.status != TenantStatus::Deleted) {
            self.rewrap(&t.id).await;
        }
    }

    async fn rewrap(&self, tenant: &TenantId) {
        match self.keys.rewrap_all(tenant, BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tenant = %tenant, rewrapped = n, "re-wrapped tenant keys"),
            Err(e) => tracing::warn!(tenant = %tenant, error = %e, "cannot re-wrap tenant keys"),
        }
    }
}
