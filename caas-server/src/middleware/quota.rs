//! Quota accounting: every request of a tenant is counted (per UTC day and
//! month, read back by `GET /v1/tenant/usage`); a plan with
//! `monthly_requests` refuses requests beyond it with 429 `quota_exceeded`
//! until the month ends. Like rate limits, accounting fails open.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::{ErrorKind, Period, Quota};

use super::tenant::ResolvedTenant;
use crate::problem::Problem;
use crate::state::AppState;

/// The usage metric requests are counted under.
pub const REQUESTS: &str = "requests";

/// Counts the request against its tenant's usage and quota.
pub async fn account(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(tenant) = request
        .extensions()
        .get::<ResolvedTenant>()
        .and_then(|t| t.0.as_ref())
    else {
        return next.run(request).await;
    };
    let plan = state.config.plans.get(tenant.settings.plan.as_deref());
    let quotas: Vec<Quota> = plan
        .monthly_requests
        .map(|limit| Quota {
            limit,
            period: Period::Month,
        })
        .into_iter()
        .collect();
    match state.usage.consume(&tenant.id, REQUESTS, 1, &quotas).await {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::QuotaExceeded => {
            state.metrics.rate_limited("quota");
            return Problem(e).into_response();
        }
        Err(e) => tracing::warn!(error = %e, "usage meter unavailable; not counting the request"),
    }
    next.run(request).await
}
