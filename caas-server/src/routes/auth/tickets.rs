//! One-time tickets: `POST /v1/auth/tickets` (for the caller) and
//! `POST /v1/auth/tickets/redeem` (by the service the login is handed to).

use axum::extract::State;
use axum::http::StatusCode;
use caas_core::{Result, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Tokens;
use crate::extract::{PublicTenant, TenantAccess};
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A ticket (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct Ticket {
    /// The ticket: pass it to the other service.
    pub ticket: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// `POST /v1/auth/tickets/redeem`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    /// The ticket.
    #[schema(value_type = String)]
    pub ticket: SecretString,
}

/// A one-time ticket for the caller, valid for 60 seconds.
#[utoipa::path(post, path = "/v1/auth/tickets", operation_id = "issue_ticket", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 201, description = "The ticket", body = Ticket),
        (status = 403, description = "Not a principal of this tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn issue(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<(StatusCode, Json<Ticket>), Problem> {
    let ticket = state
        .auth
        .parts()
        .tickets
        .issue(&access.tenant.id, &access.principal)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Ticket {
            ticket: ticket.expose().clone(),
            expires_in: caas_auth::tickets::DEFAULT_TTL.as_secs(),
        }),
    ))
}

/// Redeem a ticket (once) for an access token of its principal.
#[utoipa::path(post, path = "/v1/auth/tickets/redeem", operation_id = "redeem_ticket", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = Redeem,
    responses(
        (status = 200, description = "An access token", body = Tokens),
        (status = 401, description = "Unknown, expired or used", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn redeem(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    Json(body): Json<Redeem>,
) -> Result<Json<Tokens>, Problem> {
    Ok(Json(
        state
            .auth
            .redeem_ticket(&tenant, body.ticket.expose())
            .await?
            .into(),
    ))
}
