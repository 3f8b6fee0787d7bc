//! Tenant resolution: which tenant a request is for, by the configured
//! sources (`X-Tenant-ID`, `/t/{slug}/…`, subdomain), with the caas-core
//! resolver. A request that names no tenant goes on without one; one that
//! names an unknown tenant is 404, a suspended one 403, two sources that
//! disagree 400.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::{Result, Tenant, TenantHints};

use crate::problem::Problem;
use crate::state::AppState;

/// The tenant header.
pub const HEADER: &str = "x-tenant-id";

/// The tenant of the request, once resolved; in request and response
/// extensions.
#[derive(Debug, Clone)]
pub struct ResolvedTenant(pub Option<Tenant>);

/// Resolves the tenant of `request`, reusing an earlier resolution of the
/// same request (CORS resolves first when the request has an `Origin`).
pub async fn resolve(state: &AppState, request: &mut Request) -> Result<Option<Tenant>> {
    if let Some(ResolvedTenant(tenant)) = request.extensions().get::<ResolvedTenant>() {
        return Ok(tenant.clone());
    }
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let hints = TenantHints {
        host,
        header: headers.get(HEADER).and_then(|v| v.to_str().ok()),
        claim: None,
        path: Some(super::tenant_path::caller_path(request)),
    };
    let tenant = state
        .resolver
        .resolve(&hints)
        .await?
        .map(|resolution| resolution.tenant);
    request
        .extensions_mut()
        .insert(ResolvedTenant(tenant.clone()));
    Ok(tenant)
}

/// Resolves the tenant or answers with the problem.
pub async fn resolve_tenant(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let tenant = match resolve(&state, &mut request).await {
        Ok(tenant) => tenant,
        Err(e) => return Problem(e).into_response(),
    };
    if let Some(t) = &tenant {
        tracing::Span::current().record("tenant", t.slug.as_str());
    }
    let mut response = next.run(request).await;
    response.extensions_mut().insert(ResolvedTenant(tenant));
    response
}
