//! The in-process event bus.

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::broadcast;

use super::{
    Delivery, Event, EventBus, SUBSCRIBER_BUFFER, Subscription, Topic, TopicFilter, check_payload,
};
use crate::Result;

/// An [`EventBus`] within one process.
#[derive(Debug)]
pub struct MemoryEventBus {
    tx: broadcast::Sender<Delivery>,
}

impl Default for MemoryEventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryEventBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(SUBSCRIBER_BUFFER);
        MemoryEventBus { tx }
    }
}

#[async_trait]
impl EventBus for MemoryEventBus {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn publish(&self, topic: &Topic, payload: Bytes) -> Result<()> {
        check_payload(&payload)?;
        // No subscribers is not an error: the event simply has no audience.
        let _ = self.tx.send(Delivery {
            via: None,
            event: Event {
                topic: topic.clone(),
                payload,
            },
        });
        Ok(())
    }

    async fn subscribe(&self, filter: TopicFilter) -> Result<Subscription> {
        Ok(Subscription::new(self.tx.subscribe(), filter, None, None))
    }
}
