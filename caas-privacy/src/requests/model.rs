//! The data-subject request as stored: its kind, its states and their
//! history, the extension of its deadline, its due date, and what carrying
//! it out produced.

use caas_core::{ErasureMethod, Error, Result, Retained, Timestamp};
use serde::{Deserialize, Serialize};

/// The kind of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Art. 15: a copy of the data.
    Access,
    /// Art. 20: the data, machine-readable.
    Portability,
    /// Art. 17: erase.
    Erasure,
    /// Art. 16: correct (done through the owning APIs; recorded here).
    Rectification,
    /// Art. 18: keep but do not use.
    Restriction,
    /// Art. 21: object to processing.
    Objection,
}

/// The state of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Received, identity not yet verified.
    Received,
    /// The subject's identity is verified.
    Verified,
    /// Being carried out.
    InProgress,
    /// The deadline was extended.
    Extended,
    /// Done.
    Completed,
    /// Refused, with a reason.
    Denied,
}

impl RequestState {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::Verified => "verified",
            RequestState::InProgress => "in_progress",
            RequestState::Extended => "extended",
            RequestState::Completed => "completed",
            RequestState::Denied => "denied",
        }
    }
}

/// One change of state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateChange {
    /// The new state.
    pub state: RequestState,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: String,
    /// Why, when given.
    pub note: Option<String>,
}

/// The extension of a request's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extension {
    /// By how many months (1 or 2: [`Extension::MAX_MONTHS`]).
    pub months: u32,
    /// Why (recorded; told to the subject).
    pub reason: String,
}

impl Extension {
    /// The most months a deadline may be extended by (GDPR Art. 12(3)).
    pub const MAX_MONTHS: u32 = 2;

    /// `months` when it is 1 to [`MAX_MONTHS`](Self::MAX_MONTHS);
    /// otherwise invalid input naming `months`.
    pub fn check_months(months: u32) -> Result<u32> {
        if (1..=Self::MAX_MONTHS).contains(&months) {
            Ok(months)
        } else {
            Err(
                Error::invalid_input("a deadline is extended by 1 or 2 months (Art. 12(3))")
                    .with_field("months"),
            )
        }
    }
}

/// What erasure did in one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceErasure {
    /// The source.
    pub source: String,
    /// Records erased or anonymized (0 when held).
    pub records: u64,
    /// Categories kept, with reasons (legal holds, the source's own).
    pub retained: Vec<Retained>,
}

/// What an erasure did; holds no personal data (it is the deletion log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErasureReport {
    /// Delete or anonymize.
    pub method: ErasureMethod,
    /// Per source.
    pub sources: Vec<SourceErasure>,
    /// Whether the subject's keys were shredded (not when a hold keeps
    /// data sealed under them).
    pub keys_shredded: bool,
    /// The holds that limited the erasure.
    pub limited_by: Vec<String>,
}

/// A source and category in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestEntry {
    /// The source.
    pub source: String,
    /// The categories it exported.
    pub categories: Vec<String>,
}

/// What a completed request produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestResult {
    /// Access/portability: what the export holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Vec<ManifestEntry>>,
    /// Erasure: what was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure: Option<ErasureReport>,
    /// Restriction: sources restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted: Option<Vec<String>>,
    /// Objection: consents withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consents_withdrawn: Option<Vec<String>>,
}

/// A data-subject request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataSubjectRequest {
    /// Id.
    pub id: String,
    /// The subject (cleared once the subject is erased).
    pub subject: Option<String>,
    /// Kind.
    pub kind: RequestKind,
    /// Current state.
    pub state: RequestState,
    /// Received at.
    pub received_at: Timestamp,
    /// Due at (one calendar month after receipt, plus any extension).
    pub due_at: Timestamp,
    /// The extension, if any.
    pub extension: Option<Extension>,
    /// Erasure method (erasure requests).
    pub method: Option<ErasureMethod>,
    /// The subject's own words (rectification: what is wrong).
    pub details: Option<String>,
    /// Every state change.
    pub history: Vec<StateChange>,
    /// The outcome, once completed.
    pub result: Option<RequestResult>,
}

impl DataSubjectRequest {
    /// Whether the request is past its due date and not finished.
    pub fn overdue(&self, now: Timestamp) -> bool {
        !matches!(self.state, RequestState::Completed | RequestState::Denied) && now > self.due_at
    }
}

/// One entry of the deletion log: an erasure's report, without personal
/// data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletionLogEntry {
    /// The erasure request.
    pub request_id: String,
    /// When it was carried out.
    pub at: Timestamp,
    /// What it did.
    pub report: ErasureReport,
}

/// A request to file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// Kind.
    pub kind: RequestKind,
    /// Erasure: delete (default) or anonymize.
    #[serde(default)]
    pub method: Option<ErasureMethod>,
    /// Free text (at most 4,000 characters; required for rectification).
    #[serde(default)]
    pub details: Option<String>,
}

/// The due date of a request received at `received` and extended by
/// `extension_months` (0 to 2).
pub fn due_date(received: Timestamp, extension_months: u32) -> Timestamp {
    received.add_calendar_months(1 + extension_months.min(Extension::MAX_MONTHS))
}

#[cfg(test)]
mod bounds {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn extensions_are_bounded_or_refused_by_name(months in any::<u32>()) {
            match Extension::check_months(months) {
                Ok(m) => prop_assert!((1..=Extension::MAX_MONTHS).contains(&m)),
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("months"));
                    prop_assert!(months == 0 || months > Extension::MAX_MONTHS);
                }
            }
        }

        #[test]
        fn due_dates_can_always_be_written(ms in any::<i64>(), months in any::<u32>()) {
            prop_assert!(due_date(Timestamp::from_millis(ms), months).is_rfc3339());
        }
    }
}
