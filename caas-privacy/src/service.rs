//! [`Privacy`]: the tenant-scoped GDPR service, composed of its stores —
//! [`Consents`], [`Requests`], [`Holds`], [`Retention`], [`Breaches`] and
//! [`Processing`] — which share one [`SourceRegistry`]. Each store can also
//! be built and used on its own.

use std::sync::Arc;

use caas_core::{Result, SharedDataSubjectSource, TenantId};

use crate::breaches::Breaches;
use crate::consent::Consents;
use crate::holds::Holds;
use crate::parts::PrivacyParts;
use crate::processing::Processing;
use crate::registry::SourceRegistry;
use crate::requests::Requests;
use crate::retention::Retention;
use crate::source::PrivacyRecordsSource;

/// The GDPR service: hands out its stores. Cheap to clone.
#[derive(Clone)]
pub struct Privacy(Arc<Stores>);

struct Stores {
    sources: SourceRegistry,
    consents: Consents,
    requests: Requests,
    holds: Holds,
    retention: Retention,
    breaches: Breaches,
    processing: Processing,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("sources", &self.0.sources)
            .finish_non_exhaustive()
    }
}

impl Privacy {
    /// A service from `parts`; it registers its own data as a source
    /// (`caas-privacy.records`).
    pub fn new(parts: PrivacyParts) -> Self {
        let sources = SourceRegistry::new();
        let consents = Consents::new(&parts);
        let holds = Holds::new(&parts);
        let own = PrivacyRecordsSource::new(consents.clone());
        // A fresh registry is empty, so this name is free.
        if let Err(e) = sources.register(Arc::new(own)) {
            tracing::error!(error = %e, "the privacy records could not be registered");
        }
        Privacy(Arc::new(Stores {
            requests: Requests::new(&parts, sources.clone(), holds.clone(), consents.clone()),
            retention: Retention::new(&parts, sources.clone(), holds.clone()),
            breaches: Breaches::new(&parts),
            processing: Processing::new(&parts, sources.clone(), consents.clone()),
            sources,
            consents,
            holds,
        }))
    }

    /// Registers a source of personal data; requests reach it from now on.
    /// A second source with the same name is refused.
    pub fn register(&self, source: SharedDataSubjectSource) -> Result<()> {
        self.0.sources.register(source)
    }

    /// Every registered source, in registration order.
    pub fn sources(&self) -> Result<Vec<SharedDataSubjectSource>> {
        self.0.sources.all()
    }

    /// The source registry the stores share.
    #[must_use]
    pub fn source_registry(&self) -> &SourceRegistry {
        &self.0.sources
    }

    /// Purposes and consent records.
    #[must_use]
    pub fn consents(&self) -> &Consents {
        &self.0.consents
    }

    /// Data-subject requests.
    #[must_use]
    pub fn requests(&self) -> &Requests {
        &self.0.requests
    }

    /// Legal holds.
    #[must_use]
    pub fn holds(&self) -> &Holds {
        &self.0.holds
    }

    /// Retention policies and runs.
    #[must_use]
    pub fn retention(&self) -> &Retention {
        &self.0.retention
    }

    /// Breach records.
    #[must_use]
    pub fn breaches(&self) -> &Breaches {
        &self.0.breaches
    }

    /// Records of processing.
    #[must_use]
    pub fn processing(&self) -> &Processing {
        &self.0.processing
    }
}

#[async_trait::async_trait]
impl caas_core::ConsentCheck for Privacy {
    async fn has_consent(&self, tenant: &TenantId, subject: &str, purpose: &str) -> Result<bool> {
        self.0.consents.has_consent(tenant, subject, purpose).await
    }
}
