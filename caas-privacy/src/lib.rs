#![doc = include_str!("../README.md")]
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
    DataSubjectRequest, DeletionLogEntry, ErasureReport, Extension, ManifestEntry, NewRequest,
    RequestKind, RequestResult, RequestState, Requests, SourceErasure, StateChange, due_date,
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
