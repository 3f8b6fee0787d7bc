//! [`Engine`]: a tenant's authorization decisions.
//!
//! A decision evaluates, with Cedar and through the policy index
//! ([`SlicedPolicies`](crate::SlicedPolicies)), the tenant's published
//! policies together with the role policies (see [`crate::roles`]), over
//! only the entities the request touches: the principal and its ancestors
//! (groups, roles), the resource and its ancestors (folders), the roles, and
//! the actions. Roles a principal holds *on the resource* — through an
//! access entry on it or on an ancestor (unless an entity in between breaks
//! inheritance), or through a cross-tenant grant — count as held for that
//! request.
//!
//! Four caches, per tenant: the compiled policies, the entities, each
//! request's assembled Cedar entities (by principal, resource, their
//! versions and the roles held), and the decisions, keyed by (policy build,
//! entity versions, request). Every write through the engine's
//! [`AuthzAdmin`] drops what it changed here and, through the `EventBus`, on
//! every other instance.
//!
//! The engine is a folder of its concepts:
//!
//! - `decisions`: the public questions (authorize, batches, "which
//!   actions", filters, tenant roles) and a decision's evaluation;
//! - `loading`: the compiled policies and the entities a decision reads,
//!   and the roles a principal holds for a request;
//! - `caches`: the four per-tenant caches and their generation;
//! - `invalidation`: dropping cached data here and, over the event bus, on
//!   every other instance;
//! - `audit`: recording decisions in the audit sink;
//! - `admin`: [`AuthzAdmin`], the stores' reads and writes that invalidate
//!   and announce what they change.

mod admin;
mod audit;
mod caches;
mod decisions;
mod invalidation;
mod loading;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use caas_core::{SharedAuditSink, SharedClock, SharedEventBus, new_id};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entities::{AccessEntry, EntityProvider, SqlEntities};
use crate::model::EntityRef;
use crate::roles::RoleStore;
use crate::store::PolicyStore;

pub use self::admin::AuthzAdmin;
pub use self::invalidation::CHANGED_TOPIC;

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    caches: RwLock<caches::Caches>,
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
            caches: RwLock::new(caches::Caches::default()),
            serial: AtomicU64::new(1),
            allows: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }))
    }

    /// The tenant's roles, entities, access entries, grants and policy
    /// versions, read and written: every write drops what it changed from
    /// the caches of every instance (and announces role and grant changes
    /// to integrators).
    ///
    /// Nothing here checks who asks: the route checks (or the
    /// application) have decided that. To share on behalf of a principal,
    /// within the roles it holds, use [`Engine::share`].
    pub fn admin(&self) -> AuthzAdmin<'_> {
        AuthzAdmin::new(self)
    }

    /// Decisions answered from the cache so far.
    pub fn cache_hits(&self) -> u64 {
        self.0.hits.load(Ordering::Relaxed)
    }

    /// The policy store.
    pub fn policy_store(&self) -> &PolicyStore {
        &self.0.policies
    }
}
