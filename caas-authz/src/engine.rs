//! [`Engine`]: a tenant's authorization decisions.
//!
//! A decision evaluates, with Cedar and through the policy index
//! ([`SlicedPolicies`]), the tenant's published policies together with the
//! role policies (see [`crate::roles`]), over only the entities the request
//! touches: the principal and its ancestors (groups, roles), the resource
//! and its ancestors (folders), the roles, and the actions. Roles a
//! principal holds *on the resource* — through an access entry on it or on
//! an ancestor (unless an entity in between breaks inheritance), or through
//! a cross-tenant grant — count as held for that request.
//!
//! Four caches, per tenant: the compiled policies, the entities, each
//! request's assembled Cedar entities (by principal, resource, their
//! versions and the roles held), and the decisions, keyed by (policy build,
//! entity versions, request). Every
//! write through the engine drops what it changed here and, through the
//! `EventBus`, on every other instance.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use bytes::Bytes;
use caas_core::events::{Topic, TopicFilter};
use caas_core::{
    AuditEvent, Error, Namespace, Outcome, Result, SharedAuditSink, SharedClock, SharedEventBus,
    TenantId, new_id,
};
use cedar_policy::{Context, Entities, Entity, EntityUid, PolicyId, PolicySet, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entities::{AccessEntry, EntityInput, EntityProvider, EntityRecord, SqlEntities};
use crate::model::{EntityRef, FOREIGN_USER, action_name, action_uid};
use crate::roles::{RoleDef, RoleStore};
use crate::slice::SlicedPolicies;
use crate::store::{Checked, PolicyDraft, PolicyStore, PolicyVersion};

/// The topic on which engines tell each other what changed.
pub const CHANGED_TOPIC: &str = "authz.changed";

/// How the engine caches and audits.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Audit one allow in this many (0: none; 1: all). Every deny is audited.
    pub audit_allow_every: u32,
    /// Decisions kept per tenant (the tenant's are dropped when it is full;
    /// 0: decisions are not cached, say when contexts carry the time).
    pub max_decisions: usize,
    /// Entities kept per tenant (likewise).
    pub max_entities: usize,
    /// Requests' assembled Cedar entities kept per tenant, by principal,
    /// resource, their versions and the roles held (likewise; 0: none).
    pub max_entity_sets: usize,
    /// The most entities one side of a request (principal or resource with
    /// their ancestors) may reach.
    pub max_closure: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            audit_allow_every: 100,
            max_decisions: 50_000,
            max_entities: 50_000,
            max_entity_sets: 5_000,
            max_closure: 256,
        }
    }
}

/// A request: may `principal` do `action` on `resource`?
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthzRequest {
    /// Who.
    pub principal: EntityRef,
    /// Roles the principal's credentials carry (they count as held).
    #[serde(default)]
    pub roles: BTreeSet<String>,
    /// The action: `read`, or a uid like `Drive::Action::"read"`.
    pub action: String,
    /// On what.
    pub resource: EntityRef,
    /// The request's context (Cedar JSON).
    #[serde(default)]
    pub context: Map<String, Value>,
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Allowed.
    pub allow: bool,
    /// The policies that decided it (the permits of an allow, the forbids
    /// of a deny; empty for a deny by default).
    pub reasons: Vec<String>,
    /// Policies that failed to evaluate (they count as not matching).
    pub errors: Vec<String>,
    /// The version of the tenant's policies (0: none published).
    pub policy_version: i64,
    /// Roles the principal held for this request.
    pub roles: Vec<String>,
    /// The access entries (and grants) that gave roles for this request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessEntry>,
}

/// The compiled policies of a tenant.
struct Compiled {
    serial: u64,
    version: i64,
    sliced: SlicedPolicies,
    roles: BTreeMap<String, RoleDef>,
    role_entities: Vec<Entity>,
    action_entities: Vec<Entity>,
    actions: Vec<EntityUid>,
}

struct Loaded {
    record: EntityRecord,
    entity: Entity,
}

#[derive(Default)]
struct TenantCache {
    generation: u64,
    compiled: Option<Arc<Compiled>>,
    entities: HashMap<EntityRef, Option<Arc<Loaded>>>,
    /// The Cedar entities of a request, by the key of its decisions.
    entity_sets: HashMap<String, Arc<Entities>>,
    decisions: HashMap<String, Decision>,
}

struct Inner {
    policies: PolicyStore,
    roles: RoleStore,
    store: SqlEntities,
    provider: Arc<dyn EntityProvider>,
    events: Option<SharedEventBus>,
    audit: Option<SharedAuditSink>,
    clock: SharedClock,
    config: EngineConfig,
    instance: String,
    caches: RwLock<HashMap<TenantId, TenantCache>>,
    serial: AtomicU64,
    allows: AtomicU64,
    hits: AtomicU64,
}

/// Every tenant's authorization. Cheap to clone.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("instance", &self.0.instance)
            .field("config", &self.0.config)
            .finish_non_exhaustive()
    }
}

/// The parts an engine is built from.
#[derive(Debug, Clone)]
pub struct EngineParts {
    /// Policy versions.
    pub policies: PolicyStore,
    /// Roles.
    pub roles: RoleStore,
    /// The built-in entity store (writes through the engine go here).
    pub store: SqlEntities,
    /// Where entities are read (the built-in store, or the application's).
    pub provider: Arc<dyn EntityProvider>,
    /// Where changes are announced to other instances.
    pub events: Option<SharedEventBus>,
    /// Where decisions are audited.
    pub audit: Option<SharedAuditSink>,
    /// The clock.
    pub clock: SharedClock,
    /// Caching and audit settings.
    pub config: EngineConfig,
}

/// What changed, as sent to other instances.
#[derive(Debug, Serialize, Deserialize)]
struct Change {
    from: String,
    #[serde(default)]
    policies: bool,
    #[serde(default)]
    entities: Vec<EntityRef>,
}

/// `held` with every role the roles in it inherit.
fn expand(compiled: &Compiled, mut held: BTreeSet<String>) -> BTreeSet<String> {
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

/// The payload of `grant.created` and `grant.revoked`: ids only.
fn grant_event(entry: &AccessEntry, grantee: &TenantId) -> Value {
    serde_json::json!({
        "grant_id": entry.id,
        "grantee_tenant": grantee,
        "principal": entry.principal.to_string(),
        "role": entry.role,
        "resource": entry.resource.to_string(),
    })
}

fn lock_error() -> Error {
    Error::internal("authorization cache lock poisoned")
}

/// The principal side and resource side of a request, loaded.
pub(crate) struct Prepared {
    compiled: Arc<Compiled>,
    generation: u64,
    principal_ref: EntityRef,
    /// The principal's side, then the resource's (each entity once).
    sides: Vec<(EntityRef, Option<Arc<Loaded>>)>,
    /// The roles held for this request, as the principal's parents.
    extra: HashSet<EntityUid>,
    /// The request's Cedar entities, put together only when a decision is
    /// not cached.
    entities: std::sync::OnceLock<Arc<Entities>>,
    principal: EntityUid,
    resource: EntityUid,
    key: String,
    pub(crate) roles: Vec<String>,
    access: Vec<AccessEntry>,
}

impl Engine {
    /// An engine over `parts`.
    pub fn new(parts: EngineParts) -> Self {
        let instance = new_id(parts.clock.as_ref()).simple().to_string();
        Engine(Arc::new(Inner {
            policies: parts.policies,
            roles: parts.roles,
            store: parts.store,
            provider: parts.provider,
            events: parts.events,
            audit: parts.audit,
            clock: parts.clock,
            config: parts.config,
            instance,
            caches: RwLock::new(HashMap::new()),
            serial: AtomicU64::new(1),
            allows: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }))
    }

    /// Decisions answered from the cache so far.
    pub fn cache_hits(&self) -> u64 {
        self.0.hits.load(Ordering::Relaxed)
    }

    /// The policy store.
    pub fn policy_store(&self) -> &PolicyStore {
        &self.0.policies
    }

    // ---- caches and invalidation -------------------------------------

    fn generation(&self, tenant: &TenantId) -> Result<u64> {
        let caches = self.0.caches.read().map_err(|_| lock_error())?;
        Ok(caches.get(tenant).map_or(0, |c| c.generation))
    }

    fn drop_local(&self, tenant: &TenantId, policies: bool, entities: &[EntityRef]) -> Result<()> {
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        cache.generation += 1;
        cache.decisions.clear();
        cache.entity_sets.clear();
        if policies {
            cache.compiled = None;
        }
        for e in entities {
            cache.entities.remove(e);
        }
        Ok(())
    }

    async fn changed(&self, tenant: &TenantId, policies: bool, entities: Vec<EntityRef>) {
        if let Err(e) = self.drop_local(tenant, policies, &entities) {
            tracing::error!(error = %e, "cannot drop cached authorization data");
        }
        let Some(bus) = &self.0.events else { return };
        let change = Change {
            from: self.0.instance.clone(),
            policies,
            entities,
        };
        let sent = async {
            let topic = Topic::new(Namespace::Tenant(*tenant), CHANGED_TOPIC)?;
            bus.publish(&topic, Bytes::from(serde_json::to_vec(&change)?))
                .await
        };
        if let Err(e) = sent.await {
            // Other instances keep stale entries until their next change.
            tracing::warn!(error = %e, "cannot announce an authorization change");
        }
    }

    /// Drops what this instance and (through the event bus) every other
    /// one cached of `entities`: call it when an [`EntityProvider`] of the
    /// application changes them.
    pub async fn invalidate_entities(&self, tenant: &TenantId, entities: Vec<EntityRef>) {
        self.changed(tenant, false, entities).await;
    }

    /// Listens for other instances' changes until the bus or the engine
    /// is gone. Subscribed when this returns.
    pub async fn listen(&self) -> Result<tokio::task::JoinHandle<()>> {
        let Some(bus) = &self.0.events else {
            return Ok(tokio::spawn(async {}));
        };
        let mut sub = bus
            .subscribe(TopicFilter::any_tenant(CHANGED_TOPIC)?)
            .await?;
        let engine: Weak<Inner> = Arc::downgrade(&self.0);
        Ok(tokio::spawn(async move {
            while let Some(event) = sub.recv().await {
                let Some(inner) = engine.upgrade() else {
                    return;
                };
                let Namespace::Tenant(tenant) = event.topic.namespace() else {
                    continue;
                };
                let Ok(change) = serde_json::from_slice::<Change>(&event.payload) else {
                    tracing::warn!("an authorization change event does not parse");
                    continue;
                };
                if change.from == inner.instance {
                    continue;
                }
                if let Err(e) = Engine(inner).drop_local(tenant, change.policies, &change.entities)
                {
                    tracing::error!(error = %e, "cannot drop cached authorization data");
                }
            }
        }))
    }

    async fn compiled(&self, tenant: &TenantId) -> Result<(u64, Arc<Compiled>)> {
        {
            let caches = self.0.caches.read().map_err(|_| lock_error())?;
            if let Some(c) = caches.get(tenant)
                && let Some(compiled) = &c.compiled
            {
                return Ok((c.generation, compiled.clone()));
            }
        }
        let generation = self.generation(tenant)?;
        let version = self.0.policies.current(tenant).await?;
        let roles = self.0.roles.all(tenant).await?;
        let compiled = Arc::new(self.compile(version.as_ref(), roles)?);
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        if cache.generation == generation {
            cache.compiled = Some(compiled.clone());
        }
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
        {
            let caches = self.0.caches.read().map_err(|_| lock_error())?;
            if let Some(hit) = caches.get(tenant).and_then(|c| c.entities.get(uid)) {
                return Ok(hit.clone());
            }
        }
        let loaded = match self.0.provider.entity(tenant, uid).await? {
            Some(record) => {
                let entity = record.cedar()?;
                Some(Arc::new(Loaded { record, entity }))
            }
            None => None,
        };
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        if cache.generation == generation {
            if cache.entities.len() >= self.0.config.max_entities {
                cache.entities.clear();
            }
            cache.entities.insert(uid.clone(), loaded.clone());
        }
        Ok(loaded)
    }

    /// `start` and its ancestors (roles excluded: the compiled roles carry
    /// them), breadth first.
    async fn closure(
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
        for (_, l) in &p_side {
            if let Some(l) = l {
                held.extend(
                    l.record
                        .parents
                        .iter()
                        .filter(|p| p.is_role())
                        .map(|p| p.id.clone()),
                );
            }
        }
        let roles = expand(&compiled, held);
        Ok(Prepared {
            compiled,
            generation,
            principal_ref: principal.clone(),
            sides,
            extra,
            entities: std::sync::OnceLock::new(),
            principal: p_uid,
            resource: r_uid,
            key,
            roles: roles.into_iter().collect(),
            access,
        })
    }

    /// The request's Cedar entities: from the tenant's cache, or built (the
    /// transitive closure is the costly part) and cached.
    fn request_entities(&self, tenant: &TenantId, prepared: &Prepared) -> Result<Arc<Entities>> {
        if let Some(e) = prepared.entities.get() {
            return Ok(e.clone());
        }
        {
            let caches = self.0.caches.read().map_err(|_| lock_error())?;
            if let Some(e) = caches
                .get(tenant)
                .and_then(|c| c.entity_sets.get(&prepared.key))
            {
                return Ok(prepared.entities.get_or_init(|| e.clone()).clone());
            }
        }
        let built = Arc::new(prepared.build()?);
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        if cache.generation == prepared.generation && self.0.config.max_entity_sets > 0 {
            if cache.entity_sets.len() >= self.0.config.max_entity_sets {
                cache.entity_sets.clear();
            }
            cache
                .entity_sets
                .insert(prepared.key.clone(), built.clone());
        }
        Ok(prepared.entities.get_or_init(|| built).clone())
    }

    fn evaluate(
        &self,
        tenant: &TenantId,
        prepared: &Prepared,
        action: &EntityUid,
        context: &Map<String, Value>,
    ) -> Result<Decision> {
        let context_json = Value::Object(context.clone());
        let key = format!("{}{}|{}", prepared.key, action, context_json);
        {
            let caches = self.0.caches.read().map_err(|_| lock_error())?;
            if let Some(d) = caches.get(tenant).and_then(|c| c.decisions.get(&key)) {
                self.0.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(d.clone());
            }
        }
        // Parsing even `{}` costs a few microseconds.
        let context = if context.is_empty() {
            Context::empty()
        } else {
            Context::from_json_value(context_json, None).map_err(|e| {
                Error::invalid_input(format!("the context is not valid Cedar JSON: {e}"))
                    .with_field("context")
            })?
        };
        let request = Request::new(
            prepared.principal.clone(),
            action.clone(),
            prepared.resource.clone(),
            context,
            None,
        )
        .map_err(|e| Error::invalid_input(format!("{e}")))?;
        let entities = self.request_entities(tenant, prepared)?;
        let response = prepared.compiled.sliced.is_authorized(&request, &entities);
        let decision = Decision {
            allow: response.decision() == cedar_policy::Decision::Allow,
            reasons: response
                .diagnostics()
                .reason()
                .map(ToString::to_string)
                .collect(),
            errors: response
                .diagnostics()
                .errors()
                .map(ToString::to_string)
                .collect(),
            policy_version: prepared.compiled.version,
            roles: prepared.roles.clone(),
            access: prepared.access.clone(),
        };
        let mut decision = decision;
        decision.reasons.sort();
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        if cache.generation == prepared.generation && self.0.config.max_decisions > 0 {
            if cache.decisions.len() >= self.0.config.max_decisions {
                cache.decisions.clear();
            }
            cache.decisions.insert(key, decision.clone());
        }
        Ok(decision)
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        request: &AuthzRequest,
        decision: &Decision,
        request_id: Option<&str>,
    ) -> Result<()> {
        let Some(sink) = &self.0.audit else {
            return Ok(());
        };
        if decision.allow {
            let every = u64::from(self.0.config.audit_allow_every);
            let n = self.0.allows.fetch_add(1, Ordering::Relaxed);
            if every == 0 || !n.is_multiple_of(every) {
                return Ok(());
            }
        }
        let mut event = AuditEvent::new(self.0.clock.as_ref(), "authz.decision")
            .tenant(*tenant)
            .actor(request.principal.to_string())
            .target(request.resource.to_string())
            .outcome(if decision.allow {
                Outcome::Success
            } else {
                Outcome::Denied
            })
            .details(serde_json::json!({
                "action": request.action,
                "decision": if decision.allow { "allow" } else { "deny" },
                "reasons": decision.reasons,
                "errors": decision.errors.len(),
                "policy_version": decision.policy_version,
            }));
        if let Some(id) = request_id {
            event = event.request_id(id);
        }
        match sink.record(event).await {
            Ok(()) => Ok(()),
            // A deny stays a deny; an allow that cannot be audited is refused.
            Err(e) if !decision.allow => {
                tracing::error!(error = %e, "cannot audit an authorization deny");
                Ok(())
            }
            Err(e) => Err(Error::unavailable(format!(
                "the decision cannot be audited, so it is refused: {e}"
            ))),
        }
    }

    // ---- decisions ----------------------------------------------------

    /// The decision on `request` in `tenant`.
    pub async fn authorize(
        &self,
        tenant: &TenantId,
        request: &AuthzRequest,
        request_id: Option<&str>,
    ) -> Result<Decision> {
        let action = action_uid(&request.action)?;
        let prepared = self
            .prepare(
                tenant,
                &request.principal,
                &request.roles,
                &request.resource,
            )
            .await?;
        let decision = self.evaluate(tenant, &prepared, &action, &request.context)?;
        self.audit(tenant, request, &decision, request_id).await?;
        Ok(decision)
    }

    /// The decisions on `requests`, in order.
    pub async fn authorize_batch(
        &self,
        tenant: &TenantId,
        requests: &[AuthzRequest],
        request_id: Option<&str>,
    ) -> Result<Vec<Decision>> {
        let mut out = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            out.push(self.authorize(tenant, r, request_id).await.map_err(|e| {
                if e.kind() == caas_core::ErrorKind::InvalidInput {
                    let field = format!("requests[{i}].{}", e.field().unwrap_or(""));
                    Error::invalid_input(format!("request {i}: {}", e.message()))
                        .with_code(e.code())
                        .with_field(field)
                } else {
                    e
                }
            })?);
        }
        Ok(out)
    }

    /// The actions `principal` may take on `resource`: every action the
    /// schema declares or a role permits, each decided through the index.
    pub async fn actions(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        roles: &BTreeSet<String>,
        resource: &EntityRef,
        context: &Map<String, Value>,
    ) -> Result<Vec<String>> {
        let prepared = self.prepare(tenant, principal, roles, resource).await?;
        let mut allowed = Vec::new();
        for action in &prepared.compiled.actions {
            if self.evaluate(tenant, &prepared, action, context)?.allow {
                allowed.push(action_name(action));
            }
        }
        Ok(allowed)
    }

    /// Those of `resources` on which `principal` may take `action`.
    pub async fn filter(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        roles: &BTreeSet<String>,
        action: &str,
        resources: &[EntityRef],
        context: &Map<String, Value>,
    ) -> Result<Vec<EntityRef>> {
        let action = action_uid(action)?;
        let mut allowed = Vec::new();
        for r in resources {
            let prepared = self.prepare(tenant, principal, roles, r).await?;
            if self.evaluate(tenant, &prepared, &action, context)?.allow {
                allowed.push(r.clone());
            }
        }
        Ok(allowed)
    }

    /// The roles `principal` holds in the tenant: those its credentials
    /// carry and those assigned to it or its groups, with every role they
    /// inherit.
    pub async fn tenant_roles(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        credential_roles: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>> {
        let (generation, compiled) = self.compiled(tenant).await?;
        let mut held: BTreeSet<String> = if principal.ty == FOREIGN_USER {
            BTreeSet::new()
        } else {
            credential_roles.clone()
        };
        for (_, loaded) in self.closure(tenant, generation, principal).await? {
            if let Some(l) = loaded {
                held.extend(
                    l.record
                        .parents
                        .iter()
                        .filter(|p| p.is_role())
                        .map(|p| p.id.clone()),
                );
            }
        }
        Ok(expand(&compiled, held))
    }

    // ---- policies -----------------------------------------------------

    /// Publishes a new policy version (see [`PolicyStore::publish`]).
    pub async fn publish_policies(
        &self,
        tenant: &TenantId,
        draft: &PolicyDraft,
        replaces: Option<i64>,
        by: Option<&str>,
    ) -> Result<(PolicyVersion, Checked)> {
        let out = self.0.policies.publish(tenant, draft, replaces, by).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(out)
    }

    /// Publishes version `to`'s content again.
    pub async fn rollback_policies(
        &self,
        tenant: &TenantId,
        to: i64,
        by: Option<&str>,
    ) -> Result<(PolicyVersion, Checked)> {
        let out = self.0.policies.rollback(tenant, to, by).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(out)
    }

    // ---- roles --------------------------------------------------------

    /// The built-in and the tenant's roles.
    pub async fn roles(&self, tenant: &TenantId) -> Result<Vec<RoleDef>> {
        Ok(self.0.roles.all(tenant).await?.into_values().collect())
    }

    /// Creates or replaces a tenant role.
    pub async fn put_role(&self, tenant: &TenantId, role: RoleDef) -> Result<RoleDef> {
        let role = self.0.roles.put(tenant, role).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(role)
    }

    /// Deletes a tenant role.
    pub async fn delete_role(&self, tenant: &TenantId, name: &str) -> Result<()> {
        self.0.roles.delete(tenant, name).await?;
        self.changed(tenant, true, Vec::new()).await;
        Ok(())
    }

    async fn known_role(&self, tenant: &TenantId, role: &str) -> Result<()> {
        if self.0.roles.all(tenant).await?.contains_key(role) {
            Ok(())
        } else {
            Err(Error::not_found(format!("role `{role}` not found")))
        }
    }

    /// Assigns `role` to `principal` (a user, group or service) in the tenant.
    pub async fn assign_role(
        &self,
        tenant: &TenantId,
        role: &str,
        principal: &EntityRef,
    ) -> Result<()> {
        self.known_role(tenant, role).await?;
        self.0
            .store
            .add_parent(tenant, principal, &EntityRef::role(role))
            .await?;
        self.changed(tenant, false, vec![principal.clone()]).await;
        self.announce(
            tenant,
            "role.granted",
            serde_json::json!({ "role": role, "principal": principal.to_string() }),
        )
        .await;
        Ok(())
    }

    /// Publishes a tenant event for integrators (webhooks); best effort.
    async fn announce(&self, tenant: &TenantId, event_type: &str, data: Value) {
        if let Some(bus) = &self.0.events {
            caas_core::Envelope::new(self.0.clock.as_ref(), *tenant, event_type, data)
                .publish_or_log(bus.as_ref())
                .await;
        }
    }

    /// Removes `role` from `principal`; 404 when it did not hold it.
    pub async fn unassign_role(
        &self,
        tenant: &TenantId,
        role: &str,
        principal: &EntityRef,
    ) -> Result<()> {
        if !self
            .0
            .store
            .remove_parent(tenant, principal, &EntityRef::role(role))
            .await?
        {
            return Err(Error::not_found(format!(
                "{principal} does not hold role `{role}`"
            )));
        }
        self.changed(tenant, false, vec![principal.clone()]).await;
        self.announce(
            tenant,
            "role.revoked",
            serde_json::json!({ "role": role, "principal": principal.to_string() }),
        )
        .await;
        Ok(())
    }

    /// Who holds `role` directly (at most 1,000).
    pub async fn role_holders(&self, tenant: &TenantId, role: &str) -> Result<Vec<EntityRef>> {
        self.known_role(tenant, role).await?;
        self.0.store.children(tenant, &EntityRef::role(role)).await
    }

    // ---- entities -----------------------------------------------------

    /// Entity `uid` as the engine reads it.
    pub async fn get_entity(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
    ) -> Result<Option<EntityRecord>> {
        uid.uid()?;
        self.0.provider.entity(tenant, uid).await
    }

    /// Creates or replaces an entity of the built-in store.
    pub async fn put_entity(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
        input: &EntityInput,
    ) -> Result<EntityRecord> {
        let record = self.0.store.put(tenant, uid, input).await?;
        self.changed(tenant, false, vec![uid.clone()]).await;
        Ok(record)
    }

    /// Deletes an entity of the built-in store.
    pub async fn delete_entity(&self, tenant: &TenantId, uid: &EntityRef) -> Result<()> {
        uid.uid()?;
        let changed = self
            .0
            .store
            .delete(tenant, uid)
            .await?
            .ok_or_else(|| Error::not_found(format!("entity {uid} not found")))?;
        self.changed(tenant, false, changed).await;
        Ok(())
    }

    /// The access entries `principal` holds on any resource.
    pub async fn access_held_by(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        principal.uid()?;
        self.0.store.access_held_by(tenant, principal).await
    }

    /// Deletes `principal`'s entity (its parents: groups and roles) and
    /// every access entry it holds; returns how many records went.
    pub async fn erase_principal(&self, tenant: &TenantId, principal: &EntityRef) -> Result<u64> {
        principal.uid()?;
        let held = self.0.store.access_held_by(tenant, principal).await?;
        let mut records = held.len() as u64;
        let mut changed = match self.0.store.delete(tenant, principal).await? {
            Some(changed) => {
                records += 1;
                changed
            }
            None => Vec::new(),
        };
        // Without an entity its entries stay; remove them one by one.
        for entry in self.0.store.access_held_by(tenant, principal).await? {
            if let Some(gone) = self.0.store.remove_access(tenant, &entry.id, None).await? {
                changed.push(gone.resource);
            }
        }
        changed.push(principal.clone());
        self.changed(tenant, false, changed).await;
        Ok(records)
    }

    // ---- access entries and grants ------------------------------------

    /// The access entries on `resource`.
    pub async fn access_on(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
    ) -> Result<Vec<AccessEntry>> {
        resource.uid()?;
        self.0.store.access_on(tenant, resource).await
    }

    /// Gives `principal` (of this tenant) `role` on `resource`.
    pub async fn add_access(
        &self,
        tenant: &TenantId,
        resource: &EntityRef,
        principal: &EntityRef,
        role: &str,
        by: Option<&str>,
    ) -> Result<AccessEntry> {
        self.known_role(tenant, role).await?;
        let entry = self
            .0
            .store
            .add_access(tenant, resource, principal, role, None, by)
            .await?;
        self.changed(tenant, false, vec![resource.clone()]).await;
        Ok(entry)
    }

    /// Removes access entry `id` (not a grant).
    pub async fn remove_access(&self, tenant: &TenantId, id: &str) -> Result<AccessEntry> {
        let entry = self
            .0
            .store
            .remove_access(tenant, id, Some(false))
            .await?
            .ok_or_else(|| Error::not_found(format!("access entry `{id}` not found")))?;
        self.changed(tenant, false, vec![entry.resource.clone()])
            .await;
        Ok(entry)
    }

    /// Grants `subject` of tenant `grantee` `role` on `resource` of `tenant`.
    pub async fn grant(
        &self,
        tenant: &TenantId,
        grantee: &TenantId,
        subject: &str,
        role: &str,
        resource: &EntityRef,
        by: Option<&str>,
    ) -> Result<AccessEntry> {
        if grantee == tenant {
            return Err(Error::invalid_input(
                "a grant is for another tenant's principal: give access within a tenant with an access entry",
            )
            .with_field("grantee_tenant"));
        }
        self.known_role(tenant, role).await?;
        let principal = EntityRef::foreign(grantee, subject);
        let entry = self
            .0
            .store
            .add_access(tenant, resource, &principal, role, Some(grantee), by)
            .await?;
        self.changed(tenant, false, vec![resource.clone()]).await;
        self.announce(tenant, "grant.created", grant_event(&entry, grantee))
            .await;
        Ok(entry)
    }

    /// Revokes grant `id`.
    pub async fn revoke_grant(&self, tenant: &TenantId, id: &str) -> Result<AccessEntry> {
        let entry = self
            .0
            .store
            .remove_access(tenant, id, Some(true))
            .await?
            .ok_or_else(|| Error::not_found(format!("grant `{id}` not found")))?;
        self.changed(tenant, false, vec![entry.resource.clone()])
            .await;
        if let Some(grantee) = entry.grantee_tenant {
            self.announce(tenant, "grant.revoked", grant_event(&entry, &grantee))
                .await;
        }
        Ok(entry)
    }

    /// The tenant's grants to other tenants' principals.
    pub async fn grants(&self, tenant: &TenantId) -> Result<Vec<AccessEntry>> {
        self.0.store.grants(tenant).await
    }
}
