//! `GET {issuer}/oauth2/authorize`: checks the request, then logs the user
//! in (the login and MFA pages), asks for consent (third-party clients,
//! remembered), and redirects back with a code — or with an error
//! (RFC 6749 §4.1.2.1), or shows the error when the client or its
//! redirect URI cannot be trusted.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use caas_auth::oauth::{AuthorizationRequest, AuthorizeError, AuthorizeParams, Next};
use caas_core::Tenant;

use super::web::{self, LOGIN_COOKIE};
use crate::extract::PublicTenant;
use crate::pages;
use crate::problem::Problem;
use crate::state::AppState;

/// Where the user goes next for parked request `id`.
pub(super) async fn go(
    state: &AppState,
    tenant: &Tenant,
    request: &AuthorizationRequest,
    id: Option<&str>,
    next: Next,
    extra: Vec<(header::HeaderName, axum::http::HeaderValue)>,
) -> Result<Response, Problem> {
    let slug = &tenant.slug;
    let parked = match id {
        Some(id) => id.to_owned(),
        None => match next {
            Next::Redirect(_) => String::new(),
            _ => state.oidc.park(tenant, request).await?,
        },
    };
    Ok(match next {
        Next::Redirect(url) => {
            if !parked.is_empty() {
                state.oidc.unpark(tenant, &parked).await?;
            }
            web::see_other(&url, extra)
        }
        Next::Login => web::see_other(&format!("/t/{slug}/oauth2/login?request={parked}"), extra),
        Next::Consent => {
            web::see_other(&format!("/t/{slug}/oauth2/consent?request={parked}"), extra)
        }
    })
}

/// The browser's login at the provider, if any.
pub(super) async fn browser_session(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
) -> Result<Option<caas_auth::sessions::Session>, Problem> {
    match web::cookie(headers, LOGIN_COOKIE) {
        Some(c) => Ok(state.oidc.browser().current(&tenant.id, &c).await?),
        None => Ok(None),
    }
}

/// The authorization endpoint (OAuth 2.0 authorization code with PKCE S256).
#[utoipa::path(get, path = "/t/{slug}/oauth2/authorize", operation_id = "oauth_authorize", tag = "oauth",
    params(
        ("slug" = String, Path, description = "The tenant's slug"),
        ("response_type" = String, Query, description = "`code`"),
        ("client_id" = String, Query, description = "The client"),
        ("redirect_uri" = String, Query, description = "A registered redirect URI, exactly"),
        ("scope" = Option<String>, Query, description = "Space-separated scopes"),
        ("state" = Option<String>, Query, description = "Returned unchanged"),
        ("nonce" = Option<String>, Query, description = "Put in the ID token"),
        ("code_challenge" = String, Query, description = "PKCE challenge"),
        ("code_challenge_method" = String, Query, description = "`S256`"),
        ("prompt" = Option<String>, Query, description = "`none`, `login`, `consent`"),
        ("max_age" = Option<String>, Query, description = "Maximum age of the login in seconds"),
        ("ui_locales" = Option<String>, Query, description = "`en`, `sl`"),
        ("resource" = Option<String>, Query, description = "The API the access token is for (RFC 8707)"),
    ),
    responses(
        (status = 303, description = "To the login page, the consent page, or back to the client with a code or an error"),
        (status = 400, description = "The client or redirect URI is invalid (an HTML page)", content_type = "text/html"),
    ))]
pub async fn authorize(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    Query(params): Query<AuthorizeParams>,
) -> Result<Response, Problem> {
    let text = web::text(params.ui_locales.as_deref(), &headers);
    let request = match state.oidc.check_authorize(&tenant, &params).await? {
        Ok(r) => r,
        Err(AuthorizeError::Show(e)) => {
            return Ok(pages::error(
                &tenant,
                text,
                StatusCode::BAD_REQUEST,
                e.description(),
            ));
        }
        Err(AuthorizeError::Redirect(url)) => return Ok(web::see_other(&url, Vec::new())),
    };
    let session = browser_session(&state, &tenant, &headers).await?;
    let next = state
        .oidc
        .proceed(&tenant, &request, session.as_ref(), false, false)
        .await?;
    go(&state, &tenant, &request, None, next, Vec::new()).await
}

/// The parked request `id` and the language of its pages — or the page to
/// show instead (the request is unknown or expired).
pub(super) async fn parked(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    id: &str,
) -> Result<Result<(AuthorizationRequest, &'static pages::Text), Response>, Problem> {
    let Some(request) = state.oidc.parked(tenant, id).await? else {
        return Ok(Err(expired(tenant, web::text(None, headers))));
    };
    let text = web::text(request.ui_locales.as_deref(), headers);
    Ok(Ok((request, text)))
}

/// [`parked`] for a submitted form, which must pass [`web::check_form`]
/// (its origin, and its CSRF token against the browser's cookies): a 403
/// page otherwise.
pub(super) async fn submitted(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
    id: &str,
    csrf: Option<&str>,
) -> Result<Result<(AuthorizationRequest, &'static pages::Text), Response>, Problem> {
    Ok(match parked(state, tenant, headers, id).await? {
        Ok((request, text)) => match web::check_form(state, tenant, headers, csrf) {
            Ok(()) => Ok((request, text)),
            Err(refusal) => Err(refusal.page(tenant, text)),
        },
        expired => expired,
    })
}

/// The page for an unknown or expired parked request.
pub(super) fn expired(tenant: &Tenant, text: &'static pages::Text) -> Response {
    pages::error(tenant, text, StatusCode::BAD_REQUEST, text.expired)
}
