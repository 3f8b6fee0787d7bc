//! The Redis event bus: one publisher connection, one subscriber task per bus.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, PubSubSink, PubSubStream};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{
    Delivery, Event, EventBus, SUBSCRIBER_BUFFER, Subscription, Topic, TopicFilter, check_payload,
};
use crate::redis_conn::{RedisConfig, from_redis};
use crate::{Error, Result};

const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// An [`EventBus`] over Redis pub/sub, shared by every instance on one Redis.
///
/// A background task holds the subscriber connection. When Redis goes away
/// it reconnects with backoff and re-subscribes every live subscription, so
/// subscribers keep receiving after a Redis restart (events published during
/// the outage are lost). While disconnected, new subscriptions fail with
/// `Unavailable` and [`ping`](EventBus::ping) reports the outage.
pub struct RedisEventBus {
    publisher: ConnectionManager,
    config: RedisConfig,
    local: broadcast::Sender<Delivery>,
    commands: mpsc::UnboundedSender<Command>,
    connected: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RedisEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEventBus")
            .field("config", &self.config)
            .field("connected", &self.connected.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Drop for RedisEventBus {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Redis subscription: a channel or a pattern.
type Key = (Arc<str>, bool);

#[derive(Debug)]
enum Command {
    Subscribe {
        key: Key,
        ack: oneshot::Sender<Result<()>>,
    },
    Unsubscribe {
        key: Key,
    },
}

/// Unsubscribes from Redis when the last local subscriber of a key goes.
struct Unsubscribe {
    commands: mpsc::UnboundedSender<Command>,
    key: Key,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Unsubscribe {
            key: self.key.clone(),
        });
    }
}

impl RedisEventBus {
    /// Connects the publisher and starts the subscriber task; `Unavailable`
    /// if Redis does not answer now.
    pub async fn connect(config: RedisConfig) -> Result<Self> {
        let publisher = config.connect().await?;
        let (local, _) = broadcast::channel(SUBSCRIBER_BUFFER);
        let (commands, rx) = mpsc::unbounded_channel();
        let connected = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            client: config.client()?,
            prefix: config.prefix().to_owned(),
            timeout: config.timeout(),
            local: local.clone(),
            connected: connected.clone(),
            subs: HashMap::new(),
        };
        let task = tokio::spawn(worker.run(rx));
        Ok(RedisEventBus {
            publisher,
            config,
            local,
            commands,
            connected,
            task,
        })
    }

    /// Whether the subscriber connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl EventBus for RedisEventBus {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        let mut conn = self.publisher.clone();
        let ping = redis::cmd("PING");
        let fut = ping.query_async::<String>(&mut conn);
        match tokio::time::timeout(self.config.timeout(), fut).await {
            Ok(r) => r.map_err(from_redis)?,
            Err(_) => return Err(Error::unavailable("Redis did not answer PING in time")),
        };
        if !self.is_connected() {
            return Err(Error::unavailable(
                "the Redis event subscriber is reconnecting",
            ));
        }
        Ok(())
    }

    async fn publish(&self, topic: &Topic, payload: Bytes) -> Result<()> {
        check_payload(&payload)?;
        redis::cmd("PUBLISH")
            .arg(topic.channel(self.config.prefix()))
            .arg(payload.as_ref())
            .query_async::<i64>(&mut self.publisher.clone())
            .await
            .map(|_| ())
            .map_err(from_redis)
    }

    async fn subscribe(&self, filter: TopicFilter) -> Result<Subscription> {
        let key: Key = match &filter {
            TopicFilter::Topic(t) => (t.channel(self.config.prefix()).into(), false),
            // Topic names and prefixes hold no glob characters, so the only
            // wildcard is the tenant tag.
            TopicFilter::AnyTenant(name) => (
                format!("{}:{{t:*}}:ev:{name}", self.config.prefix()).into(),
                true,
            ),
        };
        // Listen locally first, so nothing published after the ack is missed.
        let rx = self.local.subscribe();
        let (ack, acked) = oneshot::channel();
        self.commands
            .send(Command::Subscribe {
                key: key.clone(),
                ack,
            })
            .map_err(|_| Error::unavailable("the Redis event subscriber has stopped"))?;
        match tokio::time::timeout(self.config.timeout(), acked).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(_)) => return Err(Error::unavailable("the Redis event subscriber has stopped")),
            // Dropping the ack receiver tells the worker not to count this one.
            Err(_) => {
                return Err(Error::unavailable(
                    "Redis did not confirm the subscription in time",
                ));
            }
        }
        let guard = Unsubscribe {
            commands: self.commands.clone(),
            key: key.clone(),
        };
        Ok(Subscription::new(
            rx,
            filter,
            Some(key.0),
            Some(Box::new(guard)),
        ))
    }
}

/// The subscriber task's state.
struct Worker {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    local: broadcast::Sender<Delivery>,
    connected: Arc<AtomicBool>,
    /// Live subscriptions and how many local subscribers share each.
    subs: HashMap<Key, usize>,
}

enum Exit {
    Disconnected,
    BusDropped,
}

impl Worker {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut backoff = MIN_BACKOFF;
        loop {
            match self.connect().await {
                Ok((sink, stream)) => {
                    self.connected.store(true, Ordering::SeqCst);
                    backoff = MIN_BACKOFF;
                    let exit = self.serve(sink, stream, &mut commands).await;
                    self.connected.store(false, Ordering::SeqCst);
                    match exit {
                        Exit::BusDropped => return,
                        Exit::Disconnected => {
                            tracing::warn!("Redis event subscriber disconnected; reconnecting");
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "Redis event subscriber cannot connect yet"),
            }
            // Wait before the next attempt, keeping the books meanwhile.
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    cmd = commands.recv() => match cmd {
                        None => return,
                        Some(cmd) => self.offline(cmd),
                    },
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn connect(&self) -> Result<(PubSubSink, PubSubStream)> {
        let pubsub = tokio::time::timeout(self.timeout, self.client.get_async_pubsub())
            .await
            .map_err(|_| Error::unavailable("Redis connect timed out"))?
            .map_err(from_redis)?;
        let (mut sink, stream) = pubsub.split();
        for (channel, pattern) in self.subs.keys() {
            subscribe(&mut sink, channel, *pattern).await?;
        }
        Ok((sink, stream))
    }

    fn offline(&mut self, cmd: Command) {
        match cmd {
            Command::Subscribe { ack, .. } => {
                let _ = ack.send(Err(Error::unavailable(
                    "Redis is unreachable; cannot subscribe now",
                )));
            }
            Command::Unsubscribe { key } => {
                self.release(&key);
            }
        }
    }

    /// Drops one local subscriber of `key`; `true` if it was the last.
    fn release(&mut self, key: &Key) -> bool {
        match self.subs.get_mut(key) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.subs.remove(key);
                true
            }
            None => false,
        }
    }

    async fn serve(
        &mut self,
        mut sink: PubSubSink,
        mut stream: PubSubStream,
        commands: &mut mpsc::UnboundedReceiver<Command>,
    ) -> Exit {
        loop {
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    None => return Exit::BusDropped,
                    Some(Command::Subscribe { key, ack }) => {
                        let count = self.subs.get(&key).copied().unwrap_or(0);
                        // A channel already subscribed still needs a live
                        // connection: a round trip proves it (the stream may
                        // not have seen a dead server yet).
                        let live = if count == 0 {
                            subscribe(&mut sink, &key.0, key.1).await
                        } else {
                            ping(&mut sink, self.timeout).await
                        };
                        if let Err(e) = live {
                            let _ = ack.send(Err(e));
                            return Exit::Disconnected;
                        }
                        // Count the subscriber only if it is still waiting.
                        if ack.send(Ok(())).is_ok() {
                            self.subs.insert(key, count + 1);
                        } else if count == 0 && unsubscribe(&mut sink, &key).await.is_err() {
                            return Exit::Disconnected;
                        }
                    }
                    Some(Command::Unsubscribe { key }) => {
                        if self.release(&key) && unsubscribe(&mut sink, &key).await.is_err() {
                            return Exit::Disconnected;
                        }
                    }
                },
                msg = stream.next() => match msg {
                    None => return Exit::Disconnected,
                    Some(msg) => self.deliver(&msg),
                },
            }
        }
    }

    fn deliver(&self, msg: &redis::Msg) {
        let channel = msg.get_channel_name();
        let Some(topic) = Topic::from_channel(&self.prefix, channel) else {
            return;
        };
        let via: Arc<str> = match msg.get_pattern::<Option<String>>() {
            Ok(Some(pattern)) => pattern.into(),
            _ => channel.into(),
        };
        let _ = self.local.send(Delivery {
            via: Some(via),
            event: Event {
                topic,
                payload: Bytes::copy_from_slice(msg.get_payload_bytes()),
            },
        });
    }
}

async fn ping(sink: &mut PubSubSink, timeout: Duration) -> Result<()> {
    tokio::time::timeout(timeout, sink.ping::<redis::Value>())
        .await
        .map_err(|_| Error::unavailable("Redis did not answer a ping in time"))?
        .map(|_| ())
        .map_err(from_redis)
}

async fn subscribe(sink: &mut PubSubSink, channel: &str, pattern: bool) -> Result<()> {
    if pattern {
        sink.psubscribe(channel).await
    } else {
        sink.subscribe(channel).await
    }
    .map_err(from_redis)
}

async fn unsubscribe(sink: &mut PubSubSink, key: &Key) -> Result<()> {
    if key.1 {
        sink.punsubscribe(&*key.0).await
    } else {
        sink.unsubscribe(&*key.0).await
    }
    .map_err(from_redis)
}
