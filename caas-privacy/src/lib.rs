//! Privacy tooling for CAAS.
//!
//! - [`Privacy`]: the GDPR service, composed of small stores it hands out,
//!   each of which can be built on its own from [`PrivacyParts`]:
//!   [`Consents`] (purposes and consent records in ISO/IEC TS 27560 shape;
//!   [`Consents::has_consent`] for the other crates), [`Requests`]
//!   (data-subject requests — access, portability, erasure, rectification,
//!   restriction, objection — with due dates and extensions, fanned out to
//!   every [`caas_core::DataSubjectSource`] in the [`SourceRegistry`]),
//!   [`Holds`] (legal holds that block erasure of what they cover),
//!   [`Retention`] (policies and runs), [`Breaches`] (with the 72-hour
//!   deadline) and [`Processing`] (records of processing, Art. 30).
//! - [`audit`]: the tamper-evident audit log — an RFC 6962 Merkle tree per
//!   tenant, signed C2SP checkpoints, inclusion and consistency proofs, an
//!   offline verifier, and [`AuditLog`] as the platform's
//!   [`caas_core::AuditSink`]. Personal data in entries is sealed under the
//!   subject's key, so erasing the subject shreds it while the tree still
//!   verifies.
//!
//! It depends on `caas-crypto` and `caas-core`; see DESIGN.md.
//!
//! ```
//! use caas_privacy::audit::merkle::{leaf_hash, node_hash, verify_inclusion};
//!
//! let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
//! let root = node_hash(&a, &b);
//! assert!(verify_inclusion(1, 2, &b, &[a], &root).is_ok());
//! assert!(verify_inclusion(0, 2, &b, &[a], &root).is_err());
//! ```

pub mod audit;
mod breaches;
mod check;
mod consent;
mod db;
mod holds;
mod migrations;
mod parts;
mod processing;
mod registry;
mod requests;
mod retention;
mod schedule;
mod service;
mod source;

pub use self::audit::AuditLog;
pub use self::breaches::{AUTHORITY_DEADLINE, Breach, BreachUpdate, Breaches, NewBreach};
pub use self::consent::{
    ConsentEvent, ConsentRecord, ConsentState, Consents, GiveConsent, LegalBasis, NewPurpose,
    Purpose,
};
pub use self::holds::{HoldRequest, HoldScope, HoldScopeKind, Holds, LegalHold, NewHold, Release};
pub use self::migrations::MIGRATIONS;
pub use self::parts::PrivacyParts;
pub use self::processing::{
    Activity, Controller, Processing, ProcessingExport, ProcessingRecords, SourceCategories,
};
pub use self::registry::SourceRegistry;
pub use self::requests::{
    DataSubjectRequest, ErasureReport, Extension, ManifestEntry, NewRequest, RequestKind,
    RequestResult, RequestState, Requests, SourceErasure, StateChange, due_date,
};
pub use self::retention::{
    CategoryRun, MAX_RETENTION_DAYS, Retention, RetentionPolicy, RetentionRun,
};
pub use self::schedule::SCHEDULE_EVERY;
pub use self::service::Privacy;
pub use self::source::{AuditLogSource, PrivacyRecordsSource};

use caas_core::EventType;

/// The events caas-privacy publishes (with a bus configured); payloads carry
/// ids, never the personal data itself.
pub static EVENTS: &[EventType] = &[
    EventType::new("privacy.request_filed", "a data-subject request was filed"),
    EventType::new(
        "privacy.request_updated",
        "a data-subject request moved to another state (verified, approved, rejected, extended)",
    ),
    EventType::new(
        "privacy.request_completed",
        "a data-subject request was carried out (export ready, data erased)",
    ),
    EventType::new(
        "privacy.consent_given",
        "a subject gave consent to a purpose",
    ),
    EventType::new(
        "privacy.consent_withdrawn",
        "a subject withdrew consent to a purpose",
    ),
    EventType::new("privacy.hold_placed", "a legal hold was placed"),
    EventType::new("privacy.hold_released", "a legal hold was released"),
    EventType::new(
        "privacy.breach_recorded",
        "a personal-data breach was recorded",
    ),
    EventType::new(
        "privacy.breach_overdue",
        "a personal-data breach passed its 72-hour deadline without the authority being notified",
    ),
];
