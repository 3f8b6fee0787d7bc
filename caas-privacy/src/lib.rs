//! Privacy tooling for CAAS.
//!
//! - [`Privacy`]: purposes and consent records (ISO/IEC TS 27560 shape,
//!   [`Privacy::has_consent`] for the other crates), data-subject requests
//!   (access, portability, erasure, rectification, restriction, objection)
//!   with due dates and extensions, fanned out to every registered
//!   [`caas_core::DataSubjectSource`]; legal holds that block erasure of
//!   what they cover; retention policies and runs; breach records with the
//!   72-hour deadline; records of processing (Art. 30).
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
mod consent;
mod db;
mod holds;
mod migrations;
mod processing;
mod requests;
mod retention;
mod schedule;
mod service;
mod source;

pub use self::audit::AuditLog;
pub use self::breaches::{AUTHORITY_DEADLINE, Breach, BreachUpdate, NewBreach};
pub use self::consent::{
    ConsentEvent, ConsentRecord, ConsentState, GiveConsent, LegalBasis, NewPurpose, Purpose,
};
pub use self::holds::{HoldRequest, HoldScope, HoldScopeKind, LegalHold, NewHold, Release};
pub use self::migrations::MIGRATIONS;
pub use self::processing::{
    Activity, Controller, ProcessingExport, ProcessingRecords, SourceCategories,
};
pub use self::requests::{
    DataSubjectRequest, ErasureReport, Extension, ManifestEntry, NewRequest, RequestKind,
    RequestResult, RequestState, SourceErasure, StateChange, due_date,
};
pub use self::retention::{CategoryRun, MAX_RETENTION_DAYS, RetentionPolicy, RetentionRun};
pub use self::schedule::SCHEDULE_EVERY;
pub use self::service::{Privacy, PrivacyParts};
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
