//! Carrying out a request: fanned out to every registered source —
//! access and portability export one document with a manifest, sealed under
//! the subject's key; erasure checks legal holds, erases per source, shreds
//! the subject's keys when nothing is held and writes the deletion log;
//! restriction restricts every source; objection withdraws every consent.

use std::collections::BTreeMap;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{ErasureMethod, Error, Result, Retained, SubjectRef, TenantId, Timestamp, new_id};

use super::Requests;
use super::model::{
    DataSubjectRequest, DeletionLogEntry, ErasureReport, ManifestEntry, RequestKind, RequestResult,
    RequestState, SourceErasure, StateChange,
};
use crate::consent::ConsentState;
use crate::db;
use crate::holds::{HoldScope, LegalHold};

const EXPORT_PURPOSE: &str = "privacy.export";

struct ExportRow(Option<Vec<u8>>, Option<String>);

impl FromRow for ExportRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(ExportRow(row.get("export")?, row.get("subject")?))
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

impl Requests {
    /// Carries out a verified (or extended) request against every source
    /// and completes it. An extended request must have been verified; one
    /// left in progress by a failure is carried out again.
    pub async fn approve(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
    ) -> Result<DataSubjectRequest> {
        let request = self.get(tenant, id).await?;
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
                    self.keys
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
                for consent in self.consents.list(tenant, &subject).await? {
                    if consent.state == ConsentState::Given {
                        self.consents
                            .withdraw(tenant, &subject, &consent.purpose, "objection")
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
            at: self.clock.now(),
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
            db::exec(&self.db, tenant, q).await?;
        }
        self.trail
            .audit(
                tenant,
                by,
                "privacy.request_completed",
                &request.id,
                serde_json::json!({
                    "kind": request.kind,
                }),
            )
            .await?;
        self.trail
            .publish(
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
    pub async fn export(&self, tenant: &TenantId, id: &str) -> Result<serde_json::Value> {
        let q =
            query("SELECT export, subject FROM privacy_requests WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id);
        let row: Option<ExportRow> = db::one(&self.db, tenant, q).await?;
        let Some(ExportRow(Some(sealed), Some(subject))) = row else {
            return Err(Error::not_found("this request has no export (yet)"));
        };
        let plain = self
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
        for source in self.sources.all()? {
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
            "generated_at": self.clock.now(),
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
            .holds
            .in_force(&who.tenant)
            .await?
            .into_iter()
            .filter(|h| match &h.scope {
                HoldScope::Subject { subject } => *subject == who.subject,
                _ => true,
            })
            .collect();
        let mut sources = Vec::new();
        let mut limited_by = Vec::new();
        for source in self.sources.all()? {
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
            self.keys.shred(&who.tenant, &who.subject).await?;
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
        for source in self.sources.all()? {
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
        .bind(new_id(self.clock.as_ref()))
        .bind(request_id)
        .bind(self.clock.now())
        .bind(serde_json::to_string(report)?);
        db::exec(&self.db, tenant, q).await?;
        Ok(())
    }

    /// The deletion log: per erasure, the request id, time and report —
    /// no personal data. Newest first.
    pub async fn deletion_log(&self, tenant: &TenantId) -> Result<Vec<DeletionLogEntry>> {
        let q = query(
            "SELECT request_id, at, body FROM privacy_deletion_log WHERE tenant_id = $1 ORDER BY id DESC",
        )
        .bind(tenant);
        let rows: Vec<DeletionRow> = db::all(&self.db, tenant, q).await?;
        rows.into_iter()
            .map(|r| {
                Ok(DeletionLogEntry {
                    request_id: r.request_id,
                    at: r.at,
                    report: db::json(&r.body)?,
                })
            })
            .collect()
    }
}
