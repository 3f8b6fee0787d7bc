//! Cross-tenant grants: `GET/POST /v1/authz/grants`,
//! `DELETE /v1/authz/grants/{id}`. The tenant gives a principal of another
//! tenant a role on one of its resources (and what is below it); the grant
//! is listed and revoked here, and gives nothing else: the other tenant's
//! credentials still cannot call this tenant's API, and its principal
//! appears in decisions as `ForeignUser::"<tenant id>/<subject>"`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_authz::AccessEntry;
use caas_core::{Error, TenantId, TenantSlug};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Ref;
use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A grant to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// The other tenant: its id or slug.
    pub grantee_tenant: String,
    /// The subject (user id) there.
    pub subject: String,
    /// The role given.
    pub role: String,
    /// On which of this tenant's resources.
    pub resource: Ref,
}

/// This tenant's grants, newest first.
#[utoipa::path(get, path = "/v1/authz/grants", operation_id = "list_authz_grants", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Grants", body = Vec<AccessEntry>)))]
pub async fn list(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<AccessEntry>>, Problem> {
    Ok(Json(state.authz.admin().grants(&admin.0.tenant.id).await?))
}

/// Grant a role on a resource to another tenant's principal.
#[utoipa::path(post, path = "/v1/authz/grants", operation_id = "create_authz_grant", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = GrantBody,
    responses(
        (status = 201, description = "Granted", body = AccessEntry),
        (status = 400, description = "This tenant itself, or an invalid subject or resource", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant or role", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<GrantBody>,
) -> Result<(StatusCode, Json<AccessEntry>), Problem> {
    let unknown = || Error::not_found(format!("tenant `{}` not found", body.grantee_tenant));
    let grantee = match body.grantee_tenant.parse::<TenantId>() {
        Ok(id) => state.tenants.get(&id).await?,
        Err(_) => match TenantSlug::parse(&body.grantee_tenant) {
            Ok(slug) => state.tenants.get_by_slug(&slug).await?,
            Err(_) => None,
        },
    }
    .ok_or_else(unknown)?;
    if body.subject.is_empty() || body.subject.len() > 128 || body.subject.contains('/') {
        return Err(
            Error::invalid_input("`subject` is 1 to 128 characters without `/`")
                .with_field("subject")
                .into(),
        );
    }
    let grant = state
        .authz
        .admin()
        .grant(
            &admin.0.tenant.id,
            &grantee.id,
            &body.subject,
            &body.role,
            &body.resource.into(),
            Some(&admin.0.principal.subject),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// Revoke a grant.
#[utoipa::path(delete, path = "/v1/authz/grants/{id}", operation_id = "revoke_authz_grant", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("id" = String, Path, description = "The grant")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such grant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .authz
        .admin()
        .revoke_grant(&admin.0.tenant.id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
