//! Entities: [`EntityProvider`] (where the engine reads an entity: its
//! attributes, parents and access entries) and [`SqlEntities`], the
//! built-in store on every SQL backend.
//!
//! An application may serve entities from its own database by implementing
//! [`EntityProvider`]; it must raise an entity's `version` whenever the
//! entity, its parents or its access entries change, and tell the engine
//! ([`crate::Engine::invalidate_entities`]), since decisions are cached by
//! the versions of the entities they read.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::fmt::Debug;

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp, new_id};
use cedar_policy::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{EntityRef, FOREIGN_USER};

/// The most parents an entity may have.
pub const MAX_PARENTS: usize = 64;
/// The largest attribute object accepted, as JSON.
pub const MAX_ATTRS_BYTES: usize = 16 * 1024;
/// The most access entries on one resource.
pub const MAX_ACCESS_ENTRIES: usize = 1000;
/// The deepest ancestor chain the store walks (cycle checks).
pub(crate) const MAX_ANCESTORS: usize = 1000;

/// An access entry: `principal` holds `role` on `resource` (and below it,
/// unless a descendant breaks inheritance). With `grantee_tenant` set, a
/// cross-tenant grant to a principal of that tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// The entry's id.
    pub id: String,
    /// The resource.
    pub resource: EntityRef,
    /// Who: a user, group or service of the tenant, or a foreign user.
    pub principal: EntityRef,
    /// The role held.
    pub role: String,
    /// For a cross-tenant grant: the grantee's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grantee_tenant: Option<TenantId>,
    /// Who added it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

impl FromRow for AccessEntry {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let grantee: Option<String> = row.get("grantee_tenant")?;
        Ok(AccessEntry {
            id: row.get("id")?,
            resource: EntityRef::new(
                row.get::<String>("resource_type")?,
                row.get::<String>("resource_id")?,
            ),
            principal: EntityRef::new(
                row.get::<String>("principal_type")?,
                row.get::<String>("principal_id")?,
            ),
            role: row.get("role")?,
            grantee_tenant: grantee.map(|g| g.parse::<TenantId>()).transpose()?,
            created_by: row.get("created_by")?,
            created_at: row.timestamp("created_at")?,
        })
    }
}

/// An entity as the engine reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityRecord {
    /// Which entity.
    #[serde(flatten)]
    pub uid: EntityRef,
    /// Attributes, in Cedar's JSON form (`{"__entity": …}` for references).
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

struct EntityRow {
    attrs: String,
    inherit: bool,
    version: i64,
}

impl FromRow for EntityRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(EntityRow {
            attrs: row.get("attrs")?,
            inherit: row.get("inherit")?,
            version: row.get("version")?,
        })
    }
}

struct RefRow(EntityRef);

impl FromRow for RefRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(RefRow(EntityRef::new(
            row.get::<String>("t")?,
            row.get::<String>("i")?,
        )))
    }
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

    /// Creates or replaces entity `uid`. Roles are not entities of the
    /// store (see `RoleStore`), nor are foreign users (see grants).
    pub async fn put(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
        input: &EntityInput,
    ) -> Result<EntityRecord> {
        uid.uid()?;
        if uid.is_role() || uid.ty == FOREIGN_USER {
            return Err(Error::invalid_input(format!(
                "`{}` entities are managed by CAAS: use the roles and grants APIs",
                uid.ty
            ))
            .with_field("type"));
        }
        if input.parents.len() > MAX_PARENTS {
            return Err(Error::invalid_input(format!(
                "an entity has at most {MAX_PARENTS} parents"
            ))
            .with_field("parents"));
        }
        for p in &input.parents {
            p.uid()?;
            if p == uid {
                return Err(Error::invalid_input("an entity cannot be its own parent")
                    .with_field("parents")
                    .with_code("entity_cycle"));
            }
            if p.ty == FOREIGN_USER {
                return Err(
                    Error::invalid_input("a foreign user cannot be a parent").with_field("parents")
                );
            }
        }
        let attrs = serde_json::to_string(&input.attrs)?;
        if attrs.len() > MAX_ATTRS_BYTES {
            return Err(Error::invalid_input(format!(
                "attributes are at most {MAX_ATTRS_BYTES} bytes of JSON"
            ))
            .with_field("attrs"));
        }
        // Cedar must accept it before it is stored.
        EntityRecord {
            uid: uid.clone(),
            attrs: input.attrs.clone(),
            parents: input.parents.clone(),
            inherit: input.inherit,
            access: Vec::new(),
            version: 0,
        }
        .cedar()?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        // A parent that is (or descends from) the entity makes a cycle.
        let mut queue: VecDeque<EntityRef> = input
            .parents
            .iter()
            .filter(|p| !p.is_role())
            .cloned()
            .collect();
        let mut seen: HashSet<EntityRef> = HashSet::new();
        while let Some(next) = queue.pop_front() {
            if next == *uid {
                return Err(
                    Error::invalid_input(format!("{uid} would be its own ancestor"))
                        .with_field("parents")
                        .with_code("entity_cycle"),
                );
            }
            if !seen.insert(next.clone()) || seen.len() > MAX_ANCESTORS {
                continue;
            }
            let up: Vec<RefRow> = query(
                "SELECT parent_type AS t, parent_id AS i FROM authz_entity_parents \
                 WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3",
            )
            .bind(tenant)
            .bind(next.ty.as_str())
            .bind(next.id.as_str())
            .fetch_all(&mut tx)
            .await?;
            queue.extend(up.into_iter().map(|r| r.0).filter(|p| !p.is_role()));
        }
        query(
            "INSERT INTO authz_entities (tenant_id, entity_type, entity_id, attrs, inherit, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6) \
             ON CONFLICT (tenant_id, entity_type, entity_id) DO UPDATE SET attrs = excluded.attrs, \
             inherit = excluded.inherit, version = authz_entities.version + 1, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .bind(attrs)
        .bind(input.inherit)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        query(
            "DELETE FROM authz_entity_parents WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .execute(&mut tx)
        .await?;
        let parents: BTreeSet<&EntityRef> = input.parents.iter().collect();
        for p in parents {
            insert_parent(&mut tx, tenant, uid, p).await?;
        }
        tx.commit().await?;
        self.entity(tenant, uid)
            .await?
            .ok_or_else(|| Error::internal("a stored entity is missing"))
    }

    /// Deletes entity `uid`, its parent links, the links to it, the access
    /// entries on it and those it held. Returns the entities that changed
    /// (it, its former children, the resources it held access on), or
    /// `None` when it did not exist.
    pub async fn delete(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
    ) -> Result<Option<Vec<EntityRef>>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let gone = query(
            "DELETE FROM authz_entities WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .execute(&mut tx)
        .await?;
        if gone == 0 {
            return Ok(None);
        }
        let children: Vec<RefRow> = query(
            "SELECT entity_type AS t, entity_id AS i FROM authz_entity_parents \
             WHERE tenant_id = $1 AND parent_type = $2 AND parent_id = $3",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .fetch_all(&mut tx)
        .await?;
        // Resources where it held access: their entries change too.
        let held_on: Vec<RefRow> = query(
            "SELECT DISTINCT resource_type AS t, resource_id AS i FROM authz_access \
             WHERE tenant_id = $1 AND principal_type = $2 AND principal_id = $3",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .fetch_all(&mut tx)
        .await?;
        for sql in [
            "DELETE FROM authz_entity_parents WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3",
            "DELETE FROM authz_entity_parents WHERE tenant_id = $1 AND parent_type = $2 AND parent_id = $3",
            "DELETE FROM authz_access WHERE tenant_id = $1 AND resource_type = $2 AND resource_id = $3",
            "DELETE FROM authz_access WHERE tenant_id = $1 AND principal_type = $2 AND principal_id = $3",
        ] {
            query(sql)
                .bind(tenant)
                .bind(uid.ty.as_str())
                .bind(uid.id.as_str())
                .execute(&mut tx)
                .await?;
        }
        let mut changed = vec![uid.clone()];
        for RefRow(child) in children.into_iter().chain(held_on) {
            if changed.contains(&child) {
                continue;
            }
            touch(&mut tx, tenant, &child, self.clock.now()).await?;
            changed.push(child);
        }
        tx.commit().await?;
        Ok(Some(changed))
    }

    /// Adds `parent` to `child` (creating `child` without attributes if it
    /// is new): a group membership or a role assignment.
    pub async fn add_parent(
        &self,
        tenant: &TenantId,
        child: &EntityRef,
        parent: &EntityRef,
    ) -> Result<()> {
        child.uid()?;
        parent.uid()?;
        if child == parent || child.is_role() || child.ty == FOREIGN_USER {
            return Err(
                Error::invalid_input(format!("{child} cannot be a member of {parent}"))
                    .with_field("principal"),
            );
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let count: Scalar<i64> = query(
            "SELECT COUNT(*) FROM authz_entity_parents \
             WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3",
        )
        .bind(tenant)
        .bind(child.ty.as_str())
        .bind(child.id.as_str())
        .fetch_one(&mut tx)
        .await?;
        if count.0 >= i64::try_from(MAX_PARENTS).unwrap_or(i64::MAX) {
            return Err(Error::invalid_input(format!(
                "{child} already has {MAX_PARENTS} parents"
            )));
        }
        touch(&mut tx, tenant, child, self.clock.now()).await?;
        insert_parent(&mut tx, tenant, child, parent).await?;
        tx.commit().await
    }

    /// Removes `parent` from `child`; whether it was there.
    pub async fn remove_parent(
        &self,
        tenant: &TenantId,
        child: &EntityRef,
        parent: &EntityRef,
    ) -> Result<bool> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query(
            "DELETE FROM authz_entity_parents WHERE tenant_id = $1 AND entity_type = $2 \
             AND entity_id = $3 AND parent_type = $4 AND parent_id = $5",
        )
        .bind(tenant)
        .bind(child.ty.as_str())
        .bind(child.id.as_str())
        .bind(parent.ty.as_str())
        .bind(parent.id.as_str())
        .execute(&mut tx)
        .await?;
        if n > 0 {
            touch(&mut tx, tenant, child, self.clock.now()).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The entities whose parent is `parent` (a role's holders, a group's
    /// members, a folder's children), at most 1,000.
    pub async fn children(&self, tenant: &TenantId, parent: &EntityRef) -> Result<Vec<EntityRef>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<RefRow> = query(
            "SELECT entity_type AS t, entity_id AS i FROM authz_entity_parents \
             WHERE tenant_id = $1 AND parent_type = $2 AND parent_id = $3 \
             ORDER BY entity_type, entity_id LIMIT 1000",
        )
        .bind(tenant)
        .bind(parent.ty.as_str())
        .bind(parent.id.as_str())
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Adds an access entry on `resource` (creating the resource entity
    /// without attributes if it is new). The same principal, role and
    /// resource twice is a 409.
    pub async fn add_access(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
        principal: &EntityRef,
        role: &str,
        grantee_tenant: Option<&TenantId>,
        by: Option<&str>,
    ) -> Result<AccessEntry> {
        resource.uid()?;
        principal.uid()?;
        if resource.is_role() || resource.ty == FOREIGN_USER {
            return Err(
                Error::invalid_input(format!("{resource} is not a resource"))
                    .with_field("resource"),
            );
        }
        if principal.is_role() {
            return Err(Error::invalid_input(
                "access is given to users, groups and services, not to roles",
            )
            .with_field("principal"));
        }
        if (principal.ty == FOREIGN_USER) != grantee_tenant.is_some() {
            return Err(Error::invalid_input(
                "principals of other tenants get access through cross-tenant grants",
            )
            .with_field("principal"));
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let count: Scalar<i64> = query(
            "SELECT COUNT(*) FROM authz_access WHERE tenant_id = $1 AND resource_type = $2 AND resource_id = $3",
        )
        .bind(tenant)
        .bind(resource.ty.as_str())
        .bind(resource.id.as_str())
        .fetch_one(&mut tx)
        .await?;
        if count.0 >= i64::try_from(MAX_ACCESS_ENTRIES).unwrap_or(i64::MAX) {
            return Err(Error::invalid_input(format!(
                "{resource} already has {MAX_ACCESS_ENTRIES} access entries"
            )));
        }
        let now = self.clock.now();
        let id = new_id(self.clock.as_ref()).simple().to_string();
        touch(&mut tx, tenant, resource, now).await?;
        query(
            "INSERT INTO authz_access (tenant_id, id, resource_type, resource_id, principal_type, \
             principal_id, role, grantee_tenant, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant)
        .bind(id.as_str())
        .bind(resource.ty.as_str())
        .bind(resource.id.as_str())
        .bind(principal.ty.as_str())
        .bind(principal.id.as_str())
        .bind(role)
        .bind(grantee_tenant.map(ToString::to_string))
        .bind(by)
        .bind(now)
        .execute(&mut tx)
        .await
        .map_err(|e| {
            if e.kind() == caas_core::ErrorKind::Conflict {
                Error::conflict(format!("{principal} already holds `{role}` on {resource}"))
                    .with_code("access_exists")
            } else {
                e
            }
        })?;
        tx.commit().await?;
        Ok(AccessEntry {
            id,
            resource: resource.clone(),
            principal: principal.clone(),
            role: role.to_owned(),
            grantee_tenant: grantee_tenant.copied(),
            created_by: by.map(str::to_owned),
            created_at: now,
        })
    }

    /// Removes access entry `id` (of any kind when `grants` is `None`, only
    /// grants or only plain entries otherwise); the entry, if it existed.
    pub async fn remove_access(
        &self,
        tenant: &TenantId,
        id: &str,
        grants: Option<bool>,
    ) -> Result<Option<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let entry: Option<AccessEntry> = query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
             grantee_tenant, created_by, created_at FROM authz_access WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut tx)
        .await?;
        let Some(entry) = entry.filter(|e| grants.is_none_or(|g| g == e.grantee_tenant.is_some()))
        else {
            return Ok(None);
        };
        query("DELETE FROM authz_access WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        touch(&mut tx, tenant, &entry.resource, self.clock.now()).await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// The access entries on `resource`.
    pub async fn access_on(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = access_rows(&mut tx, tenant, resource).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The access entries `principal` holds (on any resource), oldest first.
    pub async fn access_held_by(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
             grantee_tenant, created_by, created_at FROM authz_access \
             WHERE tenant_id = $1 AND principal_type = $2 AND principal_id = $3 ORDER BY created_at, id",
        )
        .bind(tenant)
        .bind(principal.ty.as_str())
        .bind(principal.id.as_str())
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The tenant's cross-tenant grants, newest first (at most 1,000).
    pub async fn grants(&self, tenant: &TenantId) -> Result<Vec<AccessEntry>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(
            "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
             grantee_tenant, created_by, created_at FROM authz_access \
             WHERE tenant_id = $1 AND grantee_tenant IS NOT NULL ORDER BY created_at DESC, id LIMIT 1000",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }
}

async fn access_rows(
    tx: &mut caas_core::sql::Tx,
    tenant: &TenantId,
    resource: &EntityRef,
) -> Result<Vec<AccessEntry>> {
    query(
        "SELECT id, resource_type, resource_id, principal_type, principal_id, role, \
         grantee_tenant, created_by, created_at FROM authz_access \
         WHERE tenant_id = $1 AND resource_type = $2 AND resource_id = $3 ORDER BY created_at, id",
    )
    .bind(tenant)
    .bind(resource.ty.as_str())
    .bind(resource.id.as_str())
    .fetch_all(tx)
    .await
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

async fn insert_parent(
    tx: &mut caas_core::sql::Tx,
    tenant: &TenantId,
    child: &EntityRef,
    parent: &EntityRef,
) -> Result<()> {
    query(
        "INSERT INTO authz_entity_parents (tenant_id, entity_type, entity_id, parent_type, parent_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(child.ty.as_str())
    .bind(child.id.as_str())
    .bind(parent.ty.as_str())
    .bind(parent.id.as_str())
    .execute(tx)
    .await
    .map(|_| ())
}

#[async_trait]
impl EntityProvider for SqlEntities {
    async fn entity(&self, tenant: &TenantId, uid: &EntityRef) -> Result<Option<EntityRecord>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row: Option<EntityRow> = query(
            "SELECT attrs, inherit, version FROM authz_entities \
             WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Ok(None);
        };
        let parents: Vec<RefRow> = query(
            "SELECT parent_type AS t, parent_id AS i FROM authz_entity_parents \
             WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3 ORDER BY parent_type, parent_id",
        )
        .bind(tenant)
        .bind(uid.ty.as_str())
        .bind(uid.id.as_str())
        .fetch_all(&mut tx)
        .await?;
        let access = access_rows(&mut tx, tenant, uid).await?;
        tx.commit().await?;
        let attrs = serde_json::from_str(&row.attrs)
            .map_err(|_| Error::internal("stored attributes are not JSON"))?;
        Ok(Some(EntityRecord {
            uid: uid.clone(),
            attrs,
            parents: parents.into_iter().map(|r| r.0).collect(),
            inherit: row.inherit,
            access,
            version: row.version,
        }))
    }
}
