//! Decisions: `POST /v1/authz/check`, `POST /v1/authz/check/batch`,
//! `POST /v1/authz/actions`. The caller (a tenant admin, or credentials
//! with the scope `authz:check`) asks about any principal: a user is
//! `{"type": "User", "id": "<subject>"}`, another tenant's principal
//! `{"type": "ForeignUser", "id": "<tenant id>/<subject>"}`.

use std::collections::BTreeSet;

use axum::extract::State;
use caas_authz::{AuthzRequest, Decision};
use caas_core::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Ref;
use crate::extract::TenantAccess;
use crate::json::Json;
use crate::middleware::request_id::RequestId;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The most requests in one batch.
pub const MAX_BATCH: usize = 100;

/// May `principal` do `action` on `resource`?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// Who.
    pub principal: Ref,
    /// Roles the principal's credentials carry (counted as held); only a
    /// service with the scope `authz:check` may name them (403
    /// `roles_not_trusted` otherwise).
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// The action: `read`, or a uid like `Drive::Action::"read"`.
    pub action: String,
    /// On what.
    pub resource: Ref,
    /// The context (Cedar JSON).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub context: Map<String, Value>,
}

impl From<CheckBody> for AuthzRequest {
    fn from(b: CheckBody) -> Self {
        AuthzRequest {
            principal: b.principal.into(),
            roles: b.roles,
            action: b.action,
            resource: b.resource.into(),
            context: b.context,
        }
    }
}

/// Several checks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// At most 100.
    pub requests: Vec<CheckBody>,
}

/// Their decisions, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    /// One per request.
    pub decisions: Vec<Decision>,
}

/// What may `principal` do on `resource`?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionsBody {
    /// Who.
    pub principal: Ref,
    /// Roles the principal's credentials carry (only from a service with
    /// the scope `authz:check`).
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// On what.
    pub resource: Ref,
    /// The context.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub context: Map<String, Value>,
}

/// The allowed actions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionsAnswer {
    /// Action names (`read`, or the whole uid for namespaced actions).
    pub actions: Vec<String>,
}

/// Caller-supplied roles only from a service that may vouch for them.
fn vouched(access: &TenantAccess, roles: &BTreeSet<String>) -> Result<(), Problem> {
    Ok(caas_authz::check_vouched_roles(
        &access.principal,
        access.by_admin(),
        roles,
    )?)
}

fn request_id(id: Option<axum::Extension<RequestId>>) -> Option<String> {
    id.map(|axum::Extension(RequestId(id))| id.to_string())
}

/// Decide one request: `allow`, the deciding policies (`reasons`), errors,
/// the policy version, the roles held and the access entries that gave them.
#[utoipa::path(post, path = "/v1/authz/check", operation_id = "authz_check", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = CheckBody,
    responses(
        (status = 200, description = "The decision", body = Decision),
        (status = 400, description = "An invalid entity, action or context", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn check(
    State(state): State<AppState>,
    access: TenantAccess,
    id: Option<axum::Extension<RequestId>>,
    Json(body): Json<CheckBody>,
) -> Result<Json<Decision>, Problem> {
    vouched(&access, &body.roles)?;
    let id = request_id(id);
    Ok(Json(
        state
            .authz
            .authorize(&access.tenant.id, &body.into(), id.as_deref())
            .await?,
    ))
}

/// Decide up to 100 requests.
#[utoipa::path(post, path = "/v1/authz/check/batch", operation_id = "authz_check_batch", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = BatchBody,
    responses(
        (status = 200, description = "The decisions, in order", body = BatchAnswer),
        (status = 400, description = "Too many requests, or an invalid one (named by its index)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn batch(
    State(state): State<AppState>,
    access: TenantAccess,
    id: Option<axum::Extension<RequestId>>,
    Json(body): Json<BatchBody>,
) -> Result<Json<BatchAnswer>, Problem> {
    if body.requests.len() > MAX_BATCH {
        return Err(
            Error::invalid_input(format!("a batch holds at most {MAX_BATCH} requests"))
                .with_field("requests")
                .into(),
        );
    }
    for r in &body.requests {
        vouched(&access, &r.roles)?;
    }
    let requests: Vec<AuthzRequest> = body.requests.into_iter().map(Into::into).collect();
    let id = request_id(id);
    let decisions = state
        .authz
        .authorize_batch(&access.tenant.id, &requests, id.as_deref())
        .await?;
    Ok(Json(BatchAnswer { decisions }))
}

/// The actions a principal may take on a resource: every action of the
/// schema and of the roles, decided through the policy index.
#[utoipa::path(post, path = "/v1/authz/actions", operation_id = "authz_actions", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = ActionsBody,
    responses(
        (status = 200, description = "The allowed actions", body = ActionsAnswer),
    ))]
pub async fn actions(
    State(state): State<AppState>,
    access: TenantAccess,
    Json(body): Json<ActionsBody>,
) -> Result<Json<ActionsAnswer>, Problem> {
    vouched(&access, &body.roles)?;
    let actions = state
        .authz
        .actions(
            &access.tenant.id,
            &body.principal.into(),
            &body.roles,
            &body.resource.into(),
            &body.context,
        )
        .await?;
    Ok(Json(ActionsAnswer { actions }))
}
