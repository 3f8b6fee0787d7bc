//! `{issuer}/federation/{provider}/start` and `/callback`: logging in to
//! an authorization request through one of the tenant's upstream identity
//! providers. Failures (a wrong or replayed `state`, a tampered ID token,
//! an upstream refusal) are shown on the error page.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use caas_core::ErrorKind;
use serde::Deserialize;

use super::authorize::expired;
use super::login::{RequestRef, logged_in};
use super::web::{self, FEDERATION_COOKIE};
use crate::extract::PublicTenant;
use crate::pages;
use crate::problem::Problem;
use crate::routes::auth::ClientInfo;
use crate::state::AppState;

/// The callback's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    /// The login's state.
    pub state: Option<String>,
    /// The upstream code.
    pub code: Option<String>,
    /// The upstream error.
    pub error: Option<String>,
}

fn shown(
    tenant: &caas_core::Tenant,
    headers: &HeaderMap,
    e: &caas_core::Error,
) -> Option<Response> {
    let status = match e.kind() {
        ErrorKind::InvalidInput | ErrorKind::Unauthenticated => StatusCode::BAD_REQUEST,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        // e.g. the email is another user's and the provider does not link by email
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unavailable => StatusCode::BAD_GATEWAY,
        _ => return None,
    };
    Some(pages::error(
        tenant,
        web::text(None, headers),
        status,
        e.message(),
    ))
}

/// Sends the browser to the upstream provider.
#[utoipa::path(get, path = "/t/{slug}/federation/{provider}/start", operation_id = "federation_start", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug"),
           ("provider" = String, Path, description = "The identity provider's id"), RequestRef),
    responses(
        (status = 303, description = "To the identity provider"),
        (status = 404, description = "Unknown or disabled provider", content_type = "text/html"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    Path((_, provider)): Path<(String, String)>,
    Query(r): Query<RequestRef>,
) -> Result<Response, Problem> {
    if state.oidc.parked(&tenant, &r.request).await?.is_none() {
        return Ok(expired(&tenant, web::text(None, &headers)));
    }
    let callback = state
        .oidc
        .endpoint(&tenant, &format!("/federation/{provider}/callback"));
    let binding = web::random_token();
    match state
        .federation
        .start(&tenant, &provider, &r.request, &callback, &binding)
        .await
    {
        Ok(url) => {
            let cookie = web::set_cookie(&state, &tenant, FEDERATION_COOKIE, &binding, Some(600));
            Ok(web::see_other(&url, vec![(header::SET_COOKIE, cookie)]))
        }
        Err(e) => shown(&tenant, &headers, &e).ok_or(Problem(e)),
    }
}

/// The provider's answer: validates it, links or creates the user, and
/// goes on with the authorization request.
#[utoipa::path(get, path = "/t/{slug}/federation/{provider}/callback", operation_id = "federation_callback", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug"),
           ("provider" = String, Path, description = "The identity provider's id"), CallbackParams),
    responses(
        (status = 303, description = "Logged in: on with the authorization request"),
        (status = 400, description = "A wrong state, a refused login or an invalid upstream ID token", content_type = "text/html"),
    ))]
pub async fn callback(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    client: ClientInfo,
    Path((_, provider)): Path<(String, String)>,
    Query(q): Query<CallbackParams>,
) -> Result<Response, Problem> {
    let done = match state
        .federation
        .callback(
            &tenant,
            &provider,
            q.state.as_deref(),
            q.code.as_deref(),
            q.error.as_deref(),
            web::cookie(&headers, FEDERATION_COOKIE).as_deref(),
        )
        .await
    {
        Ok(d) => d,
        Err(e) => return shown(&tenant, &headers, &e).ok_or(Problem(e)),
    };
    let Some(request) = state.oidc.parked(&tenant, &done.request).await? else {
        return Ok(expired(&tenant, web::text(None, &headers)));
    };
    let session = state
        .oidc
        .auth()
        .open_session(&tenant, &done.user, client.fingerprint, vec!["fed".into()])
        .await?;
    logged_in(&state, &tenant, &done.request, request, &session).await
}
