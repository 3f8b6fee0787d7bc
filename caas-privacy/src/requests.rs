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

use std::collections::BTreeMap;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{ErasureMethod, Error, Result, Retained, SubjectRef, TenantId, Timestamp, new_id};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::holds::{HoldScope, LegalHold};
use crate::service::{Privacy, check_subject, check_text};

const EXPORT_PURPOSE: &str = "privacy.export";

/// The kind of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    fn as_str(self) -> &'static str {
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
pub struct ManifestEntry {
    /// The source.
    pub source: String,
    /// The categories it exported.
    pub categories: Vec<String>,
}

/// What a completed request produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// A request to file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

struct RequestRow(DataSubjectRequest);

impl FromRow for RequestRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let body: String = row.get("body")?;
        Ok(RequestRow(db::json(&body)?))
    }
}

struct ExportRow(Option<Vec<u8>>, Option<String>);

impl FromRow for ExportRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(ExportRow(row.get("export")?, row.get("subject")?))
    }
}

impl Privacy {
    /// Files a request by (or for) `subject`.
    pub async fn submit_request(
        &self,
        tenant: &TenantId,
        subject: &str,
        new: NewRequest,
        by: &str,
    ) -> Result<DataSubjectRequest> {
        check_subject(subject)?;
        if let Some(d) = &new.details {
            check_text(d, "details", 4_000)?;
        }
        if new.kind == RequestKind::Rectification && new.details.is_none() {
            return Err(Error::invalid_input(
                "a rectification request says what is wrong and what is right in `details`",
            )
            .with_field("details"));
        }
        if new.method.is_some() && new.kind != RequestKind::Erasure {
            return Err(
                Error::invalid_input("`method` applies to erasure requests only")
                    .with_field("method"),
            );
        }
        let now = self.now();
        let request = DataSubjectRequest {
            id: new_id(self.0.clock.as_ref()).to_string(),
            subject: Some(subject.to_owned()),
            kind: new.kind,
            state: RequestState::Received,
            received_at: now,
            due_at: due_date(now, 0),
            extension: None,
            method: (new.kind == RequestKind::Erasure)
                .then(|| new.method.unwrap_or(ErasureMethod::Delete)),
            details: new.details,
            history: vec![StateChange {
                state: RequestState::Received,
                at: now,
                by: by.to_owned(),
                note: None,
            }],
            result: None,
        };
        let q = query(
            "INSERT INTO privacy_requests (tenant_id, id, subject, kind, state, received_at, due_at, \
             body, export, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $6)",
        )
        .bind(tenant)
        .bind(request.id.as_str())
        .bind(subject)
        .bind(serde_json::to_value(request.kind)?.as_str().unwrap_or_default())
        .bind(request.state.as_str())
        .bind(request.received_at)
        .bind(request.due_at)
        .bind(serde_json::to_string(&request)?);
        db::exec(self.db(), tenant, q).await?;
        self.audit(
            tenant,
            by,
            "privacy.request_filed",
            &request.id,
            serde_json::json!({
                "kind": request.kind,
            }),
        )
        .await?;
        self.publish(
            tenant,
            "privacy.request_filed",
            serde_json::json!({ "request_id": request.id, "kind": request.kind }),
        )
        .await;
        Ok(request)
    }

    /// One request; `not_found` when there is none.
    pub async fn request(&self, tenant: &TenantId, id: &str) -> Result<DataSubjectRequest> {
        let q = query("SELECT body FROM privacy_requests WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id);
        db::one::<RequestRow>(self.db(), tenant, q)
            .await?
            .map(|r| r.0)
            .ok_or_else(|| Error::not_found(format!("no data-subject request `{id}`")))
    }

    /// The tenant's requests (of `subject` only, when given), newest first.
    pub async fn requests(
        &self,
        tenant: &TenantId,
        subject: Option<&str>,
    ) -> Result<Vec<DataSubjectRequest>> {
        let rows: Vec<RequestRow> = match subject {
            Some(s) => {
                let q = query(
                    "SELECT body FROM privacy_requests WHERE tenant_id = $1 AND subject = $2 \
                     ORDER BY id DESC",
                )
                .bind(tenant)
                .bind(s);
                db::all(self.db(), tenant, q).await?
            }
            None => {
                let q = query(
                    "SELECT body FROM privacy_requests WHERE tenant_id = $1 ORDER BY id DESC",
                )
                .bind(tenant);
                db::all(self.db(), tenant, q).await?
            }
        };
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Moves `request` to `state` if it is in one of `from`; stores it.
    async fn transition(
        &self,
        tenant: &TenantId,
        mut request: DataSubjectRequest,
        from: &[RequestState],
        state: RequestState,
        by: &str,
        note: Option<String>,
    ) -> Result<DataSubjectRequest> {
        if !from.contains(&request.state) {
            return Err(Error::conflict(format!(
                "the request is {}; it cannot become {}",
                request.state.as_str(),
                state.as_str()
            ))
            .with_code("invalid_state"));
        }
        let previous = request.state;
        request.state = state;
        request.history.push(StateChange {
            state,
            at: self.now(),
            by: by.to_owned(),
            note,
        });
        self.save(tenant, &request, previous, None).await?;
        self.audit(
            tenant,
            by,
            "privacy.request_state",
            &request.id,
            serde_json::json!({
                "state": state, "kind": request.kind,
            }),
        )
        .await?;
        self.publish(
            tenant,
            "privacy.request_updated",
            serde_json::json!({ "request_id": request.id, "kind": request.kind, "state": state }),
        )
        .await;
        Ok(request)
    }

    /// Stores `request` if it is still in `previous` (concurrent changes
    /// conflict); `export` replaces the stored export when given.
    async fn save(
        &self,
        tenant: &TenantId,
        request: &DataSubjectRequest,
        previous: RequestState,
        export: Option<Vec<u8>>,
    ) -> Result<()> {
        let mut tx = self.db().tenant_tx(tenant).await?;
        let n = query(
            "UPDATE privacy_requests SET state = $3, due_at = $4, body = $5, updated_at = $6 \
             WHERE tenant_id = $1 AND id = $2 AND state = $7",
        )
        .bind(tenant)
        .bind(request.id.as_str())
        .bind(request.state.as_str())
        .bind(request.due_at)
        .bind(serde_json::to_string(request)?)
        .bind(self.now())
        .bind(previous.as_str())
        .execute(&mut tx)
        .await?;
        if n == 0 {
            return Err(Error::conflict(
                "the request changed meanwhile; read it again",
            ));
        }
        if let Some(export) = export {
            query("UPDATE privacy_requests SET export = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(request.id.as_str())
                .bind(export)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await
    }

    /// Records that the subject's identity was verified.
    pub async fn verify_request(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        note: Option<String>,
    ) -> Result<DataSubjectRequest> {
        if let Some(n) = &note {
            check_text(n, "note", 2_000)?;
        }
        let request = self.request(tenant, id).await?;
        self.transition(
            tenant,
            request,
            &[RequestState::Received],
            RequestState::Verified,
            by,
            note,
        )
        .await
    }

    /// Refuses the request, with a reason told to the subject.
    pub async fn deny_request(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        reason: &str,
    ) -> Result<DataSubjectRequest> {
        check_text(reason, "reason", 2_000)?;
        let request = self.request(tenant, id).await?;
        self.transition(
            tenant,
            request,
            &[
                RequestState::Received,
                RequestState::Verified,
                RequestState::Extended,
            ],
            RequestState::Denied,
            by,
            Some(reason.to_owned()),
        )
        .await
    }

    /// Extends the deadline by `months` (1 or 2) once, with a reason.
    pub async fn extend_request(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        months: u32,
        reason: &str,
    ) -> Result<DataSubjectRequest> {
        let months = Extension::check_months(months)?;
        check_text(reason, "reason", 2_000)?;
        let mut request = self.request(tenant, id).await?;
        if request.extension.is_some() {
            return Err(
                Error::conflict("the deadline was already extended").with_code("invalid_state")
            );
        }
        request.extension = Some(Extension {
            months,
            reason: reason.to_owned(),
        });
        request.due_at = due_date(request.received_at, months);
        self.transition(
            tenant,
            request,
            &[RequestState::Received, RequestState::Verified],
            RequestState::Extended,
            by,
            Some(reason.to_owned()),
        )
        .await
    }

    /// Carries out a verified (or extended) request against every source
    /// and completes it. An extended request must have been verified; one
    /// left in progress by a failure is carried out again.
    pub async fn approve_request(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
    ) -> Result<DataSubjectRequest> {
        let request = self.request(tenant, id).await?;
        let verified = request
            .history
            .iter()
            .any(|c| c.state == RequestState::Verified);
        if request.state == RequestState::Extended && !verified {
            return Err(Error::conflict(
                "verify the subject's identity before carrying out the request",
            )
            .with_code("invalid_state"));
        }
        // An interrupted request (still in progress) is carried out again:
        // every step is idempotent.
        let mut request = self
            .transition(
                tenant,
                request,
                &[
                    RequestState::Verified,
                    RequestState::Extended,
                    RequestState::InProgress,
                ],
                RequestState::InProgress,
                by,
                None,
            )
            .await?;
        let subject = request
            .subject
            .clone()
            .ok_or_else(|| Error::conflict("the request's subject was erased"))?;
        let who = SubjectRef::new(*tenant, subject.clone());
        let mut export = None;
        let result = match request.kind {
            RequestKind::Access | RequestKind::Portability => {
                let (document, manifest) = self.export_document(&who, &request.id).await?;
                let bytes = serde_json::to_vec(&document)?;
                export = Some(
                    self.0
                        .keys
                        .encrypt_for_subject(tenant, &subject, EXPORT_PURPOSE, &bytes)
                        .await?,
                );
                RequestResult {
                    manifest: Some(manifest),
                    ..RequestResult::default()
                }
            }
            RequestKind::Erasure => {
                let method = request.method.unwrap_or(ErasureMethod::Delete);
                let report = self.erase_subject(&who, method).await?;
                self.log_deletion(tenant, &request.id, &report).await?;
                // The erased subject's own request no longer names them.
                request.subject = None;
                RequestResult {
                    erasure: Some(report),
                    ..RequestResult::default()
                }
            }
            RequestKind::Restriction => RequestResult {
                restricted: Some(self.restrict_subject(&who, true).await?),
                ..RequestResult::default()
            },
            RequestKind::Objection => {
                let mut withdrawn = Vec::new();
                for consent in self.consents(tenant, &subject).await? {
                    if consent.state == crate::consent::ConsentState::Given {
                        self.withdraw_consent(tenant, &subject, &consent.purpose, "objection")
                            .await?;
                        withdrawn.push(consent.purpose);
                    }
                }
                RequestResult {
                    consents_withdrawn: Some(withdrawn),
                    ..RequestResult::default()
                }
            }
            RequestKind::Rectification => RequestResult::default(),
        };
        request.result = Some(result);
        request.state = RequestState::Completed;
        request.history.push(StateChange {
            state: RequestState::Completed,
            at: self.now(),
            by: by.to_owned(),
            note: None,
        });
        self.save(tenant, &request, RequestState::InProgress, export)
            .await?;
        if request.kind == RequestKind::Erasure {
            // The erasure also unlinked this request from the subject.
            let q = query(
                "UPDATE privacy_requests SET subject = NULL WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant)
            .bind(request.id.as_str());
            db::exec(self.db(), tenant, q).await?;
        }
        self.audit(
            tenant,
            by,
            "privacy.request_completed",
            &request.id,
            serde_json::json!({
                "kind": request.kind,
            }),
        )
        .await?;
        self.publish(
            tenant,
            "privacy.request_completed",
            serde_json::json!({ "request_id": request.id, "kind": request.kind }),
        )
        .await;
        Ok(request)
    }

    /// The export of a completed access or portability request, as stored
    /// (the JSON document); `not_found` when there is none, `erased` once
    /// the subject was erased.
    pub async fn request_export(&self, tenant: &TenantId, id: &str) -> Result<serde_json::Value> {
        let q =
            query("SELECT export, subject FROM privacy_requests WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id);
        let row: Option<ExportRow> = db::one(self.db(), tenant, q).await?;
        let Some(ExportRow(Some(sealed), Some(subject))) = row else {
            return Err(Error::not_found("this request has no export (yet)"));
        };
        let plain = self
            .0
            .keys
            .decrypt_for_subject(tenant, &subject, EXPORT_PURPOSE, &sealed)
            .await?;
        Ok(serde_json::from_slice(&plain)?)
    }

    /// Every source's data about `who`, as one document with a manifest.
    pub async fn export_document(
        &self,
        who: &SubjectRef,
        request_id: &str,
    ) -> Result<(serde_json::Value, Vec<ManifestEntry>)> {
        let mut data = BTreeMap::new();
        let mut manifest = Vec::new();
        for source in self.sources()? {
            let export = source.export(who).await?;
            manifest.push(ManifestEntry {
                source: source.name().to_owned(),
                categories: export.categories.keys().cloned().collect(),
            });
            data.insert(source.name().to_owned(), export.categories);
        }
        let document = serde_json::json!({
            "format": "caas-subject-export/1",
            "request_id": request_id,
            "tenant": who.tenant,
            "subject": who.subject,
            "generated_at": self.now(),
            "manifest": manifest,
            "data": data,
        });
        Ok((document, manifest))
    }

    /// Erases `who` from every source, as far as legal holds allow.
    pub async fn erase_subject(
        &self,
        who: &SubjectRef,
        method: ErasureMethod,
    ) -> Result<ErasureReport> {
        let holds: Vec<LegalHold> = self
            .holds_in_force(&who.tenant)
            .await?
            .into_iter()
            .filter(|h| match &h.scope {
                HoldScope::Subject { subject } => *subject == who.subject,
                _ => true,
            })
            .collect();
        let mut sources = Vec::new();
        let mut limited_by = Vec::new();
        for source in self.sources()? {
            let mut held: Vec<(&LegalHold, String)> = Vec::new();
            for category in source.categories() {
                for hold in holds
                    .iter()
                    .filter(|h| h.covers(&who.subject, &category.name))
                {
                    held.push((hold, category.name.clone()));
                }
            }
            if held.is_empty() {
                let outcome = source.erase(who, method).await?;
                sources.push(SourceErasure {
                    source: source.name().to_owned(),
                    records: outcome.records,
                    retained: outcome.retained,
                });
            } else {
                let mut retained = Vec::new();
                for (hold, category) in held {
                    if !limited_by.contains(&hold.id) {
                        limited_by.push(hold.id.clone());
                    }
                    retained.push(Retained {
                        category,
                        reason: format!("legal hold {} ({})", hold.id, hold.case_reference),
                    });
                }
                sources.push(SourceErasure {
                    source: source.name().to_owned(),
                    records: 0,
                    retained,
                });
            }
        }
        // Shredding destroys everything sealed under the subject's key,
        // held data included: only when no hold applies.
        let keys_shredded = limited_by.is_empty();
        if keys_shredded {
            self.0.keys.shred(&who.tenant, &who.subject).await?;
        }
        Ok(ErasureReport {
            method,
            sources,
            keys_shredded,
            limited_by,
        })
    }

    /// Restricts (or lifts the restriction of) `who` in every source.
    pub async fn restrict_subject(
        &self,
        who: &SubjectRef,
        restricted: bool,
    ) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for source in self.sources()? {
            source.restrict(who, restricted).await?;
            names.push(source.name().to_owned());
        }
        Ok(names)
    }

    async fn log_deletion(
        &self,
        tenant: &TenantId,
        request_id: &str,
        report: &ErasureReport,
    ) -> Result<()> {
        let q = query(
            "INSERT INTO privacy_deletion_log (tenant_id, id, request_id, at, body) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(new_id(self.0.clock.as_ref()))
        .bind(request_id)
        .bind(self.now())
        .bind(serde_json::to_string(report)?);
        db::exec(self.db(), tenant, q).await?;
        Ok(())
    }

    /// The deletion log: per erasure, the request id, time and report —
    /// no personal data. Newest first.
    pub async fn deletion_log(&self, tenant: &TenantId) -> Result<Vec<serde_json::Value>> {
        let q = query(
            "SELECT request_id, at, body FROM privacy_deletion_log WHERE tenant_id = $1 ORDER BY id DESC",
        )
        .bind(tenant);
        let rows: Vec<DeletionRow> = db::all(self.db(), tenant, q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "request_id": r.request_id,
                    "at": r.at,
                    "report": db::json::<serde_json::Value>(&r.body)?,
                }))
            })
            .collect()
    }
}

struct DeletionRow {
    request_id: String,
    at: Timestamp,
    body: String,
}

impl FromRow for DeletionRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(DeletionRow {
            request_id: row.get("request_id")?,
            at: row.timestamp("at")?,
            body: row.get("body")?,
        })
    }
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
