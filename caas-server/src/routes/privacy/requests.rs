//! Data-subject requests: `POST /v1/privacy/requests`,
//! `GET /v1/privacy/requests[/{id}]`, `GET /v1/privacy/requests/{id}/export`,
//! `POST /v1/privacy/requests/{id}/{verify|approve|deny|extend}`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use caas_core::Error;
use caas_privacy::{DataSubjectRequest, ManifestEntry, NewRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{SubjectParam, actor, subject_for};
use crate::extract::{TenantAccess, TenantAdmin, is_tenant_admin};
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// File a request about my data (or `subject`'s, for administrators).
#[utoipa::path(post, path = "/v1/privacy/requests", operation_id = "create_privacy_request", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), SubjectParam),
    request_body = NewRequest,
    responses(
        (status = 201, description = "The request, `received`, due one calendar month from now", body = DataSubjectRequest),
        (status = 400, description = "Invalid request", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: TenantAccess,
    Query(p): Query<SubjectParam>,
    Json(body): Json<NewRequest>,
) -> Result<(StatusCode, Json<DataSubjectRequest>), Problem> {
    let (subject, _) = subject_for(&state, &access, p.subject.as_deref()).await?;
    let request = state
        .privacy
        .requests()
        .submit(&access.tenant.id, &subject, body, actor(&access))
        .await?;
    Ok((StatusCode::CREATED, Json(request)))
}

/// My requests; administrators see every request (or `subject`'s).
#[utoipa::path(get, path = "/v1/privacy/requests", operation_id = "list_privacy_requests", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), SubjectParam),
    responses((status = 200, description = "Requests, newest first", body = Vec<DataSubjectRequest>)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantAccess,
    Query(p): Query<SubjectParam>,
) -> Result<Json<Vec<DataSubjectRequest>>, Problem> {
    let admin = is_tenant_admin(&state, &access).await?;
    let subject = if admin && p.subject.is_none() {
        None
    } else {
        Some(subject_for(&state, &access, p.subject.as_deref()).await?.0)
    };
    Ok(Json(
        state
            .privacy
            .requests()
            .list(&access.tenant.id, subject.as_deref())
            .await?,
    ))
}

/// One request: the subject's own, or any for administrators (another
/// subject's answers 404).
async fn visible(
    state: &AppState,
    access: &TenantAccess,
    id: &str,
) -> Result<DataSubjectRequest, Problem> {
    let request = state.privacy.requests().get(&access.tenant.id, id).await?;
    let own = request.subject.as_deref() == Some(access.principal.subject.as_str())
        && access.principal.tenant == Some(access.tenant.id);
    if own || is_tenant_admin(state, access).await? {
        Ok(request)
    } else {
        Err(Problem(Error::not_found(format!(
            "no data-subject request `{id}`"
        ))))
    }
}

/// One request with its state history and result.
#[utoipa::path(get, path = "/v1/privacy/requests/{id}", operation_id = "get_privacy_request", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, description = "The request", body = DataSubjectRequest),
        (status = 404, description = "No such request (or not mine)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(id): Path<String>,
) -> Result<Json<DataSubjectRequest>, Problem> {
    Ok(Json(visible(&state, &access, &id).await?))
}

/// Download the export of a completed access or portability request: one
/// JSON document with a manifest of sources and categories.
#[utoipa::path(get, path = "/v1/privacy/requests/{id}/export", operation_id = "get_privacy_export", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, description = "The export document", body = ExportDocument),
        (status = 404, description = "No export (yet), or erased", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Problem> {
    visible(&state, &access, &id).await?;
    Ok(Json(
        state
            .privacy
            .requests()
            .export(&access.tenant.id, &id)
            .await?,
    ))
}

/// The export of an access or portability request, as one JSON document
/// (`format` `caas-subject-export/1`). Documents what the export endpoint
/// sends; caas-privacy builds and seals the document.
#[derive(Debug, ToSchema)]
pub struct ExportDocument {
    /// `caas-subject-export/1`.
    pub format: String,
    /// The request it answers.
    pub request_id: String,
    /// The tenant.
    #[schema(format = Uuid)]
    pub tenant: String,
    /// The data subject.
    pub subject: String,
    /// When it was assembled.
    #[schema(format = DateTime)]
    pub generated_at: String,
    /// What each source exported.
    pub manifest: Vec<ManifestEntry>,
    /// By source, then by category: the source's data, machine-readable.
    pub data: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// A note on a step.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// How the identity was verified, or why a request is denied (required
    /// to deny).
    pub note: Option<String>,
}

/// An extension.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// Months: 1 or 2 (at most 2, GDPR Art. 12(3)).
    pub months: u32,
    /// Why (told to the subject).
    pub reason: String,
}

/// Record that the subject's identity was verified.
#[utoipa::path(post, path = "/v1/privacy/requests/{id}/verify", operation_id = "verify_privacy_request", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The request id")),
    request_body(content = NoteBody, description = "`{note?}`: how the identity was verified"),
    responses(
        (status = 200, description = "The request, `verified`", body = DataSubjectRequest),
        (status = 409, description = "Not in a state that allows it", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(body): Json<NoteBody>,
) -> Result<Json<DataSubjectRequest>, Problem> {
    let a = &admin.0;
    let note = body.note;
    Ok(Json(
        state
            .privacy
            .requests()
            .verify(&a.tenant.id, &id, actor(a), note)
            .await?,
    ))
}

/// Carry out a verified request against every source and complete it.
#[utoipa::path(post, path = "/v1/privacy/requests/{id}/approve", operation_id = "approve_privacy_request", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, description = "The request, `completed`, with its result (export manifest, erasure report, restriction)", body = DataSubjectRequest),
        (status = 409, description = "Not verified, or already finished", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn approve(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<Json<DataSubjectRequest>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .requests()
            .approve(&a.tenant.id, &id, actor(a))
            .await?,
    ))
}

/// Refuse a request, with the reason.
#[utoipa::path(post, path = "/v1/privacy/requests/{id}/deny", operation_id = "deny_privacy_request", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The request id")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "The request, `denied`", body = DataSubjectRequest),
        (status = 400, description = "No reason", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Already finished", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn deny(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(body): Json<NoteBody>,
) -> Result<Json<DataSubjectRequest>, Problem> {
    let a = &admin.0;
    let reason = body.note.ok_or_else(|| {
        Error::invalid_input("give the reason for the denial in `note`").with_field("note")
    })?;
    Ok(Json(
        state
            .privacy
            .requests()
            .deny(&a.tenant.id, &id, actor(a), &reason)
            .await?,
    ))
}

/// Extend the deadline by one or two months, once, with a reason.
#[utoipa::path(post, path = "/v1/privacy/requests/{id}/extend", operation_id = "extend_privacy_request", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The request id")),
    request_body = ExtendBody,
    responses(
        (status = 200, description = "The request, `extended`, with its new due date", body = DataSubjectRequest),
        (status = 400, description = "Not 1 or 2 months, or no reason", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Already extended or finished", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn extend(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(body): Json<ExtendBody>,
) -> Result<Json<DataSubjectRequest>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .requests()
            .extend(&a.tenant.id, &id, actor(a), body.months, &body.reason)
            .await?,
    ))
}
