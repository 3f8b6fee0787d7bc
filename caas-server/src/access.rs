//! Who may call each route: every route declares its [`RouteCheck`] where
//! it is added (`crate::routes`, each area beside its handlers), and
//! [`enforce`] applies it (after authentication, before the handler)
//! through caas-authz. A documented operation without a declaration answers
//! 500 — fail closed — and a test keeps the declarations and the OpenAPI
//! document in step. What is not a documented operation (a 405, the Swagger
//! UI) passes to axum. Handlers keep their own extractors (`TenantAdmin`,
//! `UserAccess`…) as a second line.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_authz::{Caller, EntityRef, RouteCheck};
use caas_core::Error;

use crate::extract::is_admin;
use crate::middleware::auth::Authenticated;
use crate::middleware::request_id::RequestId;
use crate::middleware::tenant::ResolvedTenant;
use crate::problem::Problem;
use crate::routes::AccessTable;
use crate::state::AppState;

/// What [`enforce`] needs: the services and the declared checks.
#[derive(Clone)]
pub struct Enforcer {
    /// The services (the authorization engine decides).
    pub state: AppState,
    /// Every route's declared check.
    pub checks: Arc<AccessTable>,
}

/// Every documented operation: (method, path).
static DOCUMENTED: LazyLock<HashSet<(String, String)>> = LazyLock::new(|| {
    let doc = crate::openapi();
    let mut all = HashSet::new();
    for (path, item) in &doc.paths.paths {
        for (m, present) in [
            ("GET", item.get.is_some()),
            ("PUT", item.put.is_some()),
            ("POST", item.post.is_some()),
            ("DELETE", item.delete.is_some()),
            ("PATCH", item.patch.is_some()),
        ] {
            if present {
                all.insert((m.to_owned(), path.clone()));
            }
        }
    }
    all
});

/// Applies the route's declared check: 401 `missing_token`, 403 with the
/// check's code, or on to the handler.
pub async fn enforce(
    State(Enforcer { state, checks }): State<Enforcer>,
    request: Request,
    next: Next,
) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    if !DOCUMENTED.contains(&(request.method().as_str().to_owned(), path.clone())) {
        return next.run(request).await;
    }
    let Some(check) = checks.get(request.method(), &path) else {
        tracing::error!(route = %path, "a route declares no access check");
        return Problem(Error::internal("this route declares no access check")).into_response();
    };
    if check == RouteCheck::Public {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let resource = match check {
        RouteCheck::Resource { .. } => {
            let Ok(params) = RawPathParams::from_request_parts(&mut parts, &state).await else {
                return Problem(Error::invalid_input("the path is not valid UTF-8"))
                    .into_response();
            };
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_owned())
            };
            match (get("type"), get("id")) {
                (Some(ty), Some(id)) => Some(EntityRef::new(ty, id)),
                _ => None,
            }
        }
        _ => None,
    };
    if let Some(r) = &resource
        && let Err(e) = r.uid()
    {
        return Problem(e).into_response();
    }
    let principal = parts
        .extensions
        .get::<Authenticated>()
        .and_then(|a| a.0.clone());
    let tenant = parts
        .extensions
        .get::<ResolvedTenant>()
        .and_then(|t| t.0.as_ref().map(|t| t.id));
    let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone());
    let caller = Caller {
        tenant: tenant.as_ref(),
        principal: principal.as_ref(),
        platform_admin: principal.as_ref().is_some_and(is_admin),
        resource: resource.as_ref(),
        request_id: request_id.as_deref(),
    };
    if let Err(e) = state.authz.check_route(check, caller).await {
        return Problem(e).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn every_documented_route_declares_its_check() {
        let (_, checks) = crate::routes::api().into_parts();
        let mut missing = Vec::new();
        for (m, path) in DOCUMENTED.iter() {
            let m = Method::from_bytes(m.as_bytes()).unwrap();
            if checks.get(&m, path).is_none() {
                missing.push(format!("{m} {path}"));
            }
        }
        assert!(
            DOCUMENTED.len() > 100,
            "only {} operations found",
            DOCUMENTED.len()
        );
        assert!(missing.is_empty(), "routes without a check: {missing:?}");
        assert_eq!(checks.iter().count(), DOCUMENTED.len());
        // Every scope a route accepts instead of a role is a platform scope
        // that requires that very role of a credential's owner.
        for (m, path, check) in checks.iter() {
            if let RouteCheck::ScopeOrRole(scope, role) = check {
                assert_eq!(
                    caas_core::rights::required_role(scope),
                    Some(role),
                    "{m} {path}: `{scope}` must be a platform scope needing `{role}`"
                );
            }
        }
        assert_eq!(checks.get(&Method::GET, "/v1/nowhere"), None);
        assert_eq!(
            checks.get(&Method::POST, "/v1/authz/resources/{type}/{id}/acl"),
            Some(RouteCheck::Resource {
                base_role: "viewer",
                action: "share"
            })
        );
    }
}
