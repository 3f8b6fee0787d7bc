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
//! then the router (whose route layer records the matched route, then
//! applies the route's declared access check). Before all of them, outside
//! the router, [`tenant_path`] maps `/t/{slug}/v1/…` onto `/v1/…`.

pub mod auth;
pub mod cors;
pub mod observe;
pub mod quota;
pub mod rate_limit;
pub mod request_id;
pub mod security_headers;
pub mod tenant;
pub mod tenant_path;
pub mod timeout;

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;

use crate::access::Enforcer;
use crate::routes::AccessTable;
use crate::state::AppState;

/// Wraps `router` in the chain; `checks` are the routes' declared access checks.
pub fn stack(router: Router<AppState>, state: &AppState, checks: AccessTable) -> Router<AppState> {
    let s = || state.clone();
    let enforcer = Enforcer {
        state: s(),
        checks: Arc::new(checks),
    };
    // Outermost first, as the list above: 1–3, the body limit (4), 5–10.
    let outer = ServiceBuilder::new()
        .layer(from_fn_with_state(s(), request_id::request_id))
        .layer(from_fn_with_state(s(), security_headers::security_headers))
        .layer(from_fn_with_state(s(), observe::observe));
    let limit = RequestBodyLimitLayer::new(state.config.http.body_limit);
    let inner = ServiceBuilder::new()
        .layer(from_fn_with_state(s(), timeout::timeout))
        .layer(from_fn_with_state(s(), cors::cors))
        .layer(from_fn_with_state(s(), tenant::resolve_tenant))
        .layer(from_fn_with_state(s(), auth::authenticate))
        .layer(from_fn_with_state(s(), rate_limit::limit))
        .layer(from_fn_with_state(s(), quota::account))
        // The limit above applies; axum's own 2 MiB default would cap it.
        .layer(axum::extract::DefaultBodyLimit::disable());
    // After routing, innermost: record the matched route, then check access.
    let matched = ServiceBuilder::new()
        .layer(from_fn(observe::matched_route))
        .layer(from_fn_with_state(enforcer, crate::access::enforce));
    // `Router::layer` wraps what is there: applied innermost first. (The
    // body limit changes the request body type, so it is a layer of its
    // own, where the router boxes the body again.)
    router
        .route_layer(matched)
        .layer(inner)
        .layer(limit)
        .layer(outer)
}
