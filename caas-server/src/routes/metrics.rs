//! `GET /metrics`: Prometheus text exposition.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::health::check_all;
use crate::state::AppState;

/// The media type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metrics in the Prometheus text format; backends are checked on each scrape.
///
/// Labels include tenant slugs: expose this route to the monitoring network
/// only.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let checks = check_all(&state).await;
    let backends: Vec<(&str, bool)> = checks.iter().map(|c| (c.name, c.status == "up")).collect();
    let mut response = state.metrics.render(&backends).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
