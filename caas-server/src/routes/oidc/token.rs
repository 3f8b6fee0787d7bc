//! `POST {issuer}/oauth2/token`, `/introspect` (RFC 7662) and `/revoke`
//! (RFC 7009): form bodies, client authentication, OAuth error bodies.

use super::schemas::{Introspection, OAuthErrorBody};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use caas_auth::oauth::{OAuthError, TokenParams};
use serde::Deserialize;

use super::web::{self, ClientForm};
use crate::extract::PublicTenant;
use crate::routes::auth::ClientInfo;
use crate::state::AppState;

/// The token endpoint's form.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(flatten)]
    client: ClientForm,
    #[serde(flatten)]
    params: TokenParams,
}

/// The introspection and revocation form.
#[derive(Debug, Deserialize)]
pub struct TokenRef {
    #[serde(flatten)]
    client: ClientForm,
    token: Option<String>,
}

fn bad_form(r: FormRejection) -> Response {
    web::oauth_answer(&OAuthError::invalid_request(format!(
        "the body must be a form: {r}"
    )))
}

/// The token endpoint: `authorization_code` (PKCE), `refresh_token`
/// (rotation and reuse detection), `client_credentials`, and `password`
/// (first-party clients, when the tenant enables it).
#[utoipa::path(post, path = "/t/{slug}/oauth2/token", operation_id = "oauth_token", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "RFC 6749 §4: `grant_type` and its parameters; client credentials in Basic or the form"),
    responses(
        (status = 200, description = "Tokens", body = caas_auth::oauth::TokenResponse),
        (status = 400, description = "An OAuth error (`invalid_grant`, …)", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
    ))]
pub async fn token(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    client: ClientInfo,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Form(mut form) = match form {
        Ok(f) => f,
        Err(r) => return bad_form(r),
    };
    form.params.ip = client.ip;
    let answer = async {
        let credentials = web::credentials(&headers, &form.client)?;
        state.oidc.token(&tenant, &credentials, &form.params).await
    }
    .await;
    match answer.and_then(|t| Ok(serde_json::to_value(t)?)) {
        Ok(body) => web::no_store(body),
        Err(e) => web::oauth_error(e),
    }
}

/// Token introspection (RFC 7662) for the tenant's confidential clients:
/// `active: false` for anything unknown, expired, revoked, or of another tenant.
#[utoipa::path(post, path = "/t/{slug}/oauth2/introspect", operation_id = "oauth_introspect", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`token`, `token_type_hint`; client credentials"),
    responses(
        (status = 200, description = "What the token is", body = Introspection),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
    ))]
pub async fn introspect(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    form: Result<Form<TokenRef>, FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(r) => return bad_form(r),
    };
    let answer = async {
        let credentials = web::credentials(&headers, &form.client)?;
        state
            .oidc
            .introspect(&tenant, &credentials, form.token.as_deref())
            .await
    }
    .await;
    match answer {
        Ok(body) => web::no_store(body),
        Err(e) => web::oauth_error(e),
    }
}

/// Token revocation (RFC 7009): a refresh token ends its family, an access
/// token itself; only the client's own tokens; unknown tokens answer 200 too.
#[utoipa::path(post, path = "/t/{slug}/oauth2/revoke", operation_id = "oauth_revoke", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`token`, `token_type_hint`; client credentials"),
    responses(
        (status = 200, description = "Revoked (or nothing to revoke)"),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    headers: HeaderMap,
    form: Result<Form<TokenRef>, FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(r) => return bad_form(r),
    };
    let answer = async {
        let credentials = web::credentials(&headers, &form.client)?;
        state
            .oidc
            .revoke(&tenant, &credentials, form.token.as_deref())
            .await
    }
    .await;
    match answer {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => web::oauth_error(e),
    }
}
