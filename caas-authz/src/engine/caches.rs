//! The engine's caches: per tenant, the compiled policies, the entities,
//! each request's assembled Cedar entities and the decisions, under one
//! lock, with a generation that every change raises.
//!
//! What was loaded while a change happened (the generation moved on) is
//! answered but not kept, since it may already be stale. A tenant's cache
//! that is full is emptied rather than evicted entry by entry.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use caas_core::{Error, Result, TenantId};
use cedar_policy::Entities;

use super::loading::{Compiled, Loaded};
use super::{Decision, Engine};
use crate::model::EntityRef;

/// Every tenant's caches.
pub(super) type Caches = HashMap<TenantId, TenantCache>;

/// One tenant's caches.
#[derive(Default)]
pub(super) struct TenantCache {
    generation: u64,
    compiled: Option<Arc<Compiled>>,
    entities: HashMap<EntityRef, Option<Arc<Loaded>>>,
    /// The Cedar entities of a request, by the key of its decisions.
    entity_sets: HashMap<String, Arc<Entities>>,
    decisions: HashMap<String, Decision>,
}

fn lock_error() -> Error {
    Error::internal("authorization cache lock poisoned")
}

/// Inserts into a cache of at most `max` entries, emptied when full.
fn keep<K: Eq + Hash, V>(map: &mut HashMap<K, V>, max: usize, key: K, value: V) {
    if map.len() >= max {
        map.clear();
    }
    map.insert(key, value);
}

impl Engine {
    /// The tenant's generation, raised by every change.
    pub(super) fn generation(&self, tenant: &TenantId) -> Result<u64> {
        let caches = self.0.caches.read().map_err(|_| lock_error())?;
        Ok(caches.get(tenant).map_or(0, |c| c.generation))
    }

    /// Drops the tenant's decisions and request entities, its compiled
    /// policies (with `policies`) and `entities`, and raises its generation.
    pub(super) fn drop_local(
        &self,
        tenant: &TenantId,
        policies: bool,
        entities: &[EntityRef],
    ) -> Result<()> {
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

    /// The tenant's compiled policies, if cached, with their generation.
    pub(super) fn cached_compiled(
        &self,
        tenant: &TenantId,
    ) -> Result<Option<(u64, Arc<Compiled>)>> {
        let caches = self.0.caches.read().map_err(|_| lock_error())?;
        Ok(caches
            .get(tenant)
            .and_then(|c| c.compiled.as_ref().map(|p| (c.generation, p.clone()))))
    }

    /// Keeps `compiled`, loaded at `generation`, unless something changed.
    pub(super) fn keep_compiled(
        &self,
        tenant: &TenantId,
        generation: u64,
        compiled: &Arc<Compiled>,
    ) -> Result<()> {
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        if cache.generation == generation {
            cache.compiled = Some(compiled.clone());
        }
        Ok(())
    }

    /// Entity `uid`, if cached: `Some(None)` when it is known not to exist.
    pub(super) fn cached_entity(
        &self,
        tenant: &TenantId,
        uid: &EntityRef,
    ) -> Result<Option<Option<Arc<Loaded>>>> {
        let caches = self.0.caches.read().map_err(|_| lock_error())?;
        Ok(caches
            .get(tenant)
            .and_then(|c| c.entities.get(uid))
            .cloned())
    }

    /// Keeps entity `uid` (or that it does not exist), loaded at
    /// `generation`, unless something changed.
    pub(super) fn keep_entity(
        &self,
        tenant: &TenantId,
        generation: u64,
        uid: &EntityRef,
        loaded: &Option<Arc<Loaded>>,
    ) -> Result<()> {
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        if cache.generation == generation {
            keep(
                &mut cache.entities,
                self.0.config.max_entities,
                uid.clone(),
                loaded.clone(),
            );
        }
        Ok(())
    }

    /// The Cedar entities of the request with decision key `key`, if cached.
    pub(super) fn cached_entity_set(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> Result<Option<Arc<Entities>>> {
        let caches = self.0.caches.read().map_err(|_| lock_error())?;
        Ok(caches
            .get(tenant)
            .and_then(|c| c.entity_sets.get(key))
            .cloned())
    }

    /// Keeps a request's Cedar entities, built at `generation`, unless
    /// something changed or they are not cached.
    pub(super) fn keep_entity_set(
        &self,
        tenant: &TenantId,
        generation: u64,
        key: &str,
        set: &Arc<Entities>,
    ) -> Result<()> {
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        let max = self.0.config.max_entity_sets;
        if cache.generation == generation && max > 0 {
            keep(&mut cache.entity_sets, max, key.to_owned(), set.clone());
        }
        Ok(())
    }

    /// The decision with key `key`, if cached (counted as a hit).
    pub(super) fn cached_decision(&self, tenant: &TenantId, key: &str) -> Result<Option<Decision>> {
        let caches = self.0.caches.read().map_err(|_| lock_error())?;
        let hit = caches.get(tenant).and_then(|c| c.decisions.get(key));
        if hit.is_some() {
            self.0
                .hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(hit.cloned())
    }

    /// Keeps a decision, made at `generation`, unless something changed or
    /// decisions are not cached.
    pub(super) fn keep_decision(
        &self,
        tenant: &TenantId,
        generation: u64,
        key: String,
        decision: &Decision,
    ) -> Result<()> {
        let mut caches = self.0.caches.write().map_err(|_| lock_error())?;
        let cache = caches.entry(*tenant).or_default();
        let max = self.0.config.max_decisions;
        if cache.generation == generation && max > 0 {
            keep(&mut cache.decisions, max, key, decision.clone());
        }
        Ok(())
    }
}
