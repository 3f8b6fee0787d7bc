//! Request metrics and the request's tracing span.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use super::request_id::RequestId;
use super::tenant::ResolvedTenant;
use crate::metrics::{RequestRecord, UNMATCHED};
use crate::state::AppState;

/// The route template that served a request; set on the response by
/// [`matched_route`], read by [`observe`].
#[derive(Debug, Clone)]
pub struct MatchedRoute(pub String);

/// Runs the request in a span with its id, method and path (tenant and
/// principal are recorded into it once known), logs its end and counts it.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        path = %super::tenant_path::caller_path(&request),
        tenant = tracing::field::Empty,
        principal = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let route = response
        .extensions()
        .get::<MatchedRoute>()
        .map_or(UNMATCHED, |r| r.0.as_str());
    let tenant = response
        .extensions()
        .get::<ResolvedTenant>()
        .and_then(|t| t.0.as_ref())
        .map_or("", |t| t.slug.as_str());
    let status = response.status().as_u16();
    state.metrics.request(&RequestRecord {
        method: &method,
        route,
        status,
        tenant,
        elapsed,
    });
    span.in_scope(|| {
        tracing::info!(
            status,
            route,
            latency_ms = elapsed.as_secs_f64() * 1e3,
            "served"
        );
    });
    response
}

/// A route layer: copies the matched route template onto the response.
pub async fn matched_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(MatchedRoute(route));
    }
    response
}
