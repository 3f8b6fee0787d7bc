//! Roles: `GET/POST /v1/authz/roles`, `DELETE /v1/authz/roles/{name}`, and
//! who holds them: `GET/POST /v1/authz/roles/{name}/holders`,
//! `DELETE /v1/authz/roles/{name}/holders/{type}/{id}`. The built-in
//! `owner`, `admin`, `editor` and `viewer` cannot be changed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_authz::{EntityRef, RoleDef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Ref;
use crate::extract::TenantAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// Who holds a role directly.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holders {
    /// Users, groups, services.
    pub holders: Vec<EntityRef>,
}

/// A holder to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolderBody {
    /// The user, group or service.
    pub principal: Ref,
}

/// The built-in and the tenant's roles.
#[utoipa::path(get, path = "/v1/authz/roles", operation_id = "list_authz_roles", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Roles", body = Vec<RoleDef>)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Vec<RoleDef>>, Problem> {
    Ok(Json(state.authz.admin().roles(&access.tenant.id).await?))
}

/// Create or replace a tenant role.
#[utoipa::path(post, path = "/v1/authz/roles", operation_id = "put_authz_role", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = RoleDef, description = "The role; `builtin` is the platform's (only `false` is accepted)"),
    responses(
        (status = 200, description = "Stored", body = RoleDef),
        (status = 400, description = "An invalid name or action, an unknown inherited role, or a cycle (`role_cycle`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A built-in role (`builtin_role`)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put(
    State(state): State<AppState>,
    access: TenantAccess,
    Json(role): Json<RoleDef>,
) -> Result<Json<RoleDef>, Problem> {
    if role.builtin {
        return Err(Problem(
            caas_core::Error::invalid_input("only the platform defines built-in roles")
                .with_field("builtin"),
        ));
    }
    Ok(Json(
        state
            .authz
            .admin()
            .put_role(&access.tenant.id, role)
            .await?,
    ))
}

/// Delete a tenant role (not one another role inherits).
#[utoipa::path(delete, path = "/v1/authz/roles/{name}", operation_id = "delete_authz_role", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("name" = String, Path, description = "The role")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Built in, or inherited by another role", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .authz
        .admin()
        .delete_role(&access.tenant.id, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who holds the role directly (not through groups or inheritance).
#[utoipa::path(get, path = "/v1/authz/roles/{name}/holders", operation_id = "list_authz_role_holders", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("name" = String, Path, description = "The role")),
    responses(
        (status = 200, description = "Holders", body = Holders),
        (status = 404, description = "No such role", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn holders(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(name): Path<String>,
) -> Result<Json<Holders>, Problem> {
    Ok(Json(Holders {
        holders: state
            .authz
            .admin()
            .role_holders(&access.tenant.id, &name)
            .await?,
    }))
}

/// Assign the role to a user, group or service.
#[utoipa::path(post, path = "/v1/authz/roles/{name}/holders", operation_id = "assign_authz_role", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("name" = String, Path, description = "The role")),
    request_body = HolderBody,
    responses(
        (status = 204, description = "Assigned"),
        (status = 404, description = "No such role", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn assign(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(name): Path<String>,
    Json(body): Json<HolderBody>,
) -> Result<StatusCode, Problem> {
    state
        .authz
        .admin()
        .assign_role(&access.tenant.id, &name, &body.principal.into())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take the role away.
#[utoipa::path(delete, path = "/v1/authz/roles/{name}/holders/{type}/{id}", operation_id = "unassign_authz_role", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("name" = String, Path, description = "The role"),
           ("type" = String, Path, description = "The holder's entity type"), ("id" = String, Path, description = "The holder's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "It did not hold the role", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn unassign(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((name, ty, id)): Path<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    state
        .authz
        .admin()
        .unassign_role(&access.tenant.id, &name, &EntityRef::new(ty, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
