//! caas-authz over HTTP: decisions (`check`, `check/batch`, `actions`),
//! the tenant's Cedar policies and schema, entities, roles and their
//! holders, access entries on resources, and cross-tenant grants. Who may
//! call each is declared in `crate::access`.

pub mod acl;
pub mod check;
pub mod entities;
pub mod grants;
pub mod policies;
pub mod roles;
pub mod schema;

use caas_authz::EntityRef;
use caas_authz::RouteCheck;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::declare::{ADMIN, Routes, either};

/// An entity: its Cedar type and id (`{"type": "Doc", "id": "d1"}`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ref {
    /// The Cedar entity type: `User`, `Group`, `Doc`, `Drive::Folder`…
    #[serde(rename = "type")]
    pub ty: String,
    /// The id.
    pub id: String,
}

impl From<Ref> for EntityRef {
    fn from(r: Ref) -> Self {
        EntityRef::new(r.ty, r.id)
    }
}

/// Decisions for callers holding `authz:check`; the policies, schema and
/// grants for administrators; entities and roles by scope or role; access
/// entries by the caller's own access to the resource.
pub(super) fn routes(r: Routes) -> Routes {
    let read = either("authz:read");
    let write = either("authz:write");
    let decide = either("authz:check");
    r.add(ADMIN, routes!(policies::current, policies::publish))
        .add(ADMIN, routes!(policies::versions))
        .add(ADMIN, routes!(policies::rollback))
        .add(decide, routes!(check::check))
        .add(decide, routes!(check::batch))
        .add(decide, routes!(check::actions))
        .add(ADMIN, routes!(schema::get, schema::put))
        .add(read, routes!(entities::get))
        .add(write, routes!(entities::put, entities::delete))
        .add(read, routes!(roles::list))
        .add(write, routes!(roles::put))
        .add(write, routes!(roles::delete))
        .add(read, routes!(roles::holders))
        .add(write, routes!(roles::assign))
        .add(write, routes!(roles::unassign))
        .add(ADMIN, routes!(grants::list, grants::create))
        .add(ADMIN, routes!(grants::revoke))
        .add(
            RouteCheck::Resource {
                base_role: "viewer",
                action: "read",
            },
            routes!(acl::list),
        )
        .add(SHARE, routes!(acl::add))
        .add(SHARE, routes!(acl::remove))
}

/// Changing a resource's access entries: `share` on it.
const SHARE: RouteCheck = RouteCheck::Resource {
    base_role: "viewer",
    action: "share",
};
