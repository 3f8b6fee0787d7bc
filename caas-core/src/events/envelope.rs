//! [`Envelope`]: the one shape of a tenant event that leaves the platform
//! (webhooks) — an id for de-duplication, a type, the tenant, a time, data.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventBus, Topic};
use crate::{Clock, Error, Namespace, Result, TenantId, Timestamp, new_id};

/// A tenant event as published on the [`EventBus`] and delivered to webhooks.
///
/// The topic is the event type in the tenant's namespace, so subscribers
/// filter by type without parsing payloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique per event (UUIDv7); receivers de-duplicate by it.
    pub id: Uuid,
    /// The event type, e.g. `tenant.updated`; also the topic name.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The tenant the event happened in.
    pub tenant_id: TenantId,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// What happened; the shape depends on the type.
    pub data: serde_json::Value,
}

impl Envelope {
    /// A new event of `event_type` in `tenant`, stamped by `clock`.
    pub fn new(
        clock: &dyn Clock,
        tenant: TenantId,
        event_type: &str,
        data: serde_json::Value,
    ) -> Self {
        Envelope {
            id: new_id(clock),
            event_type: event_type.to_owned(),
            tenant_id: tenant,
            occurred_at: clock.now(),
            data,
        }
    }

    /// The topic the event is published on.
    pub fn topic(&self) -> Result<Topic> {
        Topic::new(Namespace::Tenant(self.tenant_id), &self.event_type)
    }

    /// Publishes the event on `bus`.
    pub async fn publish(&self, bus: &dyn EventBus) -> Result<()> {
        let payload = serde_json::to_vec(self)
            .map_err(|e| Error::internal(format!("cannot encode event: {e}")))?;
        bus.publish(&self.topic()?, Bytes::from(payload)).await
    }

    /// Publishes the event on `bus` after the change it reports was
    /// committed: a bus that is down is logged (type and tenant, never the
    /// data), not returned, since the change stands either way.
    pub async fn publish_or_log(&self, bus: &dyn EventBus) {
        if let Err(e) = self.publish(bus).await {
            tracing::warn!(error = %e, event = %self.event_type, tenant = %self.tenant_id, "cannot publish an event");
        }
    }

    /// Reads an envelope from an event payload and checks it matches `topic`.
    pub fn from_event(topic: &Topic, payload: &[u8]) -> Result<Self> {
        let envelope: Envelope = serde_json::from_slice(payload)
            .map_err(|e| Error::invalid_input(format!("not an event envelope: {e}")))?;
        if envelope.topic()? != *topic {
            return Err(Error::invalid_input(format!(
                "event `{}` arrived on topic `{topic}`",
                envelope.event_type
            )));
        }
        Ok(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::MemoryEventBus;
    use crate::{ManualClock, TopicFilter};

    #[tokio::test]
    async fn envelopes_round_trip_through_the_bus() {
        let clock = ManualClock::new(Timestamp::from_millis(1_700_000_000_000));
        let bus = MemoryEventBus::new();
        let tenant = TenantId::from_uuid(new_id(&clock));
        let mut sub = bus
            .subscribe(TopicFilter::any_tenant("tenant.updated").unwrap())
            .await
            .unwrap();
        let sent = Envelope::new(
            &clock,
            tenant,
            "tenant.updated",
            serde_json::json!({"a": 1}),
        );
        sent.publish(&bus).await.unwrap();
        let event = sub.recv().await.unwrap();
        let got = Envelope::from_event(&event.topic, &event.payload).unwrap();
        assert_eq!(got, sent);
        let other = Topic::new(Namespace::Platform, "tenant.updated").unwrap();
        assert!(Envelope::from_event(&other, &event.payload).is_err());
    }
}
