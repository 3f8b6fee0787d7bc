//! The request's lifecycle: filing and reading requests, and the state
//! machine — `received` → `verified` → `in_progress` → `completed`, or
//! `denied`; `extended` once. Every step is checked against the stored
//! state, so concurrent changes conflict instead of overwriting each other;
//! approving moves a request on through `in_progress` (in `fulfil`).

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, ErasureMethod, Error, Result, TenantId, new_id};

use super::Requests;
use super::model::{
    DataSubjectRequest, Extension, NewRequest, RequestKind, RequestState, StateChange, due_date,
};
use crate::check::{check_subject, check_text};
use crate::db;

struct RequestRow(DataSubjectRequest);

impl FromRow for RequestRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let body: String = row.get("body")?;
        Ok(RequestRow(db::json(&body)?))
    }
}

/// The requests of `subject` in `tenant`, newest first.
pub(crate) async fn of_subject(
    db: &Db,
    tenant: &TenantId,
    subject: &str,
) -> Result<Vec<DataSubjectRequest>> {
    let q = query(
        "SELECT body FROM privacy_requests WHERE tenant_id = $1 AND subject = $2 \
         ORDER BY id DESC",
    )
    .bind(tenant)
    .bind(subject);
    let rows: Vec<RequestRow> = db::all(db, tenant, q).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

impl Requests {
    /// Files a request by (or for) `subject`.
    pub async fn submit(
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
        let now = self.clock.now();
        let request = DataSubjectRequest {
            id: new_id(self.clock.as_ref()).to_string(),
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
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.request_filed",
                &request.id,
                serde_json::json!({
                    "kind": request.kind,
                }),
            )
            .await?;
        self.trail
            .publish(
                tenant,
                "privacy.request_filed",
                serde_json::json!({ "request_id": request.id, "kind": request.kind }),
            )
            .await;
        Ok(request)
    }

    /// One request; `not_found` when there is none.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<DataSubjectRequest> {
        let q = query("SELECT body FROM privacy_requests WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id);
        db::one::<RequestRow>(&self.db, tenant, q)
            .await?
            .map(|r| r.0)
            .ok_or_else(|| Error::not_found(format!("no data-subject request `{id}`")))
    }

    /// The tenant's requests (of `subject` only, when given), newest first.
    pub async fn list(
        &self,
        tenant: &TenantId,
        subject: Option<&str>,
    ) -> Result<Vec<DataSubjectRequest>> {
        if let Some(s) = subject {
            return of_subject(&self.db, tenant, s).await;
        }
        let q = query("SELECT body FROM privacy_requests WHERE tenant_id = $1 ORDER BY id DESC")
            .bind(tenant);
        let rows: Vec<RequestRow> = db::all(&self.db, tenant, q).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Moves `request` to `state` if it is in one of `from`; stores it.
    pub(super) async fn transition(
        &self,
        tenant: &TenantId,
        mut request: DataSubjectRequest,
        from: &[RequestState],
        state: RequestState,
        by: &str,
        note: Option<String>,
    ) -> Result<DataSubjectRequest> {
        if !from.contains(&request.state) {
            return Err(
                Error::conflict(refusal(request.state, from, state)).with_code("invalid_state")
            );
        }
        let previous = request.state;
        request.state = state;
        request.history.push(StateChange {
            state,
            at: self.clock.now(),
            by: by.to_owned(),
            note,
        });
        self.save(tenant, &request, previous, None).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.request_state",
                &request.id,
                serde_json::json!({
                    "state": state, "kind": request.kind,
                }),
            )
            .await?;
        self.trail.publish(
            tenant,
            "privacy.request_updated",
            serde_json::json!({ "request_id": request.id, "kind": request.kind, "state": state }),
        )
        .await;
        Ok(request)
    }

    /// Stores `request` if it is still in `previous` (concurrent changes
    /// conflict); `export` replaces the stored export when given.
    pub(super) async fn save(
        &self,
        tenant: &TenantId,
        request: &DataSubjectRequest,
        previous: RequestState,
        export: Option<Vec<u8>>,
    ) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query(
            "UPDATE privacy_requests SET state = $3, due_at = $4, body = $5, updated_at = $6 \
             WHERE tenant_id = $1 AND id = $2 AND state = $7",
        )
        .bind(tenant)
        .bind(request.id.as_str())
        .bind(request.state.as_str())
        .bind(request.due_at)
        .bind(serde_json::to_string(request)?)
        .bind(self.clock.now())
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
    pub async fn verify(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        note: Option<String>,
    ) -> Result<DataSubjectRequest> {
        if let Some(n) = &note {
            check_text(n, "note", 2_000)?;
        }
        let request = self.get(tenant, id).await?;
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
    pub async fn deny(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        reason: &str,
    ) -> Result<DataSubjectRequest> {
        check_text(reason, "reason", 2_000)?;
        let request = self.get(tenant, id).await?;
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
    pub async fn extend(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        months: u32,
        reason: &str,
    ) -> Result<DataSubjectRequest> {
        let months = Extension::check_months(months)?;
        check_text(reason, "reason", 2_000)?;
        let mut request = self.get(tenant, id).await?;
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
}
/// Why `current` cannot become `target`, naming the step that comes first
/// when there is one (`verify` before approving a received request).
fn refusal(current: RequestState, from: &[RequestState], target: RequestState) -> String {
    let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let mut why = format!(
        "the request is {}; it can become {} only when it is {}",
        current.as_str(),
        target.as_str(),
        allowed.join(" or ")
    );
    if current == RequestState::Received && from.contains(&RequestState::Verified) {
        why.push_str(
            ": verify the subject's identity first (`POST /v1/privacy/requests/{id}/verify`)",
        );
    }
    why
}
