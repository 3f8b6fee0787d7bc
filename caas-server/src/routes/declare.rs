//! [`Routes`]: the router being built, where every operation is added
//! together with the access check it requires. `utoipa_axum::routes!`
//! takes a handler's `#[utoipa::path]` annotation as its route, so an
//! undocumented route does not compile into the router; [`Routes::add`]
//! takes the check beside it, so a route without one cannot be added.
//! Each area of the API exports `routes(Routes) -> Routes` next to its
//! handlers; `crate::access` enforces what they declared.

use std::collections::HashMap;

use axum::http::Method;
use caas_authz::RouteCheck;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::PathItem;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::state::AppState;

pub(crate) use caas_authz::RouteCheck::{
    Authenticated as Anyone, PlatformAdmin, Public, Role, ScopeOrRole,
};

/// The tenant role `admin`.
pub(crate) const ADMIN: RouteCheck = Role("admin");

/// The scope (one of [`caas_core::rights::PLATFORM_SCOPES`], each of which
/// needs `admin` of its owner) or the role `admin`. A derived credential's
/// scope counts only while its owner holds the role (the authenticators cap
/// it), so the scope never opens more than the role.
pub(crate) const fn either(scope: &'static str) -> RouteCheck {
    ScopeOrRole(scope, "admin")
}

/// Each operation's declared check, by method and path as documented
/// (`/v1/users/{id}`).
#[derive(Debug, Clone, Default)]
pub struct AccessTable(HashMap<(Method, String), RouteCheck>);

impl AccessTable {
    /// The check `method` on `path` (as declared, with `{params}`) requires;
    /// `None` for an undeclared route.
    pub fn get(&self, method: &Method, path: &str) -> Option<RouteCheck> {
        self.0.get(&(method.clone(), path.to_owned())).copied()
    }

    /// Every declared operation.
    pub fn iter(&self) -> impl Iterator<Item = (&Method, &str, RouteCheck)> {
        self.0.iter().map(|((m, p), c)| (m, p.as_str(), *c))
    }
}

/// The router under construction and the checks declared so far.
pub struct Routes {
    router: OpenApiRouter<AppState>,
    checks: AccessTable,
}

impl Routes {
    /// An empty router whose document starts as `base`.
    pub fn new(base: OpenApi) -> Self {
        Routes {
            router: OpenApiRouter::with_openapi(base),
            checks: AccessTable::default(),
        }
    }

    /// Adds the operations of `route` (from `routes!(…)`: one path, one or
    /// more methods), every one of them requiring `check`.
    pub fn add(mut self, check: RouteCheck, route: UtoipaMethodRouter<AppState>) -> Self {
        for (path, item) in &route.1.paths {
            for method in methods(item) {
                let previous = self.checks.0.insert((method, path.clone()), check);
                debug_assert!(previous.is_none(), "{path} is declared twice");
            }
        }
        self.router = self.router.routes(route);
        self
    }

    /// The router and the access table.
    pub fn into_parts(self) -> (OpenApiRouter<AppState>, AccessTable) {
        (self.router, self.checks)
    }
}

/// The methods a documented path item has operations for.
fn methods(item: &PathItem) -> Vec<Method> {
    [
        (Method::GET, item.get.is_some()),
        (Method::PUT, item.put.is_some()),
        (Method::POST, item.post.is_some()),
        (Method::DELETE, item.delete.is_some()),
        (Method::PATCH, item.patch.is_some()),
        (Method::HEAD, item.head.is_some()),
        (Method::OPTIONS, item.options.is_some()),
    ]
    .into_iter()
    .filter_map(|(m, present)| present.then_some(m))
    .collect()
}
