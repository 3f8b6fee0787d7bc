//! `GET|POST {issuer}/oauth2/userinfo`: the user's claims for an access
//! token with the `openid` scope (OIDC Core §5.3).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caas_auth::oauth::{OAuthError, OAuthErrorCode};
use caas_core::Error;

use super::web;
use crate::extract::PublicTenant;
use crate::state::AppState;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// 401 `invalid_token`: a Bearer challenge (RFC 6750 §3) and a JSON body.
fn invalid_token(e: &Error) -> Response {
    let error = OAuthError::new(OAuthErrorCode::InvalidToken, e.message().to_owned());
    let description: String = error
        .description()
        .chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect();
    let mut response = (error.status(), axum::Json(error.body())).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "Bearer error=\"{}\", error_description=\"{description}\"",
        error.code()
    )) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

async fn answer(state: &AppState, tenant: &caas_core::Tenant, headers: &HeaderMap) -> Response {
    let Some(token) = bearer(headers) else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    };
    match state.oidc.userinfo(tenant, token).await {
        Ok(claims) => web::no_store(claims),
        Err(e) if e.kind() == caas_core::ErrorKind::Unauthenticated => invalid_token(&e),
        Err(e) => crate::problem::Problem(e).into_response(),
    }
}

/// The user's claims (`sub`, and `name`, `preferred_username`, `email` … by scope).
#[utoipa::path(get, path = "/t/{slug}/oauth2/userinfo", operation_id = "oauth_userinfo", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Claims", body = super::schemas::UserInfo),
        (status = 401, description = "No, an invalid, or a non-`openid` access token (`WWW-Authenticate` says why)", body = super::schemas::OAuthErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
) -> Response {
    answer(&state, &tenant, &headers).await
}

/// The same, by POST.
#[utoipa::path(post, path = "/t/{slug}/oauth2/userinfo", operation_id = "oauth_userinfo_post", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Claims", body = super::schemas::UserInfo),
        (status = 401, description = "No, an invalid, or a non-`openid` access token (`WWW-Authenticate` says why)", body = super::schemas::OAuthErrorBody),
    ))]
pub async fn post(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
) -> Response {
    answer(&state, &tenant, &headers).await
}
