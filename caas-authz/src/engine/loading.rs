//! Loading what a decision reads: the tenant's compiled policies (its
//! published version with the role policies), and the two sides of a
//! request — the principal and the resource with their ancestors — with
//! the roles the principal holds for it: those its credentials carry, its
//! role assignments (and its groups'), and the access entries and grants on
//! the resource or on the ancestors it inherits from, with everything those
//! roles inherit. Each comes from the caches when it can.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use caas_core::{Error, Result, TenantId};
use cedar_policy::{Entities, Entity, EntityUid, PolicyId, PolicySet};

use super::Engine;
use crate::entities::{AccessEntry, EntityRecord};
use crate::model::{EntityRef, FOREIGN_USER, action_uid};
use crate::roles::RoleDef;
use crate::slice::SlicedPolicies;
use crate::store::PolicyVersion;

/// The compiled policies of a tenant.
pub(super) struct Compiled {
    /// Which build: a part of every decision's cache key.
    pub(super) serial: u64,
    pub(super) version: i64,
    pub(super) sliced: SlicedPolicies,
    pub(super) roles: BTreeMap<String, RoleDef>,
    role_entities: Vec<Entity>,
    action_entities: Vec<Entity>,
    /// Every action the schema declares or a role permits.
    pub(super) actions: Vec<EntityUid>,
}

/// An entity as read, and as Cedar takes it.
pub(super) struct Loaded {
    record: EntityRecord,
    entity: Entity,
}

/// The principal side and resource side of a request, loaded.
pub(crate) struct Prepared {
    pub(super) compiled: Arc<Compiled>,
    pub(super) generation: u64,
    principal_ref: EntityRef,
    /// The principal's side, then the resource's (each entity once).
    sides: Vec<(EntityRef, Option<Arc<Loaded>>)>,
    /// The roles held for this request, as the principal's parents.
    extra: HashSet<EntityUid>,
    /// The request's Cedar entities, put together only when a decision is
    /// not cached.
    entities: OnceLock<Arc<Entities>>,
    pub(super) principal: EntityUid,
    pub(super) resource: EntityUid,
    /// The key of the request's decisions, before the action and context.
    pub(super) key: String,
    pub(crate) roles: Vec<String>,
    pub(super) access: Vec<AccessEntry>,
}

/// `held` with every role the roles in it inherit.
pub(super) fn expand(compiled: &Compiled, mut held: BTreeSet<String>) -> BTreeSet<String> {
    let mut stack: Vec<String> = held.iter().cloned().collect();
    while let Some(r) = stack.pop() {
        if let Some(def) = compiled.roles.get(&r) {
            for parent in &def.inherits {
                if held.insert(parent.clone()) {
                    stack.push(parent.clone());
                }
            }
        }
    }
    held
}

/// The roles `side` (a principal and its ancestors) is assigned, added to
/// `held`.
pub(super) fn assigned_roles(
    held: &mut BTreeSet<String>,
    side: &[(EntityRef, Option<Arc<Loaded>>)],
) {
    for l in side.iter().filter_map(|(_, l)| l.as_ref()) {
        held.extend(
            l.record
                .parents
                .iter()
                .filter(|p| p.is_role())
                .map(|p| p.id.clone()),
        );
    }
}

impl Prepared {
    /// Puts the request's entities together: the principal (with the roles
    /// held for this request as parents), the resource, their ancestors,
    /// the roles and the actions.
    fn build(&self) -> Result<Entities> {
        let mut parts: Vec<Entity> = Vec::with_capacity(
            self.sides.len()
                + self.compiled.role_entities.len()
                + self.compiled.action_entities.len(),
        );
        for (r, l) in &self.sides {
            let is_principal = *r == self.principal_ref;
            match l {
                Some(l) if is_principal && !self.extra.is_empty() => {
                    let (uid, attrs, mut parents) = l.entity.clone().into_inner();
                    parents.extend(self.extra.iter().cloned());
                    parts.push(
                        Entity::new(uid, attrs, parents)
                            .map_err(|e| Error::invalid_input(format!("entity {r}: {e}")))?,
                    );
                }
                Some(l) => parts.push(l.entity.clone()),
                None if is_principal => parts.push(Entity::new_no_attrs(
                    self.principal.clone(),
                    self.extra.clone(),
                )),
                None => {}
            }
        }
        parts.extend(self.compiled.role_entities.iter().cloned());
        parts.extend(self.compiled.action_entities.iter().cloned());
        Entities::from_entities(parts, None).map_err(|e| {
            Error::invalid_input(format!(
                "the entities of this request do not fit together: {e}"
            ))
            .with_code("invalid_entity")
        })
    }
}

impl Engine {
    /// The tenant's compiled policies, with the generation they belong to.
    pub(super) async fn compiled(&self, tenant: &TenantId) -> Result<(u64, Arc<Compiled>)> {
        if let Some(hit) = self.cached_compiled(tenant)? {
            return Ok(hit);
        }
        let generation = self.generation(tenant)?;
        let version = self.0.policies.current(tenant).await?;
        let roles = self.0.roles.all(tenant).await?;
        let compiled = Arc::new(self.compile(version.as_ref(), roles)?);
        self.keep_compiled(tenant, generation, &compiled)?;
        Ok((generation, compiled))
    }

    fn compile(
        &self,
        version: Option<&PolicyVersion>,
        roles: BTreeMap<String, RoleDef>,
    ) -> Result<Compiled> {
        let mut set = PolicySet::new();
        let mut role_entities = Vec::new();
        let mut actions: BTreeSet<EntityUid> = BTreeSet::new();
        for role in roles.values() {
            role_entities.push(role.entity()?);
            if let Some(p) = role.policy()? {
                set.add(p)
                    .map_err(|e| Error::internal(format!("role policy: {e}")))?;
            }
            for p in &role.permissions {
                actions.insert(action_uid(p)?);
            }
        }
        let mut action_entities = Vec::new();
        if let Some(v) = version {
            let tenant_set = PolicySet::from_str(&v.policies).map_err(|e| {
                Error::internal(format!("a published policy set does not parse: {e}"))
            })?;
            let mut ids: HashSet<String> = HashSet::new();
            for p in tenant_set.policies() {
                // `@id("…")` names the policy in reasons, when it is unique.
                let named = p
                    .annotation("id")
                    .filter(|id| !id.starts_with("caas.") && ids.insert((*id).to_owned()))
                    .map(|id| p.new_id(PolicyId::new(id)));
                let p = named.unwrap_or_else(|| p.clone());
                set.add(p)
                    .map_err(|e| Error::internal(format!("policy: {e}")))?;
            }
            let schema = crate::schema::parse(&v.schema).map_err(|e| {
                Error::internal(format!("a published schema does not parse: {}", e.error))
            })?;
            for a in schema.actions() {
                actions.insert(a.clone());
            }
            action_entities = schema
                .action_entities()
                .map_err(|e| Error::internal(format!("schema actions: {e}")))?
                .into_iter()
                .collect();
        }
        Ok(Compiled {
            serial: self.0.serial.fetch_add(1, Ordering::Relaxed),
            version: version.map_or(0, |v| v.version),
            sliced: SlicedPolicies::new(set),
            roles,
            role_entities,
            action_entities,
            actions: actions.into_iter().collect(),
        })
    }

    async fn entity(
        &self,
        tenant: &TenantId,
        generation: u64,
        uid: &EntityRef,
    ) -> Result<Option<Arc<Loaded>>> {
        if let Some(hit) = self.cached_entity(tenant, uid)? {
            return Ok(hit);
        }
        let loaded = match self.0.provider.entity(tenant, uid).await? {
            Some(record) => {
                let entity = record.cedar()?;
                Some(Arc::new(Loaded { record, entity }))
            }
            None => None,
        };
        self.keep_entity(tenant, generation, uid, &loaded)?;
        Ok(loaded)
    }

    /// `start` and its ancestors (roles excluded: the compiled roles carry
    /// them), breadth first.
    pub(super) async fn closure(
        &self,
        tenant: &TenantId,
        generation: u64,
        start: &EntityRef,
    ) -> Result<Vec<(EntityRef, Option<Arc<Loaded>>)>> {
        let mut out = Vec::new();
        let mut seen: HashSet<EntityRef> = HashSet::new();
        let mut queue = VecDeque::from([start.clone()]);
        while let Some(next) = queue.pop_front() {
            if next.is_role() || !seen.insert(next.clone()) {
                continue;
            }
            if out.len() >= self.0.config.max_closure {
                return Err(Error::invalid_input(format!(
                    "{start} has more than {} ancestors",
                    self.0.config.max_closure
                ))
                .with_code("entity_graph_too_large"));
            }
            let loaded = self.entity(tenant, generation, &next).await?;
            if let Some(l) = &loaded {
                queue.extend(l.record.parents.iter().cloned());
            }
            out.push((next, loaded));
        }
        Ok(out)
    }

    /// Loads both sides of a request and the roles held for it.
    pub(crate) async fn prepare(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        credential_roles: &BTreeSet<String>,
        resource: &EntityRef,
    ) -> Result<Prepared> {
        let p_uid = principal.uid().map_err(|e| e.with_field("principal"))?;
        let r_uid = resource.uid().map_err(|e| e.with_field("resource"))?;
        let (generation, compiled) = self.compiled(tenant).await?;
        let p_side = self.closure(tenant, generation, principal).await?;
        let r_side = self.closure(tenant, generation, resource).await?;

        // Access entries: on the resource, then up while it inherits.
        let keys: HashSet<&EntityRef> = p_side.iter().map(|(r, _)| r).collect();
        let by_ref: HashMap<&EntityRef, &Arc<Loaded>> = r_side
            .iter()
            .filter_map(|(r, l)| l.as_ref().map(|l| (r, l)))
            .collect();
        let mut held: BTreeSet<String> = credential_roles.clone();
        if principal.ty == FOREIGN_USER {
            // Another tenant's principal holds nothing here but its grants.
            held.clear();
        }
        let mut access = Vec::new();
        let mut queue = VecDeque::from([resource]);
        let mut walked: HashSet<&EntityRef> = HashSet::new();
        while let Some(at) = queue.pop_front() {
            if !walked.insert(at) {
                continue;
            }
            let Some(l) = by_ref.get(at) else { continue };
            for entry in &l.record.access {
                if keys.contains(&entry.principal) && compiled.roles.contains_key(&entry.role) {
                    held.insert(entry.role.clone());
                    access.push(entry.clone());
                }
            }
            if l.record.inherit {
                queue.extend(l.record.parents.iter().filter(|p| !p.is_role()));
            }
        }

        // The request's entities (each once) and its cache key: the
        // compiled build, the entities' versions and the roles held.
        let mut key = format!("{}|{}|{}|", compiled.serial, principal, resource);
        let mut included: HashSet<&EntityRef> = HashSet::new();
        let mut sides = Vec::with_capacity(p_side.len() + r_side.len());
        for (r, l) in p_side.iter().chain(r_side.iter()) {
            if !included.insert(r) {
                continue;
            }
            match l {
                Some(l) => {
                    key.push_str(&l.record.version.to_string());
                    key.push(',');
                }
                None => key.push_str("-,"),
            }
            sides.push((r.clone(), l.clone()));
        }
        for role in &held {
            key.push_str(role);
            key.push(',');
        }
        let extra: HashSet<EntityUid> = held
            .iter()
            .map(|r| EntityRef::role(r).uid())
            .collect::<Result<_>>()?;
        // Every role held, with the roles the principal's ancestors hold and
        // everything they inherit.
        assigned_roles(&mut held, &p_side);
        let roles = expand(&compiled, held);
        Ok(Prepared {
            compiled,
            generation,
            principal_ref: principal.clone(),
            sides,
            extra,
            entities: OnceLock::new(),
            principal: p_uid,
            resource: r_uid,
            key,
            roles: roles.into_iter().collect(),
            access,
        })
    }

    /// The request's Cedar entities: from the tenant's cache, or built (the
    /// transitive closure is the costly part) and cached.
    pub(super) fn request_entities(
        &self,
        tenant: &TenantId,
        prepared: &Prepared,
    ) -> Result<Arc<Entities>> {
        if let Some(e) = prepared.entities.get() {
            return Ok(e.clone());
        }
        if let Some(e) = self.cached_entity_set(tenant, &prepared.key)? {
            return Ok(prepared.entities.get_or_init(|| e).clone());
        }
        let built = Arc::new(prepared.build()?);
        self.keep_entity_set(tenant, prepared.generation, &prepared.key, &built)?;
        Ok(prepared.entities.get_or_init(|| built).clone())
    }
}
