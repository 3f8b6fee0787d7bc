//! [`RouteCheck`]: what an API route requires of its caller, and
//! [`Engine::check_route`], which decides it with these outcomes, in order:
//!
//! | situation | status | code |
//! |---|---|---|
//! | no credentials (route not public) | 401 | `missing_token` |
//! | credentials invalid, expired or revoked (the gateway's authenticators) | 401 | `invalid_token` |
//! | `scope(s)`: a scope missing | 403 | `insufficient_scope` |
//! | `role(r)`: role not held | 403 | `insufficient_role` |
//! | `scope_or_role(s, r)`: neither | 403 | `insufficient_scope_or_role` |
//! | `resource(base, action)`: base role not held | 403 | `base_role_missing` |
//! | `resource(base, action)`: the engine denies `action` | 403 | `resource_access_denied` |
//!
//! Roles are the tenant roles of [`Engine::tenant_roles`] (credentials and
//! assignments, with inheritance: `owner` holds `admin`, `editor` and
//! `viewer`). The platform admin passes every check.

use std::collections::BTreeSet;
use std::fmt;

use async_trait::async_trait;
use caas_core::{Error, Principal, Result, RoleLookup, TenantId};

use crate::engine::{AuthzRequest, Engine};
use crate::model::EntityRef;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteCheck {
    /// Anyone: the route reads its own credentials or none (login, discovery).
    Public,
    /// Any principal acting in the tenant; the handler acts for that
    /// principal only (their sessions, devices, inbox).
    Authenticated,
    /// The platform admin.
    PlatformAdmin,
    /// Credentials carrying every one of these scopes.
    Scope(&'static [&'static str]),
    /// A principal holding this tenant role.
    Role(&'static str),
    /// The scope, or the role.
    ScopeOrRole(&'static str, &'static str),
    /// A principal holding `base_role` in the tenant whom the engine
    /// allows `action` on the route's resource.
    Resource {
        /// The tenant role required first.
        base_role: &'static str,
        /// The action decided on the resource.
        action: &'static str,
    },
}

impl fmt::Display for RouteCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteCheck::Public => f.write_str("public"),
            RouteCheck::Authenticated => f.write_str("authenticated"),
            RouteCheck::PlatformAdmin => f.write_str("platform admin"),
            RouteCheck::Scope(s) => write!(f, "scope({})", s.join(", ")),
            RouteCheck::Role(r) => write!(f, "role({r})"),
            RouteCheck::ScopeOrRole(s, r) => write!(f, "scope_or_role({s}, {r})"),
            RouteCheck::Resource { base_role, action } => {
                write!(f, "resource({base_role}, {action})")
            }
        }
    }
}

/// Who calls, where, on what.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The request's tenant, if it names one.
    pub tenant: Option<&'a TenantId>,
    /// The authenticated principal, if any.
    pub principal: Option<&'a Principal>,
    /// Whether the principal is the platform admin.
    pub platform_admin: bool,
    /// The resource of a `Resource` check.
    pub resource: Option<&'a EntityRef>,
    /// The request id, for audit.
    pub request_id: Option<&'a str>,
}

/// The scope with which a service vouches for the roles of the principal
/// it asks a decision about.
pub const CHECK_SCOPE: &str = "authz:check";

/// Whether `caller` may tell the engine which roles another principal's
/// credentials carry: only a service (an API key of an administrator, a
/// client-credentials client) with [`CHECK_SCOPE`], or the platform admin.
/// Anyone else asking with roles is 403 `roles_not_trusted`: a decision
/// about a principal is made on the roles the engine knows it holds.
pub fn check_vouched_roles(
    caller: &Principal,
    platform_admin: bool,
    roles: &BTreeSet<String>,
) -> Result<()> {
    if roles.is_empty()
        || platform_admin
        || (caller.kind == caas_core::PrincipalKind::Service && caller.has_scope(CHECK_SCOPE))
    {
        return Ok(());
    }
    Err(Error::forbidden(format!(
        "`roles` are believed only from a service with the scope `{CHECK_SCOPE}`"
    ))
    .with_code("roles_not_trusted")
    .with_field("roles"))
}

fn tenant_required() -> Error {
    Error::invalid_input(
        "this route acts in a tenant: name it with the `X-Tenant-ID` header or a `/t/{slug}` path",
    )
    .with_code("tenant_required")
}

impl Engine {
    /// Decides `check` for `caller`: `Ok` to go on, or the 401/403 above.
    pub async fn check_route(&self, check: RouteCheck, caller: Caller<'_>) -> Result<()> {
        if check == RouteCheck::Public {
            return Ok(());
        }
        let Some(principal) = caller.principal else {
            return Err(Error::missing_token(
                "this route needs credentials: send `Authorization: Bearer <token>`",
            ));
        };
        if caller.platform_admin {
            return Ok(());
        }
        // The gateway's authenticators have already capped a derived
        // credential's platform scopes by its owner's roles; a principal
        // built elsewhere that still carries a platform scope its owner (or
        // itself) lacks is capped here too, so a scope never grants a right.
        let mut usable = principal.scopes.clone();
        let platform: Vec<&String> = usable
            .iter()
            .filter(|s| caas_core::rights::is_platform_scope(s))
            .collect();
        if !platform.is_empty()
            && let Some(tenant) = caller.tenant
            && principal.owner.is_none()
            && principal.kind != caas_core::PrincipalKind::Service
        {
            let held = self.held_roles(tenant, principal).await?;
            for s in caas_core::rights::withheld(platform, &held) {
                usable.remove(&s);
            }
        }
        let has_scopes = |scopes: &[&str]| scopes.iter().all(|s| usable.contains(*s));
        match check {
            RouteCheck::Public | RouteCheck::Authenticated => Ok(()),
            RouteCheck::PlatformAdmin => {
                Err(Error::forbidden("this route is for the platform admin")
                    .with_code("insufficient_role"))
            }
            RouteCheck::Scope(scopes) => {
                if has_scopes(scopes) {
                    Ok(())
                } else {
                    Err(Error::forbidden(format!(
                        "these credentials lack the scope {}",
                        scopes.join(" ")
                    ))
                    .with_code("insufficient_scope"))
                }
            }
            RouteCheck::Role(role) => {
                let tenant = caller.tenant.ok_or_else(tenant_required)?;
                if self.holds(tenant, principal, role).await? {
                    Ok(())
                } else {
                    Err(
                        Error::forbidden(format!("this route needs the role `{role}`"))
                            .with_code("insufficient_role"),
                    )
                }
            }
            RouteCheck::ScopeOrRole(scope, role) => {
                if has_scopes(&[scope]) {
                    return Ok(());
                }
                let tenant = caller.tenant.ok_or_else(tenant_required)?;
                if self.holds(tenant, principal, role).await? {
                    Ok(())
                } else {
                    Err(Error::forbidden(format!(
                        "this route needs the scope `{scope}` or the role `{role}`"
                    ))
                    .with_code("insufficient_scope_or_role"))
                }
            }
            RouteCheck::Resource { base_role, action } => {
                let tenant = caller.tenant.ok_or_else(tenant_required)?;
                if !self.holds(tenant, principal, base_role).await? {
                    return Err(Error::forbidden(format!(
                        "this route needs the role `{base_role}` in the tenant"
                    ))
                    .with_code("base_role_missing"));
                }
                let resource = caller
                    .resource
                    .ok_or_else(|| Error::internal("a resource check without a resource"))?;
                let request = AuthzRequest {
                    principal: EntityRef::principal(principal, tenant),
                    roles: principal.roles.clone(),
                    action: action.to_owned(),
                    resource: resource.clone(),
                    context: serde_json::Map::new(),
                };
                let decision = self.authorize(tenant, &request, caller.request_id).await?;
                if decision.allow {
                    Ok(())
                } else {
                    Err(
                        Error::forbidden(format!("`{action}` on {resource} is not allowed"))
                            .with_code("resource_access_denied"),
                    )
                }
            }
        }
    }

    async fn holds(&self, tenant: &TenantId, principal: &Principal, role: &str) -> Result<bool> {
        Ok(self.held_roles(tenant, principal).await?.contains(role))
    }
}

#[async_trait]
impl RoleLookup for Engine {
    /// The principal's roles in `tenant`: none outside its home tenant,
    /// else [`Engine::tenant_roles`] over its credential roles.
    async fn held_roles(
        &self,
        tenant: &TenantId,
        principal: &Principal,
    ) -> Result<BTreeSet<String>> {
        if principal.tenant != Some(*tenant) {
            return Ok(BTreeSet::new());
        }
        let me = EntityRef::principal(principal, tenant);
        self.tenant_roles(tenant, &me, &principal.roles).await
    }
}
