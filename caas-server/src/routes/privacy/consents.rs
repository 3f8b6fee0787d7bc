//! Purposes and consent: `GET/POST /v1/privacy/purposes`,
//! `GET/POST /v1/privacy/consents`,
//! `POST /v1/privacy/consents/{purpose}/withdraw`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use caas_privacy::{ConsentRecord, GiveConsent, NewPurpose, Purpose};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{SubjectParam, actor, subject_for};
use crate::extract::{TenantAccess, TenantAdmin};
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The tenant's purposes of processing.
#[utoipa::path(get, path = "/v1/privacy/purposes", operation_id = "list_privacy_purposes", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Purposes: id, description, legal basis, data categories, retention", body = Vec<Purpose>)))]
pub async fn list_purposes(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Vec<Purpose>>, Problem> {
    Ok(Json(
        state.privacy.consents().purposes(&access.tenant.id).await?,
    ))
}

/// Register or replace a purpose (tenant administrators).
#[utoipa::path(post, path = "/v1/privacy/purposes", operation_id = "put_privacy_purpose", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = NewPurpose, description = "The purpose; an existing id is replaced"),
    responses(
        (status = 200, description = "The purpose", body = Purpose),
        (status = 400, description = "Invalid purpose", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put_purpose(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<NewPurpose>,
) -> Result<Json<Purpose>, Problem> {
    let a = &admin.0;
    Ok(Json(
        state
            .privacy
            .consents()
            .put_purpose(&a.tenant.id, body, actor(a))
            .await?,
    ))
}

/// My consent records (or `subject`'s, for administrators), ISO/IEC TS
/// 27560 shape, with their history.
#[utoipa::path(get, path = "/v1/privacy/consents", operation_id = "list_privacy_consents", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), SubjectParam),
    responses((status = 200, description = "Consent records", body = Vec<ConsentRecord>)))]
pub async fn list_consents(
    State(state): State<AppState>,
    access: TenantAccess,
    Query(p): Query<SubjectParam>,
) -> Result<Json<Vec<ConsentRecord>>, Problem> {
    let (subject, _) = subject_for(&state, &access, p.subject.as_deref()).await?;
    Ok(Json(
        state
            .privacy
            .consents()
            .list(&access.tenant.id, &subject)
            .await?,
    ))
}

/// Give consent to a purpose (giving again renews it).
#[utoipa::path(post, path = "/v1/privacy/consents", operation_id = "give_privacy_consent", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), SubjectParam),
    request_body(content = GiveConsent, description = "The consent: purpose, notice shown and how it was collected"),
    responses(
        (status = 201, description = "The consent record", body = ConsentRecord),
        (status = 400, description = "Invalid consent", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such purpose", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn give(
    State(state): State<AppState>,
    access: TenantAccess,
    Query(p): Query<SubjectParam>,
    Json(body): Json<GiveConsent>,
) -> Result<(StatusCode, Json<ConsentRecord>), Problem> {
    let (subject, _) = subject_for(&state, &access, p.subject.as_deref()).await?;
    let record = state
        .privacy
        .consents()
        .give(&access.tenant.id, &subject, body)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Whose consent, and how it is withdrawn.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WithdrawParams {
    /// The subject (administrators only; default the caller).
    pub subject: Option<String>,
    /// How (e.g. `web-form`), default `api`.
    pub method: Option<String>,
}

/// Withdraw consent to a purpose — as easy as giving it.
#[utoipa::path(post, path = "/v1/privacy/consents/{purpose}/withdraw", operation_id = "withdraw_privacy_consent", tag = "privacy",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("purpose" = String, Path, description = "The purpose id"), WithdrawParams),
    responses(
        (status = 200, description = "The consent record, withdrawn", body = ConsentRecord),
        (status = 404, description = "No consent to this purpose", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(purpose): Path<String>,
    Query(p): Query<WithdrawParams>,
) -> Result<Json<ConsentRecord>, Problem> {
    let (subject, _) = subject_for(&state, &access, p.subject.as_deref()).await?;
    let method = p.method.unwrap_or_else(|| "api".to_owned());
    Ok(Json(
        state
            .privacy
            .consents()
            .withdraw(&access.tenant.id, &subject, &purpose, &method)
            .await?,
    ))
}
