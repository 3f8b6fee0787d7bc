//! [`EventBus`]: publish/subscribe between components and server instances.
//!
//! Delivery is at most once, like Redis pub/sub: events published while a
//! subscriber is disconnected, or that overflow a slow subscriber's buffer,
//! are lost. Use it for notifications (revocations, cache invalidation,
//! webhooks to enqueue), and keep the durable truth in SQL.

mod catalogue;
mod envelope;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt::{self, Debug};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::broadcast;

pub use self::catalogue::{EVENTS, EventCatalogue, EventType, pattern_matches, subscribed};
pub use self::envelope::Envelope;
pub use self::memory::MemoryEventBus;
#[cfg(feature = "redis")]
pub use self::redis::RedisEventBus;
use crate::{Error, Namespace, Result};

/// The largest event payload accepted (1 MiB).
pub const MAX_PAYLOAD: usize = 1024 * 1024;

/// Events buffered per subscriber before the oldest are dropped.
pub const SUBSCRIBER_BUFFER: usize = 1024;

/// A topic: a [`Namespace`] and a name such as `auth.revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Topic {
    ns: Namespace,
    name: String,
}

impl Topic {
    /// The topic `name` (1–128 characters of a-z, 0-9, `.`, `-`, `_`) in `ns`.
    pub fn new(ns: Namespace, name: &str) -> Result<Self> {
        check_topic_name(name)?;
        Ok(Topic {
            ns,
            name: name.to_owned(),
        })
    }

    /// The namespace.
    pub fn namespace(&self) -> &Namespace {
        &self.ns
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Redis channel: `prefix:{tag}:ev:name`.
    #[cfg(feature = "redis")]
    pub(crate) fn channel(&self, prefix: &str) -> String {
        format!("{prefix}:{{{}}}:ev:{}", self.ns.tag(), self.name)
    }

    /// Reads a Redis channel name back into a topic.
    #[cfg(feature = "redis")]
    pub(crate) fn from_channel(prefix: &str, channel: &str) -> Option<Topic> {
        let rest = channel.strip_prefix(prefix)?.strip_prefix(":{")?;
        let (tag, name) = rest.split_once("}:ev:")?;
        let ns = Namespace::from_tag(tag)?;
        Topic::new(ns, name).ok()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ns, self.name)
    }
}

pub(crate) fn check_topic_name(name: &str) -> Result<()> {
    crate::validate::check_identifier(name, "topic name", 128, &['.', '-', '_'])
}

/// Which events a subscription receives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TopicFilter {
    /// Exactly one topic.
    Topic(Topic),
    /// The topic `name` of every tenant (not the platform namespace); for
    /// platform services such as the webhook dispatcher.
    AnyTenant(String),
}

impl TopicFilter {
    /// The filter for the topic `name` of every tenant.
    pub fn any_tenant(name: &str) -> Result<Self> {
        check_topic_name(name)?;
        Ok(TopicFilter::AnyTenant(name.to_owned()))
    }

    /// Whether `topic` passes the filter.
    pub fn matches(&self, topic: &Topic) -> bool {
        match self {
            TopicFilter::Topic(t) => t == topic,
            TopicFilter::AnyTenant(name) => {
                topic.name == *name && matches!(topic.ns, Namespace::Tenant(_))
            }
        }
    }
}

impl From<Topic> for TopicFilter {
    fn from(t: Topic) -> Self {
        TopicFilter::Topic(t)
    }
}

/// A published event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Where it was published.
    pub topic: Topic,
    /// The payload (typically JSON).
    pub payload: Bytes,
}

/// An event on its way to local subscribers, with the Redis subscription
/// (channel or pattern) it arrived through, if any.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) via: Option<Arc<str>>,
    pub(crate) event: Event,
}

/// Publish/subscribe by topic.
///
/// Two implementations pass one conformance suite: [`MemoryEventBus`] (one
/// process) and `RedisEventBus` (every instance connected to one Redis).
#[async_trait]
pub trait EventBus: Send + Sync + Debug {
    /// `memory` or `redis`, for health reports.
    fn backend(&self) -> &'static str;

    /// Checks that the bus can publish and receive.
    async fn ping(&self) -> Result<()>;

    /// Publishes `payload` (at most [`MAX_PAYLOAD`] bytes) on `topic`.
    async fn publish(&self, topic: &Topic, payload: Bytes) -> Result<()>;

    /// Subscribes; events published after this returns are delivered.
    async fn subscribe(&self, filter: TopicFilter) -> Result<Subscription>;
}

/// A shared event bus handle.
pub type SharedEventBus = Arc<dyn EventBus>;

pub(crate) fn check_payload(payload: &[u8]) -> Result<()> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Error::invalid_input(format!(
            "event payload is {} bytes; at most {MAX_PAYLOAD} are allowed",
            payload.len()
        )));
    }
    Ok(())
}

/// A stream of events matching one filter; dropping it unsubscribes.
pub struct Subscription {
    rx: broadcast::Receiver<Delivery>,
    filter: TopicFilter,
    via: Option<Arc<str>>,
    dropped: u64,
    _guard: Option<Box<dyn Send + Sync>>,
}

impl Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("filter", &self.filter)
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn new(
        rx: broadcast::Receiver<Delivery>,
        filter: TopicFilter,
        via: Option<Arc<str>>,
        guard: Option<Box<dyn Send + Sync>>,
    ) -> Self {
        Subscription {
            rx,
            filter,
            via,
            dropped: 0,
            _guard: guard,
        }
    }

    /// The next matching event; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        loop {
            match self.rx.recv().await {
                Ok(d) => {
                    if d.via == self.via && self.filter.matches(&d.event.topic) {
                        return Some(d.event);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    self.dropped += n;
                    tracing::warn!(filter = ?self.filter, dropped = n, "slow event subscriber lost events");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// How many events this subscriber lost because it fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The filter.
    pub fn filter(&self) -> &TopicFilter {
        &self.filter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, TenantId, Timestamp};

    #[cfg(feature = "redis")]
    #[test]
    fn channels_round_trip() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let t = TenantId::generate(&clock);
        for ns in [Namespace::Platform, Namespace::Tenant(t)] {
            let topic = Topic::new(ns, "auth.revoked").unwrap();
            let channel = topic.channel("caas");
            assert_eq!(Topic::from_channel("caas", &channel), Some(topic));
        }
        assert_eq!(Topic::from_channel("caas", "other:{platform}:ev:x"), None);
        assert_eq!(Topic::from_channel("caas", "caas:{bogus}:ev:x"), None);
    }

    #[test]
    fn filters_match_by_topic_or_any_tenant() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let (a, b) = (TenantId::generate(&clock), TenantId::generate(&clock));
        let ta = Topic::new(Namespace::Tenant(a), "x").unwrap();
        let tb = Topic::new(Namespace::Tenant(b), "x").unwrap();
        let tp = Topic::new(Namespace::Platform, "x").unwrap();
        let exact = TopicFilter::from(ta.clone());
        assert!(exact.matches(&ta) && !exact.matches(&tb));
        let any = TopicFilter::any_tenant("x").unwrap();
        assert!(any.matches(&ta) && any.matches(&tb) && !any.matches(&tp));
    }

    #[test]
    fn topic_names_are_validated() {
        assert!(Topic::new(Namespace::Platform, "Bad Name").is_err());
        assert!(Topic::new(Namespace::Platform, "").is_err());
        assert!(Topic::new(Namespace::Platform, "a*").is_err());
        assert!(TopicFilter::any_tenant("a?").is_err());
        assert!(check_payload(&vec![0; MAX_PAYLOAD + 1]).is_err());
    }
}
