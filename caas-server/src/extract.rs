//! Extractors for who may call a route: [`Admin`] (the platform admin),
//! [`TenantAccess`] (a principal acting in the request's tenant),
//! [`TenantAdmin`] (an administrator of it), [`UserAccess`] (a user of the
//! tenant acting for themselves) and [`PublicTenant`] (anyone, in a tenant).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use caas_core::{Error, Principal, PrincipalKind, Tenant};

use crate::middleware::auth::Authenticated;
use crate::middleware::tenant::ResolvedTenant;
use crate::problem::Problem;
use crate::state::AppState;
use caas_auth::admin_key::ADMIN_ROLE;

fn principal(parts: &Parts) -> Result<Principal, Problem> {
    parts
        .extensions
        .get::<Authenticated>()
        .and_then(|a| a.0.clone())
        .ok_or_else(|| {
            Problem(Error::missing_token(
                "this route needs credentials: send `Authorization: Bearer <token>`",
            ))
        })
}

/// Whether `p` is the platform admin.
pub fn is_admin(p: &Principal) -> bool {
    p.tenant.is_none() && p.has_role(ADMIN_ROLE)
}

/// The platform admin; 401 without credentials, 403 for anyone else.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Problem> {
        let p = principal(parts)?;
        if !is_admin(&p) {
            return Err(Problem(Error::forbidden(
                "this route is for the platform admin",
            )));
        }
        Ok(Admin(p))
    }
}

/// The request's tenant and a principal allowed to act in it: one of the
/// tenant's own, or the platform admin.
#[derive(Debug, Clone)]
pub struct TenantAccess {
    /// The tenant (active).
    pub tenant: Tenant,
    /// Who is acting.
    pub principal: Principal,
}

impl TenantAccess {
    /// Whether the platform admin is acting (it may change what tenants may not, like the plan).
    pub fn by_admin(&self) -> bool {
        is_admin(&self.principal)
    }
}

impl FromRequestParts<AppState> for TenantAccess {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Problem> {
        let tenant = parts
            .extensions
            .get::<ResolvedTenant>()
            .and_then(|t| t.0.clone());
        let principal = principal(parts)?;
        let Some(tenant) = tenant else {
            return Err(Problem(
                Error::invalid_input(
                    "this route acts in a tenant: name it with the `X-Tenant-ID` header or a `/t/{slug}` path",
                )
                .with_code("tenant_required"),
            ));
        };
        if !(is_admin(&principal) || principal.tenant == Some(tenant.id)) {
            return Err(Problem(Error::forbidden(format!(
                "these credentials may not act in tenant `{}`",
                tenant.slug
            ))));
        }
        Ok(TenantAccess { tenant, principal })
    }
}

/// A user (or guest) of the request's tenant acting for themselves: routes
/// that act on "my" devices and inbox. The platform admin and service
/// principals have no devices and get 403.
#[derive(Debug, Clone)]
pub struct UserAccess {
    /// The tenant (active).
    pub tenant: Tenant,
    /// The user.
    pub principal: Principal,
}

impl FromRequestParts<AppState> for UserAccess {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let TenantAccess { tenant, principal } =
            TenantAccess::from_request_parts(parts, state).await?;
        if principal.tenant != Some(tenant.id)
            || !matches!(principal.kind, PrincipalKind::User | PrincipalKind::Guest)
        {
            return Err(Problem(Error::forbidden(
                "this route acts for a user of the tenant: call it with a user's token",
            )));
        }
        Ok(UserAccess { tenant, principal })
    }
}

/// The request's tenant, for routes anyone may call (login, JWKS): 400
/// `tenant_required` when the request names none.
#[derive(Debug, Clone)]
pub struct PublicTenant(pub Tenant);

impl FromRequestParts<AppState> for PublicTenant {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Problem> {
        parts
            .extensions
            .get::<ResolvedTenant>()
            .and_then(|t| t.0.clone())
            .map(PublicTenant)
            .ok_or_else(|| {
                Problem(
                    Error::invalid_input(
                        "this route acts in a tenant: name it with the `X-Tenant-ID` header or a `/t/{slug}` path",
                    )
                    .with_code("tenant_required"),
                )
            })
    }
}

/// Whether `access` is by an administrator of its tenant: the platform
/// admin, the role from the credentials, or one assigned in caas-authz
/// (with inheritance: an owner is an admin).
pub async fn is_tenant_admin(state: &AppState, access: &TenantAccess) -> Result<bool, Problem> {
    if access.by_admin() || access.principal.has_role(TENANT_ADMIN_ROLE) {
        return Ok(true);
    }
    let me = caas_authz::EntityRef::principal(&access.principal, &access.tenant.id);
    Ok(state
        .authz
        .tenant_roles(&access.tenant.id, &me, &access.principal.roles)
        .await?
        .contains(TENANT_ADMIN_ROLE))
}

/// The role that makes a user an administrator of their tenant.
pub use caas_core::TENANT_ADMIN_ROLE;

/// A tenant administrator (a user with the role `admin`) or the platform
/// admin, acting in the request's tenant.
#[derive(Debug, Clone)]
pub struct TenantAdmin(pub TenantAccess);

impl FromRequestParts<AppState> for TenantAdmin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let access = TenantAccess::from_request_parts(parts, state).await?;
        if !is_tenant_admin(state, &access).await? {
            return Err(Problem(Error::forbidden(
                "this route is for administrators of the tenant",
            )));
        }
        Ok(TenantAdmin(access))
    }
}
