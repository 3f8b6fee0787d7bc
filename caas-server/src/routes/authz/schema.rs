//! The tenant's Cedar schema: `GET/PUT /v1/authz/schema`. The schema is
//! part of each policy version; a PUT publishes the current policies with
//! the new schema (validated together, strict mode) as the next version.

use axum::extract::State;
use axum::http::StatusCode;
use caas_authz::{BUILTIN_TYPES, PolicyDraft};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The schema in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaAnswer {
    /// Cedar schema syntax (empty before the first publish).
    pub schema: String,
    /// The policy version it belongs to (0: none).
    pub version: i64,
    /// The built-in entity types added where the schema does not declare them.
    pub builtin_types: Vec<String>,
}

/// A new schema.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemaBody {
    /// Cedar schema syntax.
    pub schema: String,
    /// The version read before editing (absent when none was published).
    #[serde(default)]
    pub replaces: Option<i64>,
}

/// The schema in force.
#[utoipa::path(get, path = "/v1/authz/schema", operation_id = "get_authz_schema", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The schema", body = SchemaAnswer)))]
pub async fn get(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<SchemaAnswer>, Problem> {
    let current = state
        .authz
        .policy_store()
        .current(&admin.0.tenant.id)
        .await?;
    Ok(Json(SchemaAnswer {
        schema: current
            .as_ref()
            .map(|v| v.schema.clone())
            .unwrap_or_default(),
        version: current.map_or(0, |v| v.version),
        builtin_types: BUILTIN_TYPES.iter().map(|(n, _)| (*n).to_owned()).collect(),
    }))
}

/// Publish the current policies with a new schema.
#[utoipa::path(put, path = "/v1/authz/schema", operation_id = "put_authz_schema", tag = "authz",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = SchemaBody,
    responses(
        (status = 201, description = "Published as a new policy version", body = SchemaAnswer),
        (status = 400, description = "The schema, or the policies against it, are invalid: `errors` lists each diagnostic", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Another version was published meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<SchemaBody>,
) -> Result<(StatusCode, Json<SchemaAnswer>), Problem> {
    let tenant = &admin.0.tenant.id;
    let current = state.authz.policy_store().current(tenant).await?;
    let draft = PolicyDraft {
        policies: current.map(|v| v.policies).unwrap_or_default(),
        schema: body.schema,
        note: Some("schema changed".into()),
    };
    let by = admin.0.principal.subject.clone();
    let (v, _) = state
        .authz
        .admin()
        .publish_policies(tenant, &draft, body.replaces, Some(&by))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SchemaAnswer {
            schema: v.schema,
            version: v.version,
            builtin_types: BUILTIN_TYPES.iter().map(|(n, _)| (*n).to_owned()).collect(),
        }),
    ))
}
