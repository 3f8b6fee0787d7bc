//! [`DataSubjectSource`]: the seam through which privacy tooling reaches
//! every crate that holds personal data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, TenantId, Timestamp};

/// One person (data subject) within one tenant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SubjectRef {
    /// The tenant.
    pub tenant: TenantId,
    /// The subject id within the tenant (usually the user id).
    pub subject: String,
}

impl SubjectRef {
    /// The subject `subject` of `tenant`.
    pub fn new(tenant: TenantId, subject: impl Into<String>) -> Self {
        SubjectRef {
            tenant,
            subject: subject.into(),
        }
    }
}

/// A kind of personal data a source holds, for records of processing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCategory {
    /// Machine name, e.g. `account`.
    pub name: String,
    /// What it is and why it is kept.
    pub description: String,
    /// The personal fields in it, e.g. `["email", "display_name"]`.
    pub fields: Vec<String>,
    /// How long it is kept, in words (e.g. `until account deletion`).
    pub retention: String,
}

/// Everything a source holds about one subject, by category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectExport {
    /// The source's name.
    pub source: String,
    /// Machine-readable data per category name.
    pub categories: BTreeMap<String, serde_json::Value>,
}

/// How to erase a subject's data.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureMethod {
    /// Delete the records.
    Delete,
    /// Keep the records but remove everything that identifies the subject.
    Anonymize,
}

/// Data a source had to keep when erasing, and why.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retained {
    /// The category kept.
    pub category: String,
    /// The legal reason (e.g. `tax records, 10 years`).
    pub reason: String,
}

/// What an erasure did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureOutcome {
    /// Records deleted or anonymized.
    pub records: u64,
    /// Categories kept, with reasons.
    pub retained: Vec<Retained>,
}

/// A crate that holds personal data implements this, so that data-subject
/// requests reach its data without the privacy crate knowing it.
///
/// Every method is scoped to one subject of one tenant and must not touch
/// another tenant's data. Erasure and restriction are idempotent.
#[async_trait]
pub trait DataSubjectSource: Send + Sync + Debug {
    /// A stable name, e.g. `caas-auth.users`.
    fn name(&self) -> &str;

    /// The categories of personal data held.
    fn categories(&self) -> Vec<DataCategory>;

    /// The SQL tables whose rows about a subject this source exports and
    /// erases. caas-server's tests fail when a migration creates a table
    /// with a subject column that no registered source lists.
    fn tables(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Everything held about `subject`, machine-readable.
    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport>;

    /// Erases `subject`'s data by `method`.
    async fn erase(&self, subject: &SubjectRef, method: ErasureMethod) -> Result<ErasureOutcome>;

    /// Whether [`DataSubjectSource::erase_category`] can erase `category`
    /// (narrowed to a `part` when `with_part`) apart from the rest; asked of
    /// every source before any erases, so that none is half done (default:
    /// no).
    fn separates(&self, category: &str, with_part: bool) -> bool {
        let _ = (category, with_part);
        false
    }

    /// Erases only `subject`'s data of `category` by `method`, narrowed to
    /// `part` when given (a subset the source names: caas-game's history
    /// takes a rule set id). `None` when this source cannot erase the
    /// category apart from the rest (the default; see
    /// [`DataSubjectSource::separates`]).
    async fn erase_category(
        &self,
        subject: &SubjectRef,
        category: &str,
        part: Option<&str>,
        method: ErasureMethod,
    ) -> Result<Option<ErasureOutcome>> {
        let _ = (subject, category, part, method);
        Ok(None)
    }

    /// Restricts (`true`) or lifts the restriction of (`false`) processing
    /// of `subject`'s data: a restricted subject's data is stored, not used.
    async fn restrict(&self, subject: &SubjectRef, restricted: bool) -> Result<()>;

    /// Retention: erases (by `method`) this source's records of `category`
    /// in `tenant` that are older than `before`, except records of the
    /// subjects in `keep` (under legal hold). Returns how many records it
    /// erased, or `None` when the source does not expire `category` by age
    /// (the default).
    async fn expire(
        &self,
        tenant: &TenantId,
        category: &str,
        before: Timestamp,
        method: ErasureMethod,
        keep: &[String],
    ) -> Result<Option<u64>> {
        let _ = (tenant, category, before, method, keep);
        Ok(None)
    }
}

/// A shared data-subject source handle.
pub type SharedDataSubjectSource = Arc<dyn DataSubjectSource>;

/// Whether a subject consents to a purpose: how a crate asks before
/// processing on the basis of consent, without depending on the privacy
/// crate (caas-privacy's `Privacy` implements it).
#[async_trait]
pub trait ConsentCheck: Send + Sync + Debug {
    /// `true` when `subject` of `tenant` gave consent to `purpose` and has
    /// not withdrawn it, and it has not expired.
    async fn has_consent(&self, tenant: &TenantId, subject: &str, purpose: &str) -> Result<bool>;
}

/// A shared consent check.
pub type SharedConsentCheck = Arc<dyn ConsentCheck>;

/// One call a [`RecordingDataSubjectSource`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectCall {
    /// `export`.
    Export(SubjectRef),
    /// `erase`.
    Erase(SubjectRef, ErasureMethod),
    /// `restrict`.
    Restrict(SubjectRef, bool),
}

/// An in-memory [`DataSubjectSource`] that records every call; for tests of
/// privacy tooling and of code that fans out to sources.
#[derive(Debug)]
pub struct RecordingDataSubjectSource {
    name: String,
    categories: Vec<DataCategory>,
    state: Mutex<RecordingState>,
}

#[derive(Debug, Default)]
struct RecordingState {
    data: BTreeMap<SubjectRef, BTreeMap<String, serde_json::Value>>,
    restricted: BTreeSet<SubjectRef>,
    calls: Vec<SubjectCall>,
}

impl RecordingDataSubjectSource {
    /// An empty source called `name` holding `categories`.
    pub fn new(name: impl Into<String>, categories: Vec<DataCategory>) -> Self {
        RecordingDataSubjectSource {
            name: name.into(),
            categories,
            state: Mutex::new(RecordingState::default()),
        }
    }

    /// Stores `value` as `subject`'s data in `category`.
    pub fn insert(
        &self,
        subject: &SubjectRef,
        category: &str,
        value: serde_json::Value,
    ) -> Result<()> {
        self.lock()?
            .data
            .entry(subject.clone())
            .or_default()
            .insert(category.to_owned(), value);
        Ok(())
    }

    /// The calls received so far, in order.
    pub fn calls(&self) -> Result<Vec<SubjectCall>> {
        Ok(self.lock()?.calls.clone())
    }

    /// Whether `subject` is restricted.
    pub fn is_restricted(&self, subject: &SubjectRef) -> Result<bool> {
        Ok(self.lock()?.restricted.contains(subject))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, RecordingState>> {
        self.state
            .lock()
            .map_err(|_| Error::internal("recording source lock poisoned"))
    }
}

#[async_trait]
impl DataSubjectSource for RecordingDataSubjectSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn categories(&self) -> Vec<DataCategory> {
        self.categories.clone()
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let mut state = self.lock()?;
        state.calls.push(SubjectCall::Export(subject.clone()));
        Ok(SubjectExport {
            source: self.name.clone(),
            categories: state.data.get(subject).cloned().unwrap_or_default(),
        })
    }

    async fn erase(&self, subject: &SubjectRef, method: ErasureMethod) -> Result<ErasureOutcome> {
        let mut state = self.lock()?;
        state
            .calls
            .push(SubjectCall::Erase(subject.clone(), method));
        let records = match method {
            ErasureMethod::Delete => state.data.remove(subject).map_or(0, |d| d.len()),
            ErasureMethod::Anonymize => state.data.get_mut(subject).map_or(0, |d| {
                d.values_mut().for_each(|v| *v = serde_json::Value::Null);
                d.len()
            }),
        };
        Ok(ErasureOutcome {
            records: records as u64,
            retained: Vec::new(),
        })
    }

    fn separates(&self, category: &str, with_part: bool) -> bool {
        !with_part && self.categories.iter().any(|c| c.name == category)
    }

    /// Removes `category` alone; it has no parts (`None` for a `part`).
    async fn erase_category(
        &self,
        subject: &SubjectRef,
        category: &str,
        part: Option<&str>,
        method: ErasureMethod,
    ) -> Result<Option<ErasureOutcome>> {
        if part.is_some() || method != ErasureMethod::Delete {
            return Ok(None);
        }
        let mut state = self.lock()?;
        let removed = state
            .data
            .get_mut(subject)
            .and_then(|d| d.remove(category))
            .is_some();
        Ok(Some(ErasureOutcome {
            records: u64::from(removed),
            retained: Vec::new(),
        }))
    }

    async fn restrict(&self, subject: &SubjectRef, restricted: bool) -> Result<()> {
        let mut state = self.lock()?;
        state
            .calls
            .push(SubjectCall::Restrict(subject.clone(), restricted));
        if restricted {
            state.restricted.insert(subject.clone());
        } else {
            state.restricted.remove(subject);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, Timestamp};

    #[tokio::test]
    async fn recording_source_exports_erases_and_restricts_one_subject() {
        let clock = ManualClock::new(Timestamp::EPOCH);
        let (a, b) = (TenantId::generate(&clock), TenantId::generate(&clock));
        let alice = SubjectRef::new(a, "alice");
        let alice_elsewhere = SubjectRef::new(b, "alice");
        let source = RecordingDataSubjectSource::new("test.accounts", Vec::new());
        source
            .insert(
                &alice,
                "account",
                serde_json::json!({"email": "a@example.com"}),
            )
            .unwrap();
        source
            .insert(
                &alice_elsewhere,
                "account",
                serde_json::json!({"email": "b@example.com"}),
            )
            .unwrap();

        let export = source.export(&alice).await.unwrap();
        assert_eq!(export.categories["account"]["email"], "a@example.com");

        let outcome = source.erase(&alice, ErasureMethod::Delete).await.unwrap();
        assert_eq!(outcome.records, 1);
        assert!(source.export(&alice).await.unwrap().categories.is_empty());
        // The same subject id in another tenant is untouched.
        assert_eq!(
            source
                .export(&alice_elsewhere)
                .await
                .unwrap()
                .categories
                .len(),
            1
        );

        source.restrict(&alice, true).await.unwrap();
        assert!(source.is_restricted(&alice).unwrap());
        assert!(!source.is_restricted(&alice_elsewhere).unwrap());
        assert_eq!(source.calls().unwrap().len(), 5);
    }
}
