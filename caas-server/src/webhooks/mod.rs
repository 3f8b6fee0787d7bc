//! Webhooks: tenants register HTTP endpoints for event types; events from
//! the `EventBus` are delivered to them as signed POSTs through a SQL
//! outbox, retried with exponential backoff and jitter, dead-lettered after
//! `webhooks.max_attempts`, and replayable.

pub mod model;
pub mod signature;
pub mod store;
pub mod worker;

use std::sync::Arc;

use caas_core::{Db, Result, SharedClock};
use tokio::sync::Notify;

pub use self::model::{
    Delivery, DeliveryState, EVENT_TYPES, Webhook, WebhookInput, WebhookWithSecret,
};
pub use self::store::WebhookStore;
use crate::config::WebhookConfig;
use crate::outbound::Outbound;

/// What handlers and the background tasks share.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// The outbox and registry.
    pub store: WebhookStore,
    /// The client deliveries use (its policy also checks URLs on save).
    pub outbound: Outbound,
    /// Wakes the local worker when something was enqueued.
    pub wake: Arc<Notify>,
}

impl Webhooks {
    /// The handle over `db`.
    pub fn new(db: Db, clock: SharedClock, config: &WebhookConfig) -> Result<Self> {
        Ok(Webhooks {
            store: WebhookStore::new(db, clock),
            outbound: Outbound::new(config.timeout, config.allow_private_targets)?,
            wake: Arc::new(Notify::new()),
        })
    }
}
