//! Purposes and consent: [`Consents`], the store of a tenant's purposes of
//! processing (`purposes`) and of its subjects' consent records
//! (`records`). Withdrawing is one call, like giving.

mod purposes;
mod records;

pub use self::purposes::{LegalBasis, NewPurpose, Purpose};
pub use self::records::{ConsentEvent, ConsentRecord, ConsentState, GiveConsent};

use caas_core::{Db, Result, SharedClock, TenantId};

use crate::parts::{PrivacyParts, Trail};

/// Purposes and consent records. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Consents {
    db: Db,
    clock: SharedClock,
    trail: Trail,
}

impl Consents {
    /// The store on `parts.db`; changes are audited to `parts.audit`, and
    /// `privacy.consent_*` events published on `parts.events`.
    pub fn new(parts: &PrivacyParts) -> Self {
        Consents {
            db: parts.db.clone(),
            clock: parts.clock.clone(),
            trail: Trail::new(parts),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }
}

#[async_trait::async_trait]
impl caas_core::ConsentCheck for Consents {
    async fn has_consent(&self, tenant: &TenantId, subject: &str, purpose: &str) -> Result<bool> {
        Consents::has_consent(self, tenant, subject, purpose).await
    }
}
