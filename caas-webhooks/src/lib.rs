#![doc = include_str!("../README.md")]

pub mod config;
mod migrations;
pub mod model;
pub mod outbound;
pub mod signature;
pub mod store;
pub mod worker;

use std::sync::Arc;

use caas_core::{
    Db, Envelope, Error, EventCatalogue, EventType, Result, SharedClock, SharedEventBus, TenantId,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use self::config::WebhookConfig;
pub use self::migrations::MIGRATIONS;
pub use self::model::{Delivery, DeliveryState, Webhook, WebhookInput, WebhookWithSecret};
pub use self::outbound::Outbound;
pub use self::store::WebhookStore;
pub use self::worker::{DeliveryObserver, NoObserver};

/// The events caas-webhooks publishes itself.
pub static EVENTS: &[EventType] = &[EventType::new(
    "webhook.ping",
    "a test event sent to one webhook by `POST /v1/webhooks/{id}/ping`",
)];

/// Every tenant's webhooks: the registry and outbox, the outbound client,
/// the event types they may subscribe to, and the delivery settings.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// The outbox and registry.
    pub store: WebhookStore,
    /// The client deliveries use (its policy also checks URLs on save).
    pub outbound: Outbound,
    /// Wakes the local worker when something was enqueued.
    pub wake: Arc<Notify>,
    /// The event types a webhook may subscribe to.
    pub catalogue: Arc<EventCatalogue>,
    /// Retries, timeouts, the address policy.
    pub config: WebhookConfig,
    clock: SharedClock,
}

/// The dispatcher and the delivery worker, running until stopped.
#[derive(Debug)]
pub struct Running {
    dispatcher: JoinHandle<()>,
    worker: JoinHandle<()>,
}

impl Running {
    /// Waits until both tasks returned (after the stop signal flipped):
    /// attempts in flight are finished first.
    pub async fn join(self) {
        if let Err(e) = self.dispatcher.await {
            tracing::error!(error = %e, "the webhook dispatcher panicked");
        }
        if let Err(e) = self.worker.await {
            tracing::error!(error = %e, "the webhook worker panicked");
        }
    }
}

impl Webhooks {
    /// Webhooks on `db`, subscribable to the types in `catalogue`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        config: WebhookConfig,
        catalogue: Arc<EventCatalogue>,
    ) -> Result<Self> {
        config.validate()?;
        Ok(Webhooks {
            store: WebhookStore::new(db, clock.clone()),
            outbound: Outbound::new(config.timeout, config.allow_private_targets)?,
            wake: Arc::new(Notify::new()),
            catalogue,
            config,
            clock,
        })
    }

    /// Checks `input` (event types against the catalogue, the URL against
    /// the address policy) and returns the URL to store.
    pub fn check(&self, input: &WebhookInput) -> Result<String> {
        input.validate(&self.catalogue)?;
        Ok(self.outbound.check_url(input.url.trim())?.to_string())
    }

    /// Registers a webhook; the answer holds its signing secret, shown once.
    pub async fn create(
        &self,
        tenant: &TenantId,
        input: &WebhookInput,
    ) -> Result<WebhookWithSecret> {
        let url = self.check(input)?;
        let (webhook, secret) = self.store.create(tenant, input, &url).await?;
        Ok(WebhookWithSecret { webhook, secret })
    }

    /// Replaces a webhook's URL, description, event types and enabled flag.
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: Uuid,
        input: &WebhookInput,
    ) -> Result<Webhook> {
        let url = self.check(input)?;
        self.store.update(tenant, id, input, &url).await
    }

    /// Enqueues a `webhook.ping` for the webhook `id` only.
    pub async fn ping(&self, tenant: &TenantId, id: Uuid) -> Result<()> {
        let hook = self.store.get(tenant, id).await?;
        let event = Envelope::new(
            self.clock.as_ref(),
            *tenant,
            "webhook.ping",
            serde_json::json!({ "webhook_id": hook.id }),
        );
        if self.store.enqueue(&event, Some(hook.id)).await? == 0 {
            return Err(Error::conflict("the webhook is disabled; enable it first"));
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Delivers a succeeded or dead-lettered delivery again, from attempt 1.
    pub async fn replay(&self, tenant: &TenantId, webhook: Uuid, id: Uuid) -> Result<Delivery> {
        let delivery = self.store.replay(tenant, webhook, id).await?;
        self.wake.notify_one();
        Ok(delivery)
    }

    /// Starts the dispatcher (bus events of every catalogue type into the
    /// outbox) and the delivery worker; both stop when `stop` flips. The
    /// dispatcher is subscribed when this returns, so no event published
    /// afterwards is missed.
    pub async fn start(
        &self,
        bus: &SharedEventBus,
        observer: Arc<dyn DeliveryObserver>,
        stop: watch::Receiver<bool>,
    ) -> Result<Running> {
        let dispatcher = worker::Dispatcher::subscribe(bus, &self.catalogue).await?;
        let dispatcher =
            tokio::spawn(dispatcher.run(self.store.clone(), self.wake.clone(), stop.clone()));
        let worker = worker::Worker {
            store: self.store.clone(),
            outbound: self.outbound.clone(),
            config: self.config.clone(),
            clock: self.clock.clone(),
            observer,
        };
        let worker = tokio::spawn(worker.run(self.wake.clone(), stop));
        Ok(Running { dispatcher, worker })
    }
}
