//! Access entries on a resource: `GET/POST /v1/authz/resources/{type}/{id}/acl`,
//! `DELETE /v1/authz/resources/{type}/{id}/acl/{entry}`. An entry gives a
//! user, group or service a role on the resource and everything below it,
//! unless a resource in between breaks inheritance (`inherit: false`).
//! Declared as `resource(viewer, read)` to read and `resource(viewer,
//! share)` to change: a tenant member who may share the resource — an
//! admin of the tenant, or of that folder. A sharer grants at most the
//! role it holds on the resource and removes no entry above it (403
//! `share_above_own_role`); tenant administrators keep full power.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_authz::{AccessEntry, EntityRef};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Ref;
use crate::extract::TenantAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// An entry to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// The user, group or service of the tenant.
    pub principal: Ref,
    /// The role it holds on the resource.
    pub role: String,
}

/// The entries on the resource.
#[utoipa::path(get, path = "/v1/authz/resources/{type}/{id}/acl", operation_id = "get_authz_acl", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("type" = String, Path, description = "The resource's entity type"), ("id" = String, Path, description = "The resource's id")),
    responses((status = 200, description = "Entries (grants included)", body = Vec<AccessEntry>)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((ty, id)): Path<(String, String)>,
) -> Result<Json<Vec<AccessEntry>>, Problem> {
    Ok(Json(
        state
            .authz
            .admin()
            .access_on(&access.tenant.id, &EntityRef::new(ty, id))
            .await?,
    ))
}

/// Add an entry.
#[utoipa::path(post, path = "/v1/authz/resources/{type}/{id}/acl", operation_id = "add_authz_acl_entry", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("type" = String, Path, description = "The resource's entity type"), ("id" = String, Path, description = "The resource's id")),
    request_body = EntryBody,
    responses(
        (status = 201, description = "Added", body = AccessEntry),
        (status = 403, description = "A role above the caller's own on the resource", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such role", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The principal holds that role there already", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn add(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((ty, id)): Path<(String, String)>,
    Json(body): Json<EntryBody>,
) -> Result<(StatusCode, Json<AccessEntry>), Problem> {
    let by = (!access.by_admin()).then_some(&access.principal);
    let entry = state
        .authz
        .share(
            &access.tenant.id,
            &EntityRef::new(ty, id),
            &body.principal.into(),
            &body.role,
            by,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Remove an entry.
#[utoipa::path(delete, path = "/v1/authz/resources/{type}/{id}/acl/{entry}", operation_id = "remove_authz_acl_entry", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("type" = String, Path, description = "The resource's entity type"), ("id" = String, Path, description = "The resource's id"),
           ("entry" = String, Path, description = "The entry's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "An entry above the caller's own role on the resource", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such entry on this resource", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((ty, id, entry)): Path<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    // The entry must be on the resource the check was made for.
    let by = (!access.by_admin()).then_some(&access.principal);
    state
        .authz
        .unshare(&access.tenant.id, &EntityRef::new(ty, id), &entry, by)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
