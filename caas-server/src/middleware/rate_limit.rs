//! Rate limits, shared across instances through the `KvStore`: per client
//! IP, per tenant (from its plan), each stricter on authentication routes.
//!
//! Every applicable limit is checked; the first that is spent refuses the
//! request with 429, `Retry-After`, and the `RateLimit-Policy` / `RateLimit`
//! headers of draft-ietf-httpapi-ratelimit-headers listing every limit that
//! applied. If the limiter's store is unreachable the request is let
//! through and a warning logged (fail open): `/ready` reports the outage,
//! and refusing all traffic because Redis blinked would turn a cache outage
//! into a full one.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::{KvKey, Namespace, RateLimit, RateLimitDecision, Result};

use super::tenant::ResolvedTenant;
use crate::problem::Problem;
use crate::state::AppState;

/// Paths that are never limited: probes and scrapers call them constantly.
const EXEMPT: [&str; 3] = ["/health", "/ready", "/metrics"];

/// Which limits a route falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// Login, token and password routes: guessing targets, limited harder.
    Auth,
    /// Everything else.
    Api,
}

impl RouteClass {
    /// The class of `path`: `/v1/auth/…` and a tenant issuer's
    /// `/t/{slug}/oauth2/…` and `/t/{slug}/federation/…` are authentication
    /// routes.
    pub fn of(path: &str) -> RouteClass {
        let oauth = path
            .strip_prefix("/t/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(_, rest)| {
                rest.starts_with("oauth2/") || rest.starts_with("federation/")
            });
        if path.starts_with("/v1/auth/") || oauth {
            RouteClass::Auth
        } else {
            RouteClass::Api
        }
    }
}

/// The key of the per-IP limit on authentication routes (also spent by
/// failed authentications, see `auth.rs`).
pub(crate) fn ip_auth_key(ip: std::net::IpAddr) -> Result<KvKey> {
    Namespace::Platform.key(&format!("rl:ip-auth:{ip}"))
}

struct Applied {
    name: &'static str,
    limit: RateLimit,
    decision: RateLimitDecision,
}

/// Checks every limit that applies to the request.
pub async fn limit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if EXEMPT.contains(&path) {
        return next.run(request).await;
    }
    let class = RouteClass::of(path);
    let tenant = request
        .extensions()
        .get::<ResolvedTenant>()
        .and_then(|t| t.0.as_ref());
    let mut checks: Vec<(&'static str, KvKey, RateLimit)> = Vec::with_capacity(4);
    let ip = peer.ip();
    let mut push = |name: &'static str, key: Result<KvKey>, limit: Option<RateLimit>| {
        if let (Ok(key), Some(limit)) = (key, limit) {
            checks.push((name, key, limit));
        }
    };
    let limits = &state.config.ip_limits;
    push(
        "ip",
        Namespace::Platform.key(&format!("rl:ip:{ip}")),
        limits.all,
    );
    if class == RouteClass::Auth {
        push("ip-auth", ip_auth_key(ip), limits.auth);
    }
    if let Some(t) = tenant {
        let plan = state.config.plans.get(t.settings.plan.as_deref());
        let ns = Namespace::Tenant(t.id);
        push("tenant", ns.key("rl:requests"), plan.requests);
        if class == RouteClass::Auth {
            push("tenant-auth", ns.key("rl:auth"), plan.auth_requests);
        }
    }

    let mut applied = Vec::with_capacity(checks.len());
    let mut refusal = None;
    for (name, key, limit) in checks {
        match state.limiter.check(&key, &limit).await {
            Ok(decision) => {
                if !decision.allowed && refusal.is_none() {
                    refusal = Some((name, decision));
                }
                applied.push(Applied {
                    name,
                    limit,
                    decision,
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, limit = name, "rate limiter unavailable; letting the request through");
            }
        }
    }
    let mut response = match refusal {
        None => next.run(request).await,
        Some((name, decision)) => {
            state.metrics.rate_limited(name);
            match decision.into_result() {
                Ok(_) => next.run(request).await,
                Err(e) => Problem(e).into_response(),
            }
        }
    };
    add_headers(&mut response, &applied);
    response
}

/// `RateLimit-Policy` and `RateLimit` for every limit that applied.
fn add_headers(response: &mut Response, applied: &[Applied]) {
    if applied.is_empty() {
        return;
    }
    let policies: Vec<String> = applied
        .iter()
        .map(|a| {
            let window = a.limit.period().as_secs().max(1);
            format!("\"{}\";q={};w={window}", a.name, a.limit.limit())
        })
        .collect();
    let states: Vec<String> = applied
        .iter()
        .map(|a| {
            let reset = crate::problem::whole_seconds(a.decision.reset_after);
            format!("\"{}\";r={};t={reset}", a.name, a.decision.remaining)
        })
        .collect();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&policies.join(", ")) {
        headers.insert("ratelimit-policy", v);
    }
    if let Ok(v) = HeaderValue::from_str(&states.join(", ")) {
        headers.insert("ratelimit", v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_routes_are_classified() {
        assert_eq!(RouteClass::of("/v1/auth/login"), RouteClass::Auth);
        assert_eq!(RouteClass::of("/t/acme/oauth2/token"), RouteClass::Auth);
        assert_eq!(
            RouteClass::of("/t/acme/federation/idp_x/callback"),
            RouteClass::Auth
        );
        assert_eq!(
            RouteClass::of("/t/acme/.well-known/jwks.json"),
            RouteClass::Api
        );
        assert_eq!(RouteClass::of("/v1/authors"), RouteClass::Api);
        assert_eq!(RouteClass::of("/v1/tenant"), RouteClass::Api);
    }
}
