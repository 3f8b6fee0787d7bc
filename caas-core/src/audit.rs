//! [`AuditSink`]: where security events go.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Clock, Error, Result, TenantId, Timestamp, new_id};

/// How an audited action ended.
// Named `AuditOutcome` in OpenAPI: caas-game has an `Outcome` (of a round).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AuditOutcome))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was attempted and failed (e.g. a wrong password).
    Failure,
    /// It was refused by policy.
    Denied,
}

/// One security event: who did what to which target, with what outcome.
///
/// `details` must never hold secrets (passwords, tokens, keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// UUIDv7 id, ordered by time.
    pub id: Uuid,
    /// When it happened.
    pub at: Timestamp,
    /// The tenant, for tenant-level events.
    pub tenant: Option<TenantId>,
    /// The acting principal's subject, if known.
    pub actor: Option<String>,
    /// Dotted action name, e.g. `tenant.suspended`, `auth.login`.
    pub action: String,
    /// What was acted on, e.g. a tenant slug or user id.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The request it happened in.
    pub request_id: Option<String>,
    /// Further structured facts.
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// A successful `action` now, with nothing else set.
    pub fn new(clock: &dyn Clock, action: impl Into<String>) -> Self {
        AuditEvent {
            id: new_id(clock),
            at: clock.now(),
            tenant: None,
            actor: None,
            action: action.into(),
            target: None,
            outcome: Outcome::Success,
            request_id: None,
            details: serde_json::Value::Null,
        }
    }

    /// Sets the tenant.
    #[must_use]
    pub fn tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Sets the actor.
    #[must_use]
    pub fn actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = Some(actor.into());
        self
    }

    /// Sets the target.
    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the outcome.
    #[must_use]
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the details.
    #[must_use]
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Receives security events. The privacy crate provides the tamper-evident
/// log; [`MemoryAuditSink`] records them for tests and embedded use.
#[async_trait]
pub trait AuditSink: Send + Sync + Debug {
    /// Records `event`. An error means the event may be lost; callers of
    /// security-critical actions should fail the action rather than proceed
    /// unaudited.
    async fn record(&self, event: AuditEvent) -> Result<()>;
}

/// A shared audit sink handle.
pub type SharedAuditSink = Arc<dyn AuditSink>;

/// An [`AuditSink`] that keeps events in memory.
#[derive(Debug, Default)]
pub struct MemoryAuditSink {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemoryAuditSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event recorded, in order.
    pub fn events(&self) -> Result<Vec<AuditEvent>> {
        Ok(self.lock()?.clone())
    }

    /// Events with `action`, in order.
    pub fn events_with_action(&self, action: &str) -> Result<Vec<AuditEvent>> {
        Ok(self
            .lock()?
            .iter()
            .filter(|e| e.action == action)
            .cloned()
            .collect())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Vec<AuditEvent>>> {
        self.events
            .lock()
            .map_err(|_| Error::internal("audit sink lock poisoned"))
    }
}

#[async_trait]
impl AuditSink for MemoryAuditSink {
    async fn record(&self, event: AuditEvent) -> Result<()> {
        self.lock()?.push(event);
        Ok(())
    }
}

/// An [`AuditSink`] that writes each event to the log (target `audit`, level
/// info) as one JSON line: what the server uses until a durable log is
/// configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingAuditSink;

#[async_trait]
impl AuditSink for TracingAuditSink {
    async fn record(&self, event: AuditEvent) -> Result<()> {
        let line = serde_json::to_string(&event)?;
        tracing::info!(target: "audit", event = %line, "audit");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[tokio::test]
    async fn memory_sink_records_events_in_order() {
        let clock = ManualClock::new(Timestamp::from_millis(1_000));
        let tenant = TenantId::generate(&clock);
        let sink = MemoryAuditSink::new();
        sink.record(
            AuditEvent::new(&clock, "tenant.suspended")
                .tenant(tenant)
                .actor("admin")
                .target("acme"),
        )
        .await
        .unwrap();
        sink.record(AuditEvent::new(&clock, "auth.login").outcome(Outcome::Failure))
            .await
            .unwrap();
        let events = sink.events().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].tenant, Some(tenant));
        assert_eq!(events[0].at, Timestamp::from_millis(1_000));
        assert!(events[0].id < events[1].id);
        assert_eq!(
            sink.events_with_action("auth.login").unwrap()[0].outcome,
            Outcome::Failure
        );
        let json = serde_json::to_value(&events[1]).unwrap();
        assert_eq!(json["outcome"], "failure");
    }
}
