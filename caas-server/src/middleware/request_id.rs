//! The outermost layer: a request id for every request (propagated from
//! `X-Request-Id` when the caller sent a sane one), echoed in the response,
//! and the final problem+json body for every error response.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::problem;
use crate::state::AppState;

/// The request-id header.
pub const HEADER: &str = "x-request-id";

/// The id of the current request.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

/// A caller's id is kept if it is 1–128 characters of `A-Za-z0-9._:-`;
/// anything else (it ends up in logs) is replaced.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// Assigns the request id, then finishes error responses as problems.
pub async fn request_id(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let id: Arc<str> = match request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(id) if acceptable(id) => id.into(),
        _ => caas_core::new_id(state.clock.as_ref()).to_string().into(),
    };
    let path = super::tenant_path::caller_path(&request).to_owned();
    request.extensions_mut().insert(RequestId(id.clone()));
    let response = next.run(request).await;
    let mut response = problem::finish(response, &id, &path).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tame_ids_are_propagated() {
        assert!(acceptable("0193b5c2-7f1e-7c3a-9d2b-1a2b3c4d5e6f"));
        assert!(acceptable("trace:abc.def_1"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable("new\nline"));
        assert!(!acceptable(&"a".repeat(129)));
    }
}
