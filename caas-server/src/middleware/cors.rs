//! CORS with per-tenant origins: a browser page may call the API if its
//! origin is in the server's `http.cors_allowed_origins` or the tenant's
//! `settings.cors.allowed_origins`. `*` only when one of them says so.
//!
//! Credentials are bearer tokens, never cookies, so
//! `Access-Control-Allow-Credentials` is never sent. A preflight from an
//! origin that is not allowed is refused with 403 `cors_denied`, so the
//! reason shows in the browser's network tab instead of a bare failure.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::Error;

use crate::problem::Problem;
use crate::state::AppState;

/// Methods a cross-origin caller may use.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";

/// Request headers a cross-origin caller may send (the preflight answer
/// lists the same, comma-separated).
const ALLOWED_HEADERS: &str =
    "authorization, content-type, x-tenant-id, x-request-id, idempotency-key";

/// Response headers a cross-origin caller may read.
const EXPOSED: &str = "x-request-id, ratelimit, ratelimit-policy, retry-after, location";

/// How long browsers may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// Answers preflights; marks allowed cross-origin responses.
pub async fn cors(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    // A bad tenant reference is answered by tenant resolution, after this.
    let tenant = super::tenant::resolve(&state, &mut request)
        .await
        .ok()
        .flatten();
    let global = &state.config.http.cors_allowed_origins;
    let tenant_cors = tenant.as_ref().map(|t| &t.settings.cors);
    let any = global.iter().any(|o| o == "*") || tenant_cors.is_some_and(|c| c.allows_any());
    let allowed = any || global.contains(&origin) || tenant_cors.is_some_and(|c| c.allows(&origin));
    let allow_origin = if any { "*".to_owned() } else { origin.clone() };

    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if !allowed {
            return denied(format!("origin `{origin}` may not call this API"));
        }
        return match preflight_headers(request.headers(), &allow_origin) {
            Ok(headers) => (StatusCode::NO_CONTENT, headers).into_response(),
            Err(e) => Problem(e).respond(StatusCode::FORBIDDEN),
        };
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if allowed && let Ok(value) = HeaderValue::from_str(&allow_origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
    }
    response
}

fn denied(message: String) -> Response {
    Problem(Error::forbidden(message).with_code("cors_denied")).into_response()
}

/// The answer to an allowed preflight, or why the requested method or
/// headers are refused.
fn preflight_headers(request: &HeaderMap, allow_origin: &str) -> Result<HeaderMap, Error> {
    let method = request
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !METHODS.split(", ").any(|m| m == method) {
        return Err(Error::forbidden(format!(
            "cross-origin `{}` requests are not allowed",
            method.chars().take(32).collect::<String>()
        ))
        .with_code("cors_denied"));
    }
    let requested = request
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for name in requested
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !ALLOWED_HEADERS
            .split(", ")
            .any(|h| h.eq_ignore_ascii_case(name))
        {
            return Err(Error::forbidden(format!(
                "the header `{}` may not be sent cross-origin",
                name.chars().take(64).collect::<String>()
            ))
            .with_code("cors_denied"));
        }
    }
    let mut headers = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).map_err(|_| Error::invalid_input("bad header"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value(allow_origin)?);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static(
            "origin, access-control-request-method, access-control-request-headers",
        ),
    );
    Ok(headers)
}
