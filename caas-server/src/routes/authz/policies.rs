//! The tenant's Cedar policies and schema, for its administrators:
//! `GET/PUT /v1/authz/policies`, `GET /v1/authz/policies/versions`,
//! `POST /v1/authz/policies/rollback`. A publish is validated in strict
//! mode; Cedar's diagnostics come back in the problem's `errors` (line,
//! column, message).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use caas_authz::{PolicyDraft, PolicyVersion};
use caas_core::Error;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A publish: the draft and the version it replaces.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// Cedar policies.
    pub policies: String,
    /// The Cedar schema they are validated against.
    pub schema: String,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
    /// The version read before editing (absent for the first publish).
    #[serde(default)]
    pub replaces: Option<i64>,
}

/// A rollback.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// The version whose content is published again.
    pub to: i64,
}

/// `?limit=` of the history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// At most this many versions, newest first (default 50, at most 1000).
    pub limit: Option<u32>,
}

fn by(admin: &TenantAdmin) -> String {
    admin.0.principal.subject.clone()
}

/// The policies in force.
#[utoipa::path(get, path = "/v1/authz/policies", operation_id = "get_authz_policies", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 200, description = "The current version", body = PolicyVersion),
        (status = 404, description = "Nothing published yet", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn current(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<PolicyVersion>, Problem> {
    let v = state
        .authz
        .policy_store()
        .current(&admin.0.tenant.id)
        .await?
        .ok_or_else(|| Error::not_found("no policies are published yet"))?;
    Ok(Json(v))
}

/// Publish a new version (validated in strict mode against its schema).
#[utoipa::path(put, path = "/v1/authz/policies", operation_id = "publish_authz_policies", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = PublishBody,
    responses(
        (status = 201, description = "Published", body = PolicyVersion),
        (status = 400, description = "Invalid policies or schema: `errors` lists each diagnostic with line and column", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Another version was published meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<PublishBody>,
) -> Result<(StatusCode, Json<PolicyVersion>), Problem> {
    let draft = PolicyDraft {
        policies: body.policies,
        schema: body.schema,
        note: body.note,
    };
    let (version, _) = state
        .authz
        .admin()
        .publish_policies(&admin.0.tenant.id, &draft, body.replaces, Some(&by(&admin)))
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// The history, newest first.
#[utoipa::path(get, path = "/v1/authz/policies/versions", operation_id = "list_authz_policy_versions", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), HistoryParams),
    responses(
        (status = 200, description = "Versions", body = Vec<PolicyVersion>),
    ))]
pub async fn versions(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Query(q): Query<HistoryParams>,
) -> Result<Json<Vec<PolicyVersion>>, Problem> {
    Ok(Json(
        state
            .authz
            .policy_store()
            .history(&admin.0.tenant.id, q.limit.unwrap_or(50))
            .await?,
    ))
}

/// Publish an earlier version's content again.
#[utoipa::path(post, path = "/v1/authz/policies/rollback", operation_id = "rollback_authz_policies", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = RollbackBody,
    responses(
        (status = 201, description = "Published as a new version", body = PolicyVersion),
        (status = 404, description = "No such version", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rollback(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<RollbackBody>,
) -> Result<(StatusCode, Json<PolicyVersion>), Problem> {
    let (version, _) = state
        .authz
        .admin()
        .rollback_policies(&admin.0.tenant.id, body.to, Some(&by(&admin)))
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}
