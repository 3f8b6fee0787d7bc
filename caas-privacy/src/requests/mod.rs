//! Data-subject requests (GDPR Art. 15–18, 20, 21): access, portability,
//! erasure, rectification, restriction, objection.
//!
//! States: `received` → `verified` → `in_progress` → `completed`, or
//! `denied`; `extended` once, with a reason, by one or two months (Art.
//! 12(3)). The due date is one calendar month after receipt — the same
//! date next month, or that month's last day — plus any extension.
//!
//! Approving runs the request against every registered source: access and
//! portability assemble one JSON document with a manifest (stored sealed
//! under the subject's key, downloadable by the subject); erasure checks
//! legal holds first, erases or anonymizes per source, shreds the subject's
//! keys when nothing is held, and writes a deletion-log entry without
//! personal data; restriction restricts every source (caas-auth then
//! disables the account and ends its sessions); objection withdraws every
//! consent the subject gave (processing on other bases is the controller's
//! call, recorded in the request).
//!
//! [`Requests`] is the store: `model` is the request as stored,
//! `lifecycle` files it and moves it through its states, `fulfil`
//! carries it out against the sources.

mod fulfil;
mod lifecycle;
mod model;
mod partial;

pub(crate) use self::lifecycle::of_subject;
pub use self::model::{
    DataSubjectRequest, DeletionLogEntry, ErasureReport, Extension, ManifestEntry, NewRequest,
    RequestKind, RequestResult, RequestState, SourceErasure, StateChange, due_date,
};

use std::sync::Arc;

use caas_core::{Db, SharedClock};
use caas_crypto::KeyManager;

use crate::consent::Consents;
use crate::holds::Holds;
use crate::parts::{PrivacyParts, Trail};
use crate::registry::SourceRegistry;

/// Data-subject requests. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Requests {
    db: Db,
    clock: SharedClock,
    trail: Trail,
    keys: Arc<dyn KeyManager>,
    sources: SourceRegistry,
    holds: Holds,
    consents: Consents,
}

impl Requests {
    /// The store on `parts.db`, sealing exports and shredding subjects with
    /// `parts.keys`; requests reach every source in `sources`, erasure
    /// spares what `holds` keeps, objection withdraws consents in
    /// `consents`. Steps are audited to `parts.audit` and published on
    /// `parts.events`.
    pub fn new(
        parts: &PrivacyParts,
        sources: SourceRegistry,
        holds: Holds,
        consents: Consents,
    ) -> Self {
        Requests {
            db: parts.db.clone(),
            clock: parts.clock.clone(),
            trail: Trail::new(parts),
            keys: parts.keys.clone(),
            sources,
            holds,
            consents,
        }
    }
}
