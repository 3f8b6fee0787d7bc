//! The signed-in user's API keys: `/v1/auth/api-keys…`. The full key is
//! shown only when created or rotated.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_auth::api_keys::{ApiKey, ApiKeyInput};
use caas_core::{Error, Result};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// An API key (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The public part (`caas_<prefix>_…`).
    pub prefix: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Expires (RFC 3339).
    pub expires_at: Option<String>,
    /// Last used (RFC 3339, to the minute).
    pub last_used_at: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        ApiKeyView {
            id: k.id.to_string(),
            prefix: k.prefix,
            name: k.name,
            scopes: k.scopes,
            expires_at: k.expires_at.map(|t| t.to_string()),
            last_used_at: k.last_used_at.map(|t| t.to_string()),
            created_at: k.created_at.to_string(),
        }
    }
}

/// A key with its secret (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyWithSecret {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The full key, `caas_<prefix>_<secret>`: store it now.
    pub api_key: String,
}

/// `POST`/`PUT` body.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyBody {
    /// Name (1–100 characters).
    pub name: String,
    /// Scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Seconds until it expires, at most 316224000 (ten years); never when
    /// absent.
    pub expires_in: Option<u64>,
}

impl From<ApiKeyBody> for ApiKeyInput {
    fn from(b: ApiKeyBody) -> Self {
        ApiKeyInput {
            name: b.name,
            scopes: b.scopes,
            expires_in: b.expires_in,
        }
    }
}

/// One of the caller's keys, or 404.
async fn mine(state: &AppState, access: &UserAccess, id: &str) -> Result<ApiKey> {
    let id: Uuid = id
        .parse()
        .map_err(|_| Error::not_found("no such API key of yours"))?;
    state
        .auth
        .owned_api_key(&access.tenant, &access.principal, id)
        .await
}

/// My API keys.
#[utoipa::path(get, path = "/v1/auth/api-keys", operation_id = "list_api_keys", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The keys", body = Vec<ApiKeyView>)))]
pub async fn list(
    State(state): State<AppState>,
    access: UserAccess,
) -> Result<Json<Vec<ApiKeyView>>, Problem> {
    let keys = state
        .auth
        .parts()
        .api_keys
        .list(&access.tenant.id, Some(&access.principal.subject))
        .await?;
    Ok(Json(keys.into_iter().map(ApiKeyView::from).collect()))
}

/// Create an API key.
#[utoipa::path(post, path = "/v1/auth/api-keys", operation_id = "create_api_key", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = ApiKeyBody,
    responses(
        (status = 201, description = "Created; the key is shown only now", body = ApiKeyWithSecret),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "A guest or service, or a scope beyond the caller's rights (named)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: UserAccess,
    Json(body): Json<ApiKeyBody>,
) -> Result<(StatusCode, Json<ApiKeyWithSecret>), Problem> {
    let (key, secret) = state
        .auth
        .create_api_key(&access.tenant, &access.principal, &body.into())
        .await?;
    let who = access.principal.subject.as_str();
    state
        .audit(
            &access.tenant,
            who,
            "auth.api_key_created",
            &key.id.to_string(),
            serde_json::json!({ "prefix": key.prefix }),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyWithSecret {
            key: key.into(),
            api_key: secret.expose().clone(),
        }),
    ))
}

/// One of my API keys.
#[utoipa::path(get, path = "/v1/auth/api-keys/{id}", operation_id = "get_api_key", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key", body = ApiKeyView),
        (status = 404, description = "No such key of mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: UserAccess,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyView>, Problem> {
    Ok(Json(mine(&state, &access, &id).await?.into()))
}

/// Rename, rescope or extend one of my API keys.
#[utoipa::path(put, path = "/v1/auth/api-keys/{id}", operation_id = "update_api_key", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Key id")),
    request_body = ApiKeyBody,
    responses(
        (status = 200, description = "Updated", body = ApiKeyView),
        (status = 404, description = "No such key of mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    access: UserAccess,
    Path(id): Path<String>,
    Json(body): Json<ApiKeyBody>,
) -> Result<Json<ApiKeyView>, Problem> {
    let key = mine(&state, &access, &id).await?;
    let updated = state
        .auth
        .update_api_key(&access.tenant, &access.principal, key.id, &body.into())
        .await?;
    Ok(Json(updated.into()))
}

/// Delete one of my API keys (it stops working at once).
#[utoipa::path(delete, path = "/v1/auth/api-keys/{id}", operation_id = "delete_api_key", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Key id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such key of mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: UserAccess,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let key = mine(&state, &access, &id).await?;
    state
        .auth
        .delete_api_key(&access.tenant, &access.principal, key.id)
        .await?;
    let who = access.principal.subject.as_str();
    state
        .audit(
            &access.tenant,
            who,
            "auth.api_key_revoked",
            &key.id.to_string(),
            serde_json::json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give one of my API keys a new secret; the old one stops working at once.
#[utoipa::path(post, path = "/v1/auth/api-keys/{id}/rotate", operation_id = "rotate_api_key", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key with its new secret, shown only now", body = ApiKeyWithSecret),
        (status = 404, description = "No such key of mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rotate(
    State(state): State<AppState>,
    access: UserAccess,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyWithSecret>, Problem> {
    let key = mine(&state, &access, &id).await?;
    let (key, secret) = state
        .auth
        .rotate_api_key(&access.tenant, &access.principal, key.id)
        .await?;
    let who = access.principal.subject.as_str();
    state
        .audit(
            &access.tenant,
            who,
            "auth.api_key_rotated",
            &key.id.to_string(),
            serde_json::json!({}),
        )
        .await?;
    Ok(Json(ApiKeyWithSecret {
        key: key.into(),
        api_key: secret.expose().clone(),
    }))
}
