//! Entities: [`EntityProvider`] (where the engine reads an entity: its
//! attributes, parents and access entries) and [`SqlEntities`], the
//! built-in store on every SQL backend.
//!
//! An application may serve entities from its own database by implementing
//! [`EntityProvider`]; it must raise an entity's `version` whenever the
//! entity, its parents or its access entries change, and tell the engine
//! ([`crate::Engine::invalidate_entities`]), since decisions are cached by
//! the versions of the entities they read.
//!
//! The built-in store is two concepts: the entity graph (`graph`: entities,
//! their attributes and parents — groups, roles, containing resources) and
//! access (`access`: access entries on resources and cross-tenant grants).
//! Every change to either raises the version of the entities it touches.

mod access;
mod graph;

use std::fmt::Debug;

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp};
use cedar_policy::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::EntityRef;

pub use self::access::AccessEntry;

/// The most parents an entity may have.
pub const MAX_PARENTS: usize = 64;
/// The largest attribute object accepted, as JSON.
pub const MAX_ATTRS_BYTES: usize = 16 * 1024;
/// The most access entries on one resource.
pub const MAX_ACCESS_ENTRIES: usize = 1000;
/// The deepest ancestor chain the store walks (cycle checks).
pub(crate) const MAX_ANCESTORS: usize = 1000;

/// An entity as the engine reads it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityRecord {
    /// Which entity.
    #[serde(flatten)]
    pub uid: EntityRef,
    /// Attributes, in Cedar's JSON form (`{"__entity": …}` for references).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attrs: Map<String, Value>,
    /// Parents: groups, roles, containing resources.
    pub parents: Vec<EntityRef>,
    /// Whether access entries of its ancestors apply to it.
    pub inherit: bool,
    /// Access entries on it.
    pub access: Vec<AccessEntry>,
    /// Raised on every change.
    pub version: i64,
}

impl EntityRecord {
    /// The Cedar entity (attributes and parents; access entries are the
    /// engine's business).
    pub fn cedar(&self) -> Result<Entity> {
        let json = serde_json::json!({
            "uid": { "type": self.uid.ty, "id": self.uid.id },
            "attrs": self.attrs,
            "parents": self.parents.iter()
                .map(|p| serde_json::json!({ "type": p.ty, "id": p.id }))
                .collect::<Vec<_>>(),
        });
        Entity::from_json_value(json, None).map_err(|e| {
            Error::invalid_input(format!(
                "entity {} is not a valid Cedar entity: {e}",
                self.uid
            ))
            .with_code("invalid_entity")
        })
    }
}

/// What a write of an entity sends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityInput {
    /// Attributes (Cedar JSON form).
    #[serde(default)]
    pub attrs: Map<String, Value>,
    /// Parents.
    #[serde(default)]
    pub parents: Vec<EntityRef>,
    /// Whether ancestors' access entries apply (default true).
    #[serde(default = "yes")]
    pub inherit: bool,
}

fn yes() -> bool {
    true
}

/// Where the engine reads entities.
#[async_trait]
pub trait EntityProvider: Send + Sync + Debug {
    /// The entity `uid` of `tenant` with its parents and access entries,
    /// or `None`.
    async fn entity(&self, tenant: &TenantId, uid: &EntityRef) -> Result<Option<EntityRecord>>;
}

/// The built-in entity store.
#[derive(Debug, Clone)]
pub struct SqlEntities {
    db: Db,
    clock: SharedClock,
}

impl SqlEntities {
    /// Entities in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        SqlEntities { db, clock }
    }
}

/// An entity reference as a row of columns `t` (type) and `i` (id).
struct RefRow(EntityRef);

impl FromRow for RefRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(RefRow(EntityRef::new(
            row.get::<String>("t")?,
            row.get::<String>("i")?,
        )))
    }
}

/// Creates `uid` without attributes, or raises its version.
async fn touch(
    tx: &mut caas_core::sql::Tx,
    tenant: &TenantId,
    uid: &EntityRef,
    now: Timestamp,
) -> Result<()> {
    query(
        "INSERT INTO authz_entities (tenant_id, entity_type, entity_id, attrs, inherit, version, updated_at) \
         VALUES ($1, $2, $3, '{}', TRUE, 1, $4) \
         ON CONFLICT (tenant_id, entity_type, entity_id) DO UPDATE SET \
         version = authz_entities.version + 1, updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(uid.ty.as_str())
    .bind(uid.id.as_str())
    .bind(now)
    .execute(tx)
    .await
    .map(|_| ())
}
