//! The built-in entity store: `GET/PUT/DELETE /v1/authz/entities/{type}/{id}`
//! — users, groups, resources with their attributes (Cedar JSON), parents
//! and whether they inherit their parents' access entries. Roles are
//! assigned through `/v1/authz/roles/{name}/holders`, grants through
//! `/v1/authz/grants`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_authz::{EntityInput, EntityRecord, EntityRef};
use caas_core::Error;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Ref;
use crate::extract::TenantAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// An entity's content.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityBody {
    /// Attributes, in Cedar's JSON form (`{"__entity": {...}}` for references).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attrs: Map<String, Value>,
    /// Parents: groups, containing resources (at most 64).
    #[serde(default)]
    pub parents: Vec<Ref>,
    /// Whether access entries of its ancestors apply to it (default true).
    #[serde(default = "yes")]
    pub inherit: bool,
}

fn yes() -> bool {
    true
}

/// Read one entity.
#[utoipa::path(get, path = "/v1/authz/entities/{type}/{id}", operation_id = "get_authz_entity", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("type" = String, Path, description = "The entity type"), ("id" = String, Path, description = "The id")),
    responses(
        (status = 200, description = "The entity with its parents, access entries and version", body = EntityRecord),
        (status = 404, description = "No such entity", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((ty, id)): Path<(String, String)>,
) -> Result<Json<EntityRecord>, Problem> {
    let uid = EntityRef::new(ty, id);
    let record = state
        .authz
        .admin()
        .get_entity(&access.tenant.id, &uid)
        .await?
        .ok_or_else(|| Error::not_found(format!("entity {uid} not found")))?;
    Ok(Json(record))
}

/// Create or replace one entity.
#[utoipa::path(put, path = "/v1/authz/entities/{type}/{id}", operation_id = "put_authz_entity", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("type" = String, Path, description = "The entity type"), ("id" = String, Path, description = "The id")),
    request_body = EntityBody,
    responses(
        (status = 200, description = "Stored", body = EntityRecord),
        (status = 400, description = "Invalid attributes or parents, or a cycle (`entity_cycle`)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((ty, id)): Path<(String, String)>,
    Json(body): Json<EntityBody>,
) -> Result<Json<EntityRecord>, Problem> {
    let input = EntityInput {
        attrs: body.attrs,
        parents: body.parents.into_iter().map(Into::into).collect(),
        inherit: body.inherit,
    };
    Ok(Json(
        state
            .authz
            .admin()
            .put_entity(&access.tenant.id, &EntityRef::new(ty, id), &input)
            .await?,
    ))
}

/// Delete one entity, its parent links, links to it and access entries on it.
#[utoipa::path(delete, path = "/v1/authz/entities/{type}/{id}", operation_id = "delete_authz_entity", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
           ("type" = String, Path, description = "The entity type"), ("id" = String, Path, description = "The id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such entity", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((ty, id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    state
        .authz
        .admin()
        .delete_entity(&access.tenant.id, &EntityRef::new(ty, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
