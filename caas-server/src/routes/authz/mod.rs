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
use serde::Deserialize;
use utoipa::ToSchema;

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
