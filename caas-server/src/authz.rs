//! Wiring caas-authz into the server: the engine on the server's database
//! and event bus (so every instance drops what another changed), with
//! decisions audited to the log.

use std::sync::Arc;

use caas_authz::{Engine, EngineConfig, EngineParts, PolicyStore, RoleStore, SqlEntities};
use caas_core::{SharedAuditSink, SharedClock};

use crate::backends::Backends;

/// The authorization engine on `backends`.
pub fn build(backends: &Backends, clock: &SharedClock, audit: SharedAuditSink) -> Engine {
    let db = backends.db.clone();
    let store = SqlEntities::new(db.clone(), clock.clone());
    Engine::new(EngineParts {
        policies: PolicyStore::new(db.clone(), clock.clone()),
        roles: RoleStore::new(db, clock.clone()),
        provider: Arc::new(store.clone()),
        store,
        events: Some(backends.events.clone()),
        audit: Some(audit),
        clock: clock.clone(),
        config: EngineConfig::default(),
    })
}
