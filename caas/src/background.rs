//! The platform's background work: webhook dispatch and delivery, the
//! authorization engine's cross-instance cache invalidation, the tenant-key
//! re-wrap sweep and the hourly privacy schedule. Every instance runs all
//! of it; each task is safe to run on many instances at once.

use std::sync::Arc;

use caas_core::Result;
use caas_webhooks::DeliveryObserver;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Platform;

/// The running background tasks; [`Background::stop`] ends them.
#[derive(Debug)]
pub struct Background {
    stop: watch::Sender<bool>,
    webhooks: caas_webhooks::Running,
    authz: JoinHandle<()>,
    rewrapper: JoinHandle<()>,
    schedule: JoinHandle<()>,
}

impl Platform {
    /// Starts the background tasks. Every subscription is in place when
    /// this returns, so no event published afterwards is missed; `observer`
    /// learns how each webhook attempt ended.
    pub async fn start_background(
        &self,
        observer: Arc<dyn DeliveryObserver>,
    ) -> Result<Background> {
        let (stop, stop_rx) = watch::channel(false);
        let webhooks = self
            .webhooks
            .start(&self.backends.events, observer, stop_rx.clone())
            .await?;
        // Other instances' authorization changes drop this one's caches.
        let authz = self.authz.listen().await?;
        let rewrapper = caas_crypto::keys::Rewrapper::subscribe(
            &self.backends.events,
            self.keys.clone(),
            self.tenants.clone(),
        )
        .await?;
        let rewrapper = tokio::spawn(rewrapper.run(stop_rx.clone()));
        let schedule = tokio::spawn(self.privacy.clone().schedule(self.tenants.clone(), stop_rx));
        Ok(Background {
            stop,
            webhooks,
            authz,
            rewrapper,
            schedule,
        })
    }
}

impl Background {
    /// Signals every task to stop and waits for them (webhook attempts in
    /// flight are finished first).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.authz.abort();
        self.webhooks.join().await;
        for (name, task) in [
            ("the key re-wrapper", self.rewrapper),
            ("the privacy schedule", self.schedule),
        ] {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "{name} panicked");
            }
        }
    }
}
