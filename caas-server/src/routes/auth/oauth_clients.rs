//! The tenant's OAuth clients, for its administrators: `/v1/oauth/clients…`.
//! A confidential client's secret is shown only when created or rotated.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_auth::oauth::{ClientSettings, OAuthClient};
use caas_core::{Error, Result};
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A client with its secret (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientWithSecret {
    /// The client.
    #[serde(flatten)]
    pub client: OAuthClient,
    /// `client_secret` (confidential clients; store it now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

async fn found(state: &AppState, admin: &TenantAdmin, id: &str) -> Result<OAuthClient> {
    state
        .auth
        .parts()
        .clients
        .get(&admin.0.tenant.id, id)
        .await?
        .ok_or_else(|| Error::not_found("no such client"))
}

/// The tenant's OAuth clients.
#[utoipa::path(get, path = "/v1/oauth/clients", operation_id = "list_oauth_clients", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 200, description = "The clients", body = Vec<OAuthClient>),
        (status = 403, description = "Not an administrator of the tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<OAuthClient>>, Problem> {
    Ok(Json(
        state.auth.parts().clients.list(&admin.0.tenant.id).await?,
    ))
}

/// Register a client.
#[utoipa::path(post, path = "/v1/oauth/clients", operation_id = "create_oauth_client", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = ClientSettings, description = "What the client may do"),
    responses(
        (status = 201, description = "Registered; a confidential client's secret is shown only now", body = ClientWithSecret),
        (status = 400, description = "Invalid settings", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(settings): Json<ClientSettings>,
) -> Result<(StatusCode, Json<ClientWithSecret>), Problem> {
    let (client, secret) = state
        .auth
        .create_oauth_client(&admin.0.tenant, &settings)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ClientWithSecret {
            client,
            client_secret: secret.map(|s| s.expose().clone()),
        }),
    ))
}

/// One client.
#[utoipa::path(get, path = "/v1/oauth/clients/{id}", operation_id = "get_oauth_client", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "`client_id`")),
    responses(
        (status = 200, description = "The client", body = OAuthClient),
        (status = 404, description = "No such client", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<Json<OAuthClient>, Problem> {
    Ok(Json(found(&state, &admin, &id).await?))
}

/// Replace a client's settings (its type cannot change).
#[utoipa::path(put, path = "/v1/oauth/clients/{id}", operation_id = "update_oauth_client", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "`client_id`")),
    request_body(content = ClientSettings, description = "The same fields as on registration"),
    responses(
        (status = 200, description = "Updated", body = OAuthClient),
        (status = 400, description = "Invalid settings", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(settings): Json<ClientSettings>,
) -> Result<Json<OAuthClient>, Problem> {
    Ok(Json(
        state
            .auth
            .parts()
            .clients
            .update(&admin.0.tenant.id, &id, &settings)
            .await?,
    ))
}

/// Delete a client (its client-credentials tokens stop working at once).
#[utoipa::path(delete, path = "/v1/oauth/clients/{id}", operation_id = "delete_oauth_client", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "`client_id`")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such client", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.auth.delete_oauth_client(&admin.0.tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret for a confidential client; the old one stops working.
#[utoipa::path(post, path = "/v1/oauth/clients/{id}/rotate-secret", operation_id = "rotate_oauth_client_secret", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "`client_id`")),
    responses(
        (status = 200, description = "The client and its new secret, shown only now", body = ClientWithSecret),
        (status = 404, description = "No such client", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A public client has no secret", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<Json<ClientWithSecret>, Problem> {
    let client = found(&state, &admin, &id).await?;
    let secret = state
        .auth
        .parts()
        .clients
        .rotate_secret(&admin.0.tenant.id, &id)
        .await?;
    Ok(Json(ClientWithSecret {
        client,
        client_secret: Some(secret.expose().clone()),
    }))
}
