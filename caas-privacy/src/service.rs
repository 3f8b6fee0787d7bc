//! [`Privacy`]: the tenant-scoped GDPR service — purposes and consent,
//! data-subject requests fanned out to every registered
//! [`DataSubjectSource`](caas_core::DataSubjectSource), legal holds,
//! retention, breaches and records of processing. Each concept lives in its
//! own module as an `impl Privacy` block.

use std::sync::{Arc, RwLock};

use caas_core::{
    AuditEvent, Db, Envelope, Error, Result, SharedAuditSink, SharedClock, SharedDataSubjectSource,
    SharedEventBus, TenantId,
};
use caas_crypto::KeyManager;

/// What a [`Privacy`] service is built from.
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

/// The GDPR service. Cheap to clone.
#[derive(Clone)]
pub struct Privacy(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) db: Db,
    pub(crate) keys: Arc<dyn KeyManager>,
    pub(crate) clock: SharedClock,
    pub(crate) events: Option<SharedEventBus>,
    pub(crate) audit: Option<SharedAuditSink>,
    pub(crate) sources: RwLock<Vec<SharedDataSubjectSource>>,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .sources()
            .map(|s| s.iter().map(|s| s.name().to_owned()).collect())
            .unwrap_or_default();
        f.debug_struct("Privacy")
            .field("sources", &names)
            .finish_non_exhaustive()
    }
}

impl Privacy {
    /// A service from `parts`; it registers its own data as a source
    /// (`caas-privacy.records`).
    pub fn new(parts: PrivacyParts) -> Self {
        let privacy = Privacy(Arc::new(Inner {
            db: parts.db,
            keys: parts.keys,
            clock: parts.clock,
            events: parts.events,
            audit: parts.audit,
            sources: RwLock::new(Vec::new()),
        }));
        let own = crate::source::PrivacyRecordsSource::new(&privacy);
        // A fresh lock cannot be poisoned.
        if let Ok(mut sources) = privacy.0.sources.write() {
            sources.push(Arc::new(own));
        }
        privacy
    }

    /// Registers a source of personal data; requests reach it from now on.
    /// A second source with the same name is refused.
    pub fn register(&self, source: SharedDataSubjectSource) -> Result<()> {
        let mut sources = self
            .0
            .sources
            .write()
            .map_err(|_| Error::internal("the source registry is poisoned"))?;
        if sources.iter().any(|s| s.name() == source.name()) {
            return Err(Error::conflict(format!(
                "a data-subject source named `{}` is already registered",
                source.name()
            )));
        }
        sources.push(source);
        Ok(())
    }

    /// Every registered source, in registration order.
    pub fn sources(&self) -> Result<Vec<SharedDataSubjectSource>> {
        Ok(self
            .0
            .sources
            .read()
            .map_err(|_| Error::internal("the source registry is poisoned"))?
            .clone())
    }

    pub(crate) fn db(&self) -> &Db {
        &self.0.db
    }

    pub(crate) fn now(&self) -> caas_core::Timestamp {
        self.0.clock.now()
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
        let Some(sink) = &self.0.audit else {
            return Ok(());
        };
        let event = AuditEvent::new(self.0.clock.as_ref(), action)
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
        let Some(bus) = &self.0.events else {
            return;
        };
        Envelope::new(self.0.clock.as_ref(), *tenant, event_type, data)
            .publish_or_log(bus.as_ref())
            .await;
    }
}

/// Checks an identifier: 1 to 64 of a-z, 0-9, `_`, `-`, `.`.
pub(crate) fn check_id(value: &str, field: &'static str) -> Result<()> {
    let ok = (1..=64).contains(&value.len())
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "`{field}` must be 1 to 64 characters of a-z, 0-9, `_`, `-` and `.`"
        ))
        .with_field(field))
    }
}

/// Checks free text: 1 to `max` characters, no control characters except
/// newlines.
pub(crate) fn check_text(value: &str, field: &'static str, max: usize) -> Result<()> {
    let ok = !value.trim().is_empty()
        && value.chars().count() <= max
        && !value.chars().any(|c| c.is_control() && c != '\n');
    if ok {
        Ok(())
    } else {
        Err(
            Error::invalid_input(format!("`{field}` must be 1 to {max} characters of text"))
                .with_field(field),
        )
    }
}

/// Checks a subject id: 1 to 256 characters without control characters.
pub(crate) fn check_subject(subject: &str) -> Result<()> {
    if (1..=256).contains(&subject.len()) && !subject.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(
            Error::invalid_input("a subject id is 1 to 256 characters without control characters")
                .with_field("subject"),
        )
    }
}
