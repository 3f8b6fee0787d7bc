//! The per-client-IP rate limit, shared across instances through the `KvStore`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::{Namespace, RateLimit, RateLimitDecision};

use crate::problem::Problem;
use crate::state::AppState;

/// Paths that are never limited: load balancers probe them constantly.
const EXEMPT: [&str; 2] = ["/health", "/ready"];

/// Counts the request against the client IP's limit; 429 when it is spent.
///
/// If the limiter's store is unreachable the request is let through and a
/// warning logged (fail open): `/ready` reports the outage, and refusing all
/// traffic because Redis blinked would turn a cache outage into a full one.
pub async fn limit_by_ip(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limit) = state.ip_limit else {
        return next.run(request).await;
    };
    if EXEMPT.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let decision = match Namespace::Platform.key(&format!("rl:ip:{}", peer.ip())) {
        Ok(key) => state.limiter.check(&key, &limit).await,
        Err(e) => Err(e),
    };
    match decision {
        Ok(d) => {
            let mut response = match d.into_result() {
                Ok(_) => next.run(request).await,
                Err(e) => Problem(e).into_response(),
            };
            add_headers(&mut response, &limit, &d);
            response
        }
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable; letting the request through");
            next.run(request).await
        }
    }
}

/// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
fn add_headers(response: &mut Response, limit: &RateLimit, d: &RateLimitDecision) {
    let window = limit.period().as_secs().max(1);
    let reset = d.reset_after.as_secs() + u64::from(d.reset_after.subsec_nanos() > 0);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"ip\";q={};w={window}", limit.limit())) {
        headers.insert("ratelimit-policy", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"ip\";r={};t={reset}", d.remaining)) {
        headers.insert("ratelimit", v);
    }
}
