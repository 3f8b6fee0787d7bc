//! The tenant's privacy administration: retention policies, legal holds,
//! breaches, records of processing and the deletion log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_core::Timestamp;
use caas_privacy::{
    Breach, BreachUpdate, DeletionLogEntry, HoldRequest, HoldScopeKind, LegalHold, NewBreach,
    NewHold, ProcessingExport, ProcessingRecords, RetentionPolicy,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::actor;
use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The retention policies, by category.
#[utoipa::path(get, path = "/v1/privacy/retention-policies", operation_id = "list_retention_policies", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The policies", body = Vec<RetentionPolicy>)))]
pub async fn list_retention(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<RetentionPolicy>>, Problem> {
    Ok(Json(
        state
            .privacy
            .retention()
            .policies(&admin.0.tenant.id)
            .await?,
    ))
}

/// Set a category's retention (runs hourly and with `caas-server privacy
/// retention run`).
#[utoipa::path(post, path = "/v1/privacy/retention-policies", operation_id = "put_retention_policy", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = RetentionPolicy, description = "The category's policy; an existing one is replaced"),
    responses(
        (status = 200, description = "The policy", body = RetentionPolicy),
        (status = 400, description = "Invalid policy", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put_retention(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<RetentionPolicy>,
) -> Result<Json<RetentionPolicy>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .retention()
            .put_policy(&a.tenant.id, body, actor(a))
            .await?,
    ))
}

/// Every legal hold, released ones included.
#[utoipa::path(get, path = "/v1/privacy/legal-holds", operation_id = "list_legal_holds", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Holds", body = Vec<LegalHold>)))]
pub async fn list_holds(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<LegalHold>>, Problem> {
    Ok(Json(state.privacy.holds().list(&admin.0.tenant.id).await?))
}

/// A legal hold to place: exactly one of `subject`, `category` and
/// `"tenant_wide": true` (a hold that names none of them is refused, never
/// read as tenant-wide). Unknown fields are refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceHoldBody {
    /// Optional: `subject`, `category` or `tenant`; when given it must agree
    /// with the field named.
    #[serde(default)]
    pub scope: Option<HoldScopeKind>,
    /// Hold everything about this subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// Hold this data category (as the sources name it) for every subject.
    #[serde(default)]
    pub category: Option<String>,
    /// `true` to hold everything in the tenant; required for a tenant-wide hold.
    #[serde(default)]
    pub tenant_wide: bool,
    /// Why (1 to 1,000 characters).
    pub reason: String,
    /// The case or matter reference (1 to 200 characters).
    pub case_reference: String,
    /// In force from (RFC 3339; default now).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Timestamp>,
    /// In force until (RFC 3339, year at most 9999): after `starts_at` and
    /// after now. None: until released.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Timestamp>,
}

impl From<PlaceHoldBody> for HoldRequest {
    fn from(b: PlaceHoldBody) -> Self {
        HoldRequest {
            scope: b.scope,
            subject: b.subject,
            category: b.category,
            tenant_wide: b.tenant_wide,
            reason: b.reason,
            case_reference: b.case_reference,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
        }
    }
}

/// Place a legal hold on a subject, a data category or the whole tenant.
#[utoipa::path(post, path = "/v1/privacy/legal-holds", operation_id = "place_legal_hold", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = PlaceHoldBody,
    responses(
        (status = 201, description = "The hold", body = LegalHold),
        (status = 400, description = "Invalid hold: an unknown field, no scope or more than one, or dates out of range (`field` names the culprit)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn place_hold(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<PlaceHoldBody>,
) -> Result<(StatusCode, Json<LegalHold>), Problem> {
    let a = &admin.0;
    let hold = NewHold::try_from(HoldRequest::from(body))?;
    let hold = state
        .privacy
        .holds()
        .place(&a.tenant.id, hold, actor(a))
        .await?;
    Ok((StatusCode::CREATED, Json(hold)))
}

/// Why a hold is released.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// Why.
    pub reason: String,
}

/// Release a hold (recorded).
#[utoipa::path(post, path = "/v1/privacy/legal-holds/{id}/release", operation_id = "release_legal_hold", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The hold id")),
    request_body = ReleaseBody,
    responses(
        (status = 200, description = "The hold, released", body = LegalHold),
        (status = 404, description = "No such hold", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Already released", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn release_hold(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(body): Json<ReleaseBody>,
) -> Result<Json<LegalHold>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .holds()
            .release(&a.tenant.id, &id, actor(a), &body.reason)
            .await?,
    ))
}

/// The breaches, newest first, each with its 72-hour deadline.
#[utoipa::path(get, path = "/v1/privacy/breaches", operation_id = "list_breaches", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Breaches", body = Vec<Breach>)))]
pub async fn list_breaches(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<Breach>>, Problem> {
    Ok(Json(
        state.privacy.breaches().list(&admin.0.tenant.id).await?,
    ))
}

/// Record a personal-data breach; the authority deadline is detection + 72 h.
#[utoipa::path(post, path = "/v1/privacy/breaches", operation_id = "record_breach", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = NewBreach,
    responses(
        (status = 201, description = "The breach, with `authority_deadline`", body = Breach),
        (status = 400, description = "Invalid breach", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn record_breach(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<NewBreach>,
) -> Result<(StatusCode, Json<Breach>), Problem> {
    let a = &admin.0;
    let breach = state
        .privacy
        .breaches()
        .record(&a.tenant.id, body, actor(a))
        .await?;
    Ok((StatusCode::CREATED, Json(breach)))
}

/// Update a breach: notifications to the authority and the subjects,
/// counts, consequences, measures.
#[utoipa::path(patch, path = "/v1/privacy/breaches/{id}", operation_id = "update_breach", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The breach id")),
    request_body(content = BreachUpdate, description = "The fields to change; absent fields stay"),
    responses(
        (status = 200, description = "The breach", body = Breach),
        (status = 400, description = "Invalid update (a late notification needs `delay_reason`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such breach", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_breach(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(body): Json<BreachUpdate>,
) -> Result<Json<Breach>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .breaches()
            .update(&a.tenant.id, &id, body, actor(a))
            .await?,
    ))
}

/// The records of processing (Art. 30), with the purposes and every
/// source's data categories.
#[utoipa::path(get, path = "/v1/privacy/processing-activities", operation_id = "get_processing_activities", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The records with the purposes and every source's categories", body = ProcessingExport)))]
pub async fn get_processing(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<ProcessingExport>, Problem> {
    Ok(Json(
        state
            .privacy
            .processing()
            .export(&admin.0.tenant.id)
            .await?,
    ))
}

/// Replace the records of processing.
#[utoipa::path(put, path = "/v1/privacy/processing-activities", operation_id = "put_processing_activities", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = ProcessingRecords,
    responses(
        (status = 200, description = "The records with purposes and sources", body = ProcessingExport),
        (status = 400, description = "Invalid records", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put_processing(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<ProcessingRecords>,
) -> Result<Json<ProcessingExport>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .processing()
            .put(&a.tenant.id, body, actor(a))
            .await?,
    ))
}

/// The deletion log: each erasure's report, without personal data.
#[utoipa::path(get, path = "/v1/privacy/deletion-log", operation_id = "get_deletion_log", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Erasures, newest first", body = Vec<DeletionLogEntry>)))]
pub async fn deletion_log(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<DeletionLogEntry>>, Problem> {
    Ok(Json(
        state
            .privacy
            .requests()
            .deletion_log(&admin.0.tenant.id)
            .await?,
    ))
}
