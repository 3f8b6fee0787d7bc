//! The tenant's upstream identity providers, for its administrators:
//! `/v1/identity-providers…`. The client secret is write-only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_auth::federation::{IdentityProvider, ProviderSettings};
use caas_core::Error;

use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The tenant's identity providers.
#[utoipa::path(get, path = "/v1/identity-providers", operation_id = "list_identity_providers", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 200, description = "The providers (never their secrets)", body = Vec<IdentityProvider>),
        (status = 403, description = "Not an administrator of the tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<Vec<IdentityProvider>>, Problem> {
    Ok(Json(
        state
            .federation
            .providers()
            .list(&admin.0.tenant.id)
            .await?,
    ))
}

/// Register an identity provider. Its callback is
/// `{issuer}/federation/{id}/callback`: register that at the provider.
#[utoipa::path(post, path = "/v1/identity-providers", operation_id = "create_identity_provider", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = ProviderSettings, description = "The provider; `client_secret` is write-only"),
    responses(
        (status = 201, description = "Registered", body = IdentityProvider),
        (status = 400, description = "Invalid settings (or an issuer the address policy refuses)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(settings): Json<ProviderSettings>,
) -> Result<(StatusCode, Json<IdentityProvider>), Problem> {
    state.federation.check(&settings)?;
    let provider = state
        .federation
        .providers()
        .create(&admin.0.tenant.id, &settings)
        .await?;
    Ok((StatusCode::CREATED, Json(provider)))
}

/// One identity provider.
#[utoipa::path(get, path = "/v1/identity-providers/{id}", operation_id = "get_identity_provider", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "The provider's id")),
    responses(
        (status = 200, description = "The provider", body = IdentityProvider),
        (status = 404, description = "No such provider", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<Json<IdentityProvider>, Problem> {
    let provider = state
        .federation
        .providers()
        .get(&admin.0.tenant.id, &id)
        .await?
        .ok_or_else(|| Error::not_found("no such identity provider"))?;
    Ok(Json(provider))
}

/// Replace a provider's settings (without `client_secret`, the stored one stays).
#[utoipa::path(put, path = "/v1/identity-providers/{id}", operation_id = "update_identity_provider", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "The provider's id")),
    request_body(content = ProviderSettings, description = "The same fields as on registration; without `client_secret` the stored one stays"),
    responses(
        (status = 200, description = "Updated", body = IdentityProvider),
        (status = 400, description = "Invalid settings", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
    Json(settings): Json<ProviderSettings>,
) -> Result<Json<IdentityProvider>, Problem> {
    state.federation.check(&settings)?;
    Ok(Json(
        state
            .federation
            .providers()
            .update(&admin.0.tenant.id, &id, &settings)
            .await?,
    ))
}

/// Delete a provider and its links (the users stay).
#[utoipa::path(delete, path = "/v1/identity-providers/{id}", operation_id = "delete_identity_provider", tag = "oauth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "The provider's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such provider", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .federation
        .providers()
        .delete(&admin.0.tenant.id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
