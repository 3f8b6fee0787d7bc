//! Invalidation across instances: a change drops what this instance cached
//! of it and is announced on the event bus ([`CHANGED_TOPIC`], in the
//! tenant's namespace), where every other instance's listener drops the
//! same. Without a bus, only this instance's caches are dropped.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use caas_core::events::{Topic, TopicFilter};
use caas_core::{Namespace, Result, TenantId};
use serde::{Deserialize, Serialize};

use super::{Engine, Inner};
use crate::model::EntityRef;

/// The topic on which engines tell each other what changed.
pub const CHANGED_TOPIC: &str = "authz.changed";

/// What changed, as sent to other instances.
#[derive(Debug, Serialize, Deserialize)]
struct Change {
    from: String,
    #[serde(default)]
    policies: bool,
    #[serde(default)]
    entities: Vec<EntityRef>,
}

impl Engine {
    /// Drops what changed (the compiled policies with `policies`, and
    /// `entities`) here, and announces it to the other instances; best
    /// effort.
    pub(super) async fn changed(
        &self,
        tenant: &TenantId,
        policies: bool,
        entities: Vec<EntityRef>,
    ) {
        if let Err(e) = self.drop_local(tenant, policies, &entities) {
            tracing::error!(error = %e, "cannot drop cached authorization data");
        }
        let Some(bus) = &self.0.events else { return };
        let change = Change {
            from: self.0.instance.clone(),
            policies,
            entities,
        };
        let sent = async {
            let topic = Topic::new(Namespace::Tenant(*tenant), CHANGED_TOPIC)?;
            bus.publish(&topic, Bytes::from(serde_json::to_vec(&change)?))
                .await
        };
        if let Err(e) = sent.await {
            // Other instances keep stale entries until their next change.
            tracing::warn!(error = %e, "cannot announce an authorization change");
        }
    }

    /// Drops what this instance and (through the event bus) every other
    /// one cached of `entities`: call it when an
    /// [`EntityProvider`](crate::EntityProvider) of the application changes
    /// them.
    pub async fn invalidate_entities(&self, tenant: &TenantId, entities: Vec<EntityRef>) {
        self.changed(tenant, false, entities).await;
    }

    /// Listens for other instances' changes until the bus or the engine
    /// is gone. Subscribed when this returns.
    pub async fn listen(&self) -> Result<tokio::task::JoinHandle<()>> {
        let Some(bus) = &self.0.events else {
            return Ok(tokio::spawn(async {}));
        };
        let mut sub = bus
            .subscribe(TopicFilter::any_tenant(CHANGED_TOPIC)?)
            .await?;
        let engine: Weak<Inner> = Arc::downgrade(&self.0);
        Ok(tokio::spawn(async move {
            while let Some(event) = sub.recv().await {
                let Some(inner) = engine.upgrade() else {
                    return;
                };
                let Namespace::Tenant(tenant) = event.topic.namespace() else {
                    continue;
                };
                let Ok(change) = serde_json::from_slice::<Change>(&event.payload) else {
                    tracing::warn!("an authorization change event does not parse");
                    continue;
                };
                if change.from == inner.instance {
                    continue;
                }
                if let Err(e) = Engine(inner).drop_local(tenant, change.policies, &change.entities)
                {
                    tracing::error!(error = %e, "cannot drop cached authorization data");
                }
            }
        }))
    }
}
