//! The middleware chain every request passes, outermost first:
//!
//! 1. [`request_id`] — assigns `X-Request-Id`; finishes every error
//!    response as problem+json with `instance` and `request_id`.
//! 2. [`security_headers`] — a response-only layer; it sits this far out so
//!    that even refusals by the layers below carry the headers.
//! 3. [`observe`] — the tracing span (tenant and principal recorded into it
//!    later) and the request metrics.
//! 4. body-size limit (tower-http) — 413 beyond `http.body_limit_bytes`.
//! 5. [`timeout`] — 503 `timeout` beyond `http.request_timeout`.
//! 6. [`cors`] — preflights answered here, per-tenant origins.
//! 7. [`tenant`] — resolution; 404 unknown, 403 suspended.
//! 8. [`auth`] — credentials to principal; 401 `invalid_token`.
//! 9. [`rate_limit`] — per IP, per tenant, per route class; 429.
//! 10. [`quota`] — per-tenant usage and monthly quota; 429.
//!
//! then the router (whose route layer records the matched route).

pub mod auth;
pub mod cors;
pub mod observe;
pub mod quota;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod tenant;
pub mod timeout;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::limit::RequestBodyLimitLayer;

use crate::state::AppState;

/// Wraps `router` in the chain.
pub fn stack(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let s = || state.clone();
    // `Router::layer` wraps what is there already, so the innermost layer
    // comes first here: read this list bottom-up for the order above.
    router
        .route_layer(from_fn_with_state(s(), crate::access::enforce))
        .route_layer(from_fn(observe::matched_route))
        // The limit below applies; axum's own 2 MiB default would cap it.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(from_fn_with_state(s(), quota::account))
        .layer(from_fn_with_state(s(), rate_limit::limit))
        .layer(from_fn_with_state(s(), auth::authenticate))
        .layer(from_fn_with_state(s(), tenant::resolve_tenant))
        .layer(from_fn_with_state(s(), cors::cors))
        .layer(from_fn_with_state(s(), timeout::timeout))
        .layer(RequestBodyLimitLayer::new(state.config.http.body_limit))
        .layer(from_fn_with_state(s(), observe::observe))
        .layer(from_fn_with_state(s(), security_headers::security_headers))
        .layer(from_fn_with_state(s(), request_id::request_id))
}
