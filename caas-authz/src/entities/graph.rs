//! The entity graph of the built-in store: entities with their attributes
//! and parents (groups, roles, containing resources), kept free of cycles;
//! and reading an entity as the engine does, with its parents and access
//! entries.

use std::collections::{BTreeSet, HashSet, VecDeque};

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Error, Result, TenantId};

use super::access::access_rows;
use super::{
    EntityInput, EntityProvider, EntityRecord, MAX_ANCESTORS, MAX_ATTRS_BYTES, MAX_PARENTS, RefRow,
    SqlEntities, touch,
};
use crate::model::{EntityRef, FOREIGN_USER};

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

impl SqlEntities {
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
