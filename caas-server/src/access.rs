//! Who may call each route: every route of the API declares its
//! [`RouteCheck`] here, in one table, and [`enforce`] applies it (after
//! authentication, before the handler) through caas-authz. A documented
//! operation without a declaration answers 500 — fail closed — and a test
//! keeps the table and the OpenAPI document in step. What is not a
//! documented operation (a 405, the Swagger UI) passes to axum. Handlers keep their own extractors
//! (`TenantAdmin`, `UserAccess`…) as a second line.

use std::collections::HashSet;
use std::sync::LazyLock;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_authz::{Caller, EntityRef, RouteCheck};
use caas_core::Error;

use crate::extract::is_admin;
use crate::middleware::auth::Authenticated;
use crate::middleware::request_id::RequestId;
use crate::middleware::tenant::ResolvedTenant;
use crate::problem::Problem;
use crate::state::AppState;

use RouteCheck::{Authenticated as Anyone, PlatformAdmin, Public, Role, ScopeOrRole};

const ADMIN: RouteCheck = Role("admin");
/// The scope (one of [`caas_core::rights::PLATFORM_SCOPES`], each of which
/// needs `admin` of its owner) or the role `admin`. A derived credential's
/// scope counts only while its owner holds the role (the authenticators cap
/// it), so the scope never opens more than the role.
const fn either(scope: &'static str) -> RouteCheck {
    ScopeOrRole(scope, "admin")
}

/// The check `method` on the route `path` (as declared, with `{params}`)
/// requires; `None` for an undeclared route.
pub fn declared(method: &Method, path: &str) -> Option<RouteCheck> {
    let m = method.as_str();
    Some(match (m, path) {
        // Operations and discovery.
        ("GET", "/" | "/health" | "/ready" | "/metrics") => Public,
        // The platform admin's registry.
        (_, p) if p.starts_with("/v1/admin/") || p == "/v1/admin/tenants" => PlatformAdmin,
        // The tenant's OpenID Provider and federation: their own credentials.
        (_, p) if p.starts_with("/t/{slug}/") => Public,
        // Sign-up, login and what needs no session yet.
        (
            "POST",
            "/v1/auth/register"
            | "/v1/auth/login"
            | "/v1/auth/guest"
            | "/v1/auth/mfa/verify"
            | "/v1/auth/refresh"
            | "/v1/auth/sdk/token"
            | "/v1/auth/tickets/redeem",
        ) => Public,
        // A principal acting for itself: its session, keys, devices, inbox.
        ("GET", "/v1/auth/me" | "/v1/auth/sessions") => Anyone,
        ("POST", "/v1/auth/logout" | "/v1/auth/tickets") => Anyone,
        (_, "/v1/auth/sessions/{id}") => Anyone,
        (_, p) if p.starts_with("/v1/auth/mfa/") => Anyone,
        (_, p) if p.starts_with("/v1/auth/api-keys") => Anyone,
        (_, p) if p.starts_with("/v1/keys/") || p.starts_with("/v1/messages") => Anyone,
        // The tenant.
        ("GET", "/v1/tenant") => Anyone,
        ("PUT", "/v1/tenant") => either("tenant:write"),
        ("GET", "/v1/tenant/settings" | "/v1/tenant/usage") => either("tenant:read"),
        ("PUT", "/v1/tenant/settings") => either("tenant:write"),
        ("POST", "/v1/tenant/keys/rotate") => ADMIN,
        // Webhooks.
        ("GET", "/v1/webhooks/event-types") => Public,
        ("GET", p) if p.starts_with("/v1/webhooks") => either("webhooks:read"),
        (_, p) if p.starts_with("/v1/webhooks") => either("webhooks:write"),
        // The tenant's administration.
        (_, p) if p.starts_with("/v1/users") => ADMIN,
        (_, p) if p.starts_with("/v1/oauth/clients") => ADMIN,
        (_, p) if p.starts_with("/v1/identity-providers") => ADMIN,
        // Games: rule sets are the tenant's; players (users and guests) act
        // for themselves.
        ("POST", "/v1/games/rulesets") => ADMIN,
        (_, p) if p == "/v1/games" || p.starts_with("/v1/games/") => Anyone,
        // Authorization.
        ("POST", "/v1/authz/check" | "/v1/authz/check/batch" | "/v1/authz/actions") => {
            either("authz:check")
        }
        (_, p) if p.starts_with("/v1/authz/policies") || p == "/v1/authz/schema" => ADMIN,
        (_, p) if p.starts_with("/v1/authz/grants") => ADMIN,
        ("GET", "/v1/authz/resources/{type}/{id}/acl") => RouteCheck::Resource {
            base_role: "viewer",
            action: "read",
        },
        (_, p) if p.starts_with("/v1/authz/resources/{type}/{id}/acl") => RouteCheck::Resource {
            base_role: "viewer",
            action: "share",
        },
        // Privacy: subjects act on their own data (handlers allow
        // administrators to name another subject); the rest is the tenant's.
        ("GET", "/v1/privacy/purposes") => Anyone,
        (_, "/v1/privacy/consents" | "/v1/privacy/consents/{purpose}/withdraw") => Anyone,
        (_, "/v1/privacy/requests") => Anyone,
        ("GET", "/v1/privacy/requests/{id}" | "/v1/privacy/requests/{id}/export") => Anyone,
        (_, p) if p.starts_with("/v1/privacy/") => ADMIN,
        (_, p) if p.starts_with("/v1/audit/") => ADMIN,
        ("GET", p) if p.starts_with("/v1/authz/") => either("authz:read"),
        (_, p) if p.starts_with("/v1/authz/") => either("authz:write"),
        _ => return None,
    })
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
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
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
    let Some(check) = declared(request.method(), &path) else {
        tracing::error!(route = %path, "a route declares no access check");
        return Problem(Error::internal("this route declares no access check")).into_response();
    };
    if check == Public {
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
    use super::*;

    #[test]
    fn every_documented_route_declares_its_check() {
        let mut missing = Vec::new();
        for (m, path) in DOCUMENTED.iter() {
            let m = Method::from_bytes(m.as_bytes()).unwrap();
            if declared(&m, path).is_none() {
                missing.push(format!("{m} {path}"));
            }
        }
        assert!(
            DOCUMENTED.len() > 100,
            "only {} operations found",
            DOCUMENTED.len()
        );
        assert!(missing.is_empty(), "routes without a check: {missing:?}");
        // Every scope a route accepts instead of a role is a platform scope
        // that requires that very role of a credential's owner.
        for (m, path) in DOCUMENTED.iter() {
            let m = Method::from_bytes(m.as_bytes()).unwrap();
            if let Some(RouteCheck::ScopeOrRole(scope, role)) = declared(&m, path) {
                assert_eq!(
                    caas_core::rights::required_role(scope),
                    Some(role),
                    "{m} {path}: `{scope}` must be a platform scope needing `{role}`"
                );
            }
        }
        assert_eq!(declared(&Method::GET, "/v1/nowhere"), None);
        assert_eq!(
            declared(&Method::POST, "/v1/authz/resources/{type}/{id}/acl"),
            Some(RouteCheck::Resource {
                base_role: "viewer",
                action: "share"
            })
        );
    }
}
