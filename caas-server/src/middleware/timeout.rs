//! The request timeout: a request that takes longer than configured is
//! answered 503 `timeout` and its handler dropped.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::Error;

use crate::problem::Problem;
use crate::state::AppState;

/// Bounds the time the rest of the chain may take.
pub async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.config.http.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem(
            Error::unavailable(format!(
                "the request took longer than {}",
                humantime::format_duration(limit)
            ))
            .with_code("timeout"),
        )
        .into_response(),
    }
}
