//! `platform.authz`: decisions with their reasons, the allowed actions,
//! policies, roles, access entries — and the route checks of caas-authz
//! (`RouteCheck`), which the FastAPI dependencies of `caas.asgi` call.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use caas::Platform;
use caas::authz::{AuthzRequest, Caller, EntityRef, PolicyDraft, RoleDef};
use pyo3::prelude::*;

use super::Tenant;
use super::auth::json;
use crate::convert::{Data, Json};
use crate::tokens::Claims;

/// `platform.authz`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Authz {
    pub(crate) platform: Platform,
}

/// Route checks name their scopes and roles with `&'static str`: the texts
/// a program declares are kept once each for its lifetime (a program
/// declares a few, at import time).
static INTERNED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

fn intern(text: &str) -> &'static str {
    let mut set = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    let set = set.get_or_insert_with(HashSet::new);
    if let Some(known) = set.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// Scope lists, kept once each like their texts.
type Lists = HashMap<Vec<&'static str>, &'static [&'static str]>;
static LISTS: Mutex<Option<Lists>> = Mutex::new(None);

fn intern_list(list: Vec<&'static str>) -> &'static [&'static str] {
    let mut lists = LISTS.lock().unwrap_or_else(PoisonError::into_inner);
    let lists = lists.get_or_insert_with(HashMap::new);
    if let Some(known) = lists.get(&list) {
        return known;
    }
    let leaked: &'static [&'static str] = Box::leak(list.clone().into_boxed_slice());
    lists.insert(list, leaked);
    leaked
}

/// What a route requires of its caller: `RouteCheck.scope("a", "b")`,
/// `.role("admin")`, `.scope_or_role(s, r)`, `.resource(base_role,
/// action)`, `.authenticated()`.
#[pyclass(module = "caas._caas", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct RouteCheck {
    inner: caas::authz::RouteCheck,
}

#[pymethods]
impl RouteCheck {
    /// Any principal of the tenant.
    #[staticmethod]
    fn authenticated() -> Self {
        RouteCheck {
            inner: caas::authz::RouteCheck::Authenticated,
        }
    }

    /// Credentials carrying every one of `scopes`.
    #[staticmethod]
    #[pyo3(signature = (*scopes))]
    fn scope(scopes: Vec<String>) -> Self {
        let scopes: Vec<&'static str> = scopes.iter().map(|s| intern(s)).collect();
        RouteCheck {
            inner: caas::authz::RouteCheck::Scope(intern_list(scopes)),
        }
    }

    /// A principal holding the tenant role `role` (with inheritance).
    #[staticmethod]
    fn role(role: &str) -> Self {
        RouteCheck {
            inner: caas::authz::RouteCheck::Role(intern(role)),
        }
    }

    /// The scope, or the role.
    #[staticmethod]
    fn scope_or_role(scope: &str, role: &str) -> Self {
        RouteCheck {
            inner: caas::authz::RouteCheck::ScopeOrRole(intern(scope), intern(role)),
        }
    }

    /// The tenant role `base_role`, then the engine allowing `action` on
    /// the route's resource.
    #[staticmethod]
    fn resource(base_role: &str, action: &str) -> Self {
        RouteCheck {
            inner: caas::authz::RouteCheck::Resource {
                base_role: intern(base_role),
                action: intern(action),
            },
        }
    }

    fn __repr__(&self) -> String {
        format!("RouteCheck({})", self.inner)
    }

    /// `resource(editor, update)`, as caas-authz writes it.
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

crate::platform::methods!(Authz {
    /// Decides `{"principal": {"type", "id"}, "action", "resource":
    /// {"type", "id"}, "roles"?, "context"?}`: `{"allow", "reasons",
    /// "errors", "policy_version", "roles", "access"?}`.
    [tenant, request]
    fn authorize / aauthorize(this, tenant: Tenant, request: Data<AuthzRequest>) -> Json {
        json(&this.authz.authorize(&tenant.inner.id, &request.0, None).await?)
    }

    /// Decides each request (at most 100), in order.
    [tenant, requests]
    fn authorize_batch / aauthorize_batch(this, tenant: Tenant, requests: Data<Vec<AuthzRequest>>) -> Json {
        json(&this.authz.authorize_batch(&tenant.inner.id, &requests.0, None).await?)
    }

    /// The actions `principal` may take on `resource`.
    [tenant, principal, resource, *, roles = BTreeSet::new(), context = None]
    fn actions / aactions(
        this,
        tenant: Tenant,
        principal: Data<EntityRef>,
        resource: Data<EntityRef>,
        roles: BTreeSet<String>,
        context: Option<Data<serde_json::Map<String, serde_json::Value>>>,
    ) -> Vec<String> {
        let context = context.map(|c| c.0).unwrap_or_default();
        this.authz.actions(&tenant.inner.id, &principal.0, &roles, &resource.0, &context).await
    }

    /// Validates and publishes Cedar `policies` against `schema`; answers
    /// the new version.
    [tenant, policies, schema, *, note = None, by = None]
    fn publish_policies / apublish_policies(
        this,
        tenant: Tenant,
        policies: String,
        schema: String,
        note: Option<String>,
        by: Option<String>,
    ) -> Json {
        let draft = PolicyDraft { policies, schema, note };
        let (version, _) = this.authz.admin().publish_policies(&tenant.inner.id, &draft, None, by.as_deref()).await?;
        json(&version)
    }

    /// Defines (or replaces) a tenant role: `{"name", "inherits"?, …}`.
    [tenant, role]
    fn put_role / aput_role(this, tenant: Tenant, role: Data<RoleDef>) -> Json {
        json(&this.authz.admin().put_role(&tenant.inner.id, role.0).await?)
    }

    /// Gives `principal` the tenant role `role`.
    [tenant, role, principal]
    fn assign_role / aassign_role(this, tenant: Tenant, role: String, principal: Data<EntityRef>) -> () {
        this.authz.admin().assign_role(&tenant.inner.id, &role, &principal.0).await
    }

    /// Gives `principal` the role `role` on `resource` (an access entry).
    [tenant, resource, principal, role, *, by = None]
    fn add_access / aadd_access(
        this,
        tenant: Tenant,
        resource: Data<EntityRef>,
        principal: Data<EntityRef>,
        role: String,
        by: Option<String>,
    ) -> Json {
        json(&this.authz.admin().add_access(&tenant.inner.id, &resource.0, &principal.0, &role, by.as_deref()).await?)
    }

    /// Gives `subject` of the tenant `grantee_tenant` (an id) the role
    /// `role` on `resource`: a cross-tenant grant.
    [tenant, grantee_tenant, subject, role, resource, *, by = None]
    fn grant / agrant(
        this,
        tenant: Tenant,
        grantee_tenant: String,
        subject: String,
        role: String,
        resource: Data<EntityRef>,
        by: Option<String>,
    ) -> Json {
        let grantee = grantee_tenant.parse().map_err(|_| {
            caas::core::Error::invalid_input("`grantee_tenant` is not a tenant id").with_field("grantee_tenant")
        })?;
        json(&this.authz.admin().grant(&tenant.inner.id, &grantee, &subject, &role, &resource.0, by.as_deref()).await?)
    }

    /// Revokes a grant by its id.
    [tenant, grant_id]
    fn revoke_grant / arevoke_grant(this, tenant: Tenant, grant_id: String) -> Json {
        json(&this.authz.admin().revoke_grant(&tenant.inner.id, &grant_id).await?)
    }

    /// Decides a route check for the token's principal in the tenant
    /// (`resource`: `(type, id)` for a resource check): `None`, or the
    /// refusal the server answers (`Unauthenticated` `missing_token`,
    /// `Forbidden` `insufficient_scope`, `insufficient_role`,
    /// `insufficient_scope_or_role`, `base_role_missing`,
    /// `resource_access_denied`).
    [check, claims, *, tenant, resource = None]
    fn check_route / acheck_route(
        this,
        check: RouteCheck,
        claims: Option<Claims>,
        tenant: Tenant,
        resource: Option<(String, String)>,
    ) -> () {
        let principal = claims
            .map(|c| super::auth::principal_in(&this, &tenant, &c))
            .transpose()?;
        let resource = resource.map(|(ty, id)| EntityRef::new(ty, id));
        let caller = Caller {
            tenant: Some(&tenant.inner.id),
            principal: principal.as_ref(),
            platform_admin: false,
            resource: resource.as_ref(),
            request_id: None,
        };
        this.authz.check_route(check.inner, caller).await
    }
});
