//! What the provider's routes share: cookies (the browser login and the
//! CSRF token, both `HttpOnly`, `SameSite=Lax`, scoped to the tenant's
//! path, `Secure` when the issuer is https), the CSRF check, client
//! credentials from `Authorization: Basic` and the form, OAuth error bodies
//! (RFC 6749 §5.2) and redirects.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use caas_auth::oauth::ClientCredentials;
use caas_core::{Error, ErrorKind, Tenant};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::pages::{self, Text};
use crate::problem::Problem;
use crate::state::AppState;

/// The browser-login cookie.
pub const LOGIN_COOKIE: &str = "caas_login";
/// The CSRF cookie (double submit).
pub const CSRF_COOKIE: &str = "caas_csrf";
/// A trusted device (skips MFA for the tenant's configured days).
pub const TRUSTED_COOKIE: &str = "caas_trusted";
/// Binds a federated login to the browser that started it.
pub const FEDERATION_COOKIE: &str = "caas_federation";

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for the tenant's path (`max_age` 0 deletes).
pub fn set_cookie(
    state: &AppState,
    tenant: &Tenant,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let issuer = state.oidc.issuer(tenant);
    let secure = if issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let value = format!(
        "{name}={value}; Path=/t/{}/; HttpOnly; SameSite=Lax{secure}{age}",
        tenant.slug
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The CSRF token of this browser, and the cookie to set when it is new.
pub fn csrf_token(
    state: &AppState,
    tenant: &Tenant,
    headers: &HeaderMap,
) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 43) {
        Some(c) => (c, None),
        None => {
            let token = random_token();
            let set = set_cookie(state, tenant, CSRF_COOKIE, &token, None);
            (token, Some(set))
        }
    }
}

/// Whether the form's CSRF token matches the cookie (constant time).
pub fn csrf_ok(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    match (cookie(headers, CSRF_COOKIE), submitted) {
        (Some(c), Some(s)) if c.len() == 43 => c.as_bytes().ct_eq(s.as_bytes()).into(),
        _ => false,
    }
}

/// The page's language.
pub fn text(ui_locales: Option<&str>, headers: &HeaderMap) -> &'static Text {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    pages::text::choose(ui_locales, accept)
}

/// A 303 to `location`, with extra headers.
pub fn see_other(location: &str, extra: Vec<(header::HeaderName, HeaderValue)>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (k, v) in extra {
        headers.append(k, v);
    }
    response
}

/// Client credentials in a form body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClientForm {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
    /// `client_assertion_type`.
    pub client_assertion_type: Option<String>,
    /// `client_assertion`.
    pub client_assertion: Option<String>,
}

fn form_decode(s: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// The credentials of a request: `Authorization: Basic` (its parts are
/// form-encoded, RFC 6749 §2.3.1) and the form's fields.
pub fn credentials(headers: &HeaderMap, form: &ClientForm) -> Result<ClientCredentials, Error> {
    let basic = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") => {
            let decoded = STANDARD
                .decode(v[6..].trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(caas_auth::oauth::client_auth::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(caas_auth::oauth::client_auth::invalid_client)?;
            Some((
                form_decode(id).ok_or_else(caas_auth::oauth::client_auth::invalid_client)?,
                form_decode(secret).ok_or_else(caas_auth::oauth::client_auth::invalid_client)?,
            ))
        }
        _ => None,
    };
    Ok(ClientCredentials {
        basic,
        client_id: form.client_id.clone(),
        client_secret: form.client_secret.clone(),
        assertion_type: form.client_assertion_type.clone(),
        assertion: form.client_assertion.clone(),
    })
}

/// An OAuth error body (RFC 6749 §5.2): `invalid_client` is 401 with a
/// `WWW-Authenticate` challenge, server faults are `server_error` (500,
/// logged by the problem path), the rest 400.
pub fn oauth_error(e: Error) -> Response {
    let code = e.code();
    let (status, error) = match (e.kind(), code) {
        (_, "invalid_client") => (StatusCode::UNAUTHORIZED, "invalid_client"),
        (
            _,
            c @ ("invalid_request"
            | "invalid_grant"
            | "unauthorized_client"
            | "unsupported_grant_type"
            | "invalid_scope"
            | "invalid_target"),
        ) => (StatusCode::BAD_REQUEST, c),
        (ErrorKind::InvalidInput, _) => (StatusCode::BAD_REQUEST, "invalid_request"),
        (ErrorKind::RateLimited, _) => (StatusCode::TOO_MANY_REQUESTS, "slow_down"),
        _ => return Problem(e).into_response(),
    };
    let body = serde_json::json!({ "error": error, "error_description": e.message() });
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth2\""),
        );
    }
    response
}

/// A JSON answer that must not be cached (tokens, introspection).
pub fn no_store(body: serde_json::Value) -> Response {
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
