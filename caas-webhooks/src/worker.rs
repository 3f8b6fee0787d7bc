//! Getting events to receivers: the dispatcher turns bus events into
//! outbox rows; the delivery worker claims due rows and POSTs them.
//!
//! Every instance runs both. The outbox makes it safe: an event heard by
//! several instances is enqueued once (unique per webhook and event), a
//! claimed attempt belongs to one worker (its attempt number is the claim),
//! and a worker that dies mid-attempt loses only its lease — the attempt is
//! retried when the lease ends. Delivery is therefore at least once;
//! receivers de-duplicate by `X-CAAS-Delivery` or the event id.

use std::sync::Arc;
use std::time::Duration;

use caas_core::{Envelope, EventCatalogue, Result, SharedClock, SharedEventBus, TopicFilter};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::WebhookConfig;
use crate::outbound::Outbound;
use crate::signature;
use crate::store::{Claim, Outcome, WebhookStore};

/// Attempts claimed per round.
const BATCH: u32 = 16;

/// The most characters of an error kept on a delivery.
const MAX_ERROR: usize = 300;

/// Learns how each delivery attempt ended (the server counts them as
/// metrics); called once per attempt with `succeeded`, `failed` (a retry
/// follows) or `dead`.
pub trait DeliveryObserver: Send + Sync + std::fmt::Debug {
    /// One attempt ended with `outcome`.
    fn attempted(&self, outcome: &'static str);
}

/// Observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl DeliveryObserver for NoObserver {
    fn attempted(&self, _outcome: &'static str) {}
}

/// Subscribed to every event type of the catalogue, in every tenant.
#[derive(Debug)]
pub struct Dispatcher {
    rx: tokio::sync::mpsc::Receiver<caas_core::Event>,
    listeners: JoinSet<()>,
}

impl Dispatcher {
    /// Subscribes to every type in `catalogue`; events published after
    /// this returns are enqueued by [`Dispatcher::run`].
    pub async fn subscribe(bus: &SharedEventBus, catalogue: &EventCatalogue) -> Result<Self> {
        let (tx, rx) = tokio::sync::mpsc::channel::<caas_core::Event>(1024);
        let mut listeners = JoinSet::new();
        for t in catalogue.types() {
            let mut sub = bus.subscribe(TopicFilter::any_tenant(t.name)?).await?;
            let tx = tx.clone();
            listeners.spawn(async move {
                while let Some(event) = sub.recv().await {
                    if tx.send(event).await.is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Dispatcher { rx, listeners })
    }

    /// Enqueues what arrives until `stop` flips.
    pub async fn run(self, store: WebhookStore, wake: Arc<Notify>, stop: watch::Receiver<bool>) {
        dispatch(self, store, wake, stop).await;
    }
}

async fn dispatch(
    dispatcher: Dispatcher,
    store: WebhookStore,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let Dispatcher {
        mut rx,
        mut listeners,
    } = dispatcher;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            event = rx.recv() => {
                let Some(event) = event else { break };
                let envelope = match Envelope::from_event(&event.topic, &event.payload) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(error = %e, topic = %event.topic, "ignoring a malformed event");
                        continue;
                    }
                };
                match store.enqueue(&envelope, None).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::debug!(event = %envelope.id, deliveries = n, "enqueued webhook deliveries");
                        wake.notify_one();
                    }
                    Err(e) => tracing::error!(error = %e, event = %envelope.id, "cannot enqueue webhook deliveries"),
                }
            }
        }
    }
    listeners.abort_all();
}

/// The delay before attempt `attempt + 1`: `backoff × 2^(attempt−1)`, at
/// most `max_backoff`, then scaled by a random factor in [0.5, 1] so that
/// receivers recovering from an outage are not hit by every retry at once.
pub fn backoff(config: &WebhookConfig, attempt: i64, jitter: f64) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base = config
        .backoff
        .saturating_mul(2u32.saturating_pow(exp))
        .min(config.max_backoff);
    base.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// The delivery worker.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The outbox.
    pub store: WebhookStore,
    /// The HTTP client.
    pub outbound: Outbound,
    /// Retry settings.
    pub config: WebhookConfig,
    /// The clock.
    pub clock: SharedClock,
    /// Told how each attempt ended.
    pub observer: Arc<dyn DeliveryObserver>,
}

impl Worker {
    /// Delivers until `stop` flips: claims due attempts whenever woken or
    /// every `poll_interval`, and sends them concurrently. Attempts in
    /// flight when `stop` flips are finished first.
    pub async fn run(self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        loop {
            loop {
                let claims = match self.store.claim(self.config.lease, BATCH).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim webhook deliveries");
                        break;
                    }
                };
                if claims.is_empty() {
                    break;
                }
                let mut running = JoinSet::new();
                for claim in claims {
                    let worker = self.clone();
                    running.spawn(async move { worker.attempt(claim).await });
                }
                while running.join_next().await.is_some() {}
                if *stop.borrow() {
                    return;
                }
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = wake.notified() => {}
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// Makes one claimed attempt and records its outcome.
    async fn attempt(&self, claim: Claim) {
        let outcome = match self.send(&claim).await {
            Ok(outcome) => outcome,
            Err(e) => self.failed(&claim, None, format!("not sent: {e}")),
        };
        let label = match &outcome {
            Outcome::Succeeded { .. } => "succeeded",
            Outcome::Failed { retry_at: None, .. } => "dead",
            Outcome::Failed { .. } => "failed",
        };
        self.observer.attempted(label);
        match self.store.finish(&claim, &outcome).await {
            Ok(true) => {
                tracing::info!(delivery = %claim.id, attempt = claim.attempt, outcome = label, "webhook attempt")
            }
            Ok(false) => {
                tracing::warn!(delivery = %claim.id, "webhook attempt finished after its lease ended")
            }
            Err(e) => {
                tracing::error!(error = %e, delivery = %claim.id, "cannot record a webhook attempt")
            }
        }
    }

    async fn send(&self, claim: &Claim) -> Result<Outcome> {
        let Some(attempt) = self.store.attempt(claim).await? else {
            return Ok(Outcome::Failed {
                status: None,
                error: "the webhook was disabled".into(),
                retry_at: None,
            });
        };
        if claim.attempt > i64::from(self.config.max_attempts) {
            return Ok(Outcome::Failed {
                status: None,
                error: "no attempts left".into(),
                retry_at: None,
            });
        }
        let url = self.outbound.check_url(&attempt.url)?;
        let timestamp = self.clock.now().as_millis().div_euclid(1000);
        let body = attempt.payload.into_bytes();
        let signature = signature::sign(attempt.secret.expose(), timestamp, &body)?;
        let sent = self
            .outbound
            .client()
            .post(url)
            .header("content-type", "application/json")
            .header(signature::HEADER, signature)
            .header("x-caas-event", attempt.event_type.as_str())
            .header("x-caas-delivery", claim.id.to_string())
            .header("x-caas-attempt", claim.attempt.to_string())
            .body(body)
            .send()
            .await;
        Ok(match sent {
            Ok(response) if response.status().is_success() => Outcome::Succeeded {
                status: response.status().as_u16(),
            },
            Ok(response) => {
                let status = response.status();
                self.failed(
                    claim,
                    Some(status.as_u16()),
                    format!("the receiver answered {status}"),
                )
            }
            Err(e) => self.failed(claim, None, describe(&e)),
        })
    }

    fn failed(&self, claim: &Claim, status: Option<u16>, error: String) -> Outcome {
        let retry_at = (claim.attempt < i64::from(self.config.max_attempts)).then(|| {
            let delay = backoff(&self.config, claim.attempt, rand::random::<f64>());
            self.clock.now().saturating_add(delay)
        });
        Outcome::Failed {
            status,
            error: error.chars().take(MAX_ERROR).collect(),
            retry_at,
        }
    }
}

/// A transport error in words, without the URL (it may carry a token).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (not followed)"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let config = WebhookConfig {
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(60),
            ..WebhookConfig::default()
        };
        assert_eq!(backoff(&config, 1, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(&config, 2, 1.0), Duration::from_secs(20));
        assert_eq!(backoff(&config, 3, 1.0), Duration::from_secs(40));
        assert_eq!(backoff(&config, 4, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(&config, 40, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(&config, 1, 0.0), Duration::from_secs(5));
        assert_eq!(backoff(&config, 2, 0.5), Duration::from_secs(15));
    }
}
