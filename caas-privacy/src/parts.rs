//! What the privacy stores are built from ([`PrivacyParts`]), and the trail
//! each leaves of its steps: audit entries and `privacy.*` events.

use std::sync::Arc;

use caas_core::{
    AuditEvent, Db, Envelope, Result, SharedAuditSink, SharedClock, SharedEventBus, TenantId,
};
use caas_crypto::KeyManager;

/// What the privacy stores — and so a [`Privacy`](crate::Privacy) service —
/// are built from; each store keeps only the parts it needs.
#[derive(Clone)]
pub struct PrivacyParts {
    /// The database (migrated with caas-core's, caas-crypto's and this
    /// crate's migrations).
    pub db: Db,
    /// Seals exports under the subject's key and shreds subjects.
    pub keys: Arc<dyn KeyManager>,
    /// The clock.
    pub clock: SharedClock,
    /// Where `privacy.*` events go (breach overdue, request changes).
    pub events: Option<SharedEventBus>,
    /// Where consent changes and request steps are audited.
    pub audit: Option<SharedAuditSink>,
}

/// Where a store audits its steps and publishes its events (either may be
/// absent).
#[derive(Clone)]
pub(crate) struct Trail {
    clock: SharedClock,
    audit: Option<SharedAuditSink>,
    events: Option<SharedEventBus>,
}

impl std::fmt::Debug for Trail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trail")
            .field("audited", &self.audit.is_some())
            .field("published", &self.events.is_some())
            .finish()
    }
}

impl Trail {
    /// Audits to `parts.audit` and publishes on `parts.events`.
    pub(crate) fn new(parts: &PrivacyParts) -> Self {
        Trail {
            clock: parts.clock.clone(),
            audit: parts.audit.clone(),
            events: parts.events.clone(),
        }
    }

    /// Audits to `parts.audit`; publishes nothing.
    pub(crate) fn audit_only(parts: &PrivacyParts) -> Self {
        Trail {
            events: None,
            ..Trail::new(parts)
        }
    }

    /// Audits `action` by `actor` on `target` in `tenant`; an audit failure
    /// fails the step.
    pub(crate) async fn audit(
        &self,
        tenant: &TenantId,
        actor: &str,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let Some(sink) = &self.audit else {
            return Ok(());
        };
        let event = AuditEvent::new(self.clock.as_ref(), action)
            .tenant(*tenant)
            .actor(actor)
            .target(target)
            .details(details);
        sink.record(event).await
    }

    /// Publishes `event_type` in `tenant` (best effort: logged on failure).
    pub(crate) async fn publish(
        &self,
        tenant: &TenantId,
        event_type: &str,
        data: serde_json::Value,
    ) {
        let Some(bus) = &self.events else {
            return;
        };
        Envelope::new(self.clock.as_ref(), *tenant, event_type, data)
            .publish_or_log(bus.as_ref())
            .await;
    }
}
