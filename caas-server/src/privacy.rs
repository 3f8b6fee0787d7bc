//! Wiring caas-privacy into the server: the audit log (every crate's
//! `AuditSink`), the privacy service with every crate's data-subject
//! source registered, the background schedule (retention, overdue
//! breaches), and the operator commands `audit verify` and
//! `privacy retention run`.

use std::sync::Arc;
use std::time::Duration;

use caas_core::{Db, Error, Result, SharedClock, SharedEventBus, SharedTenantStore, TenantId};
use caas_privacy::{AuditLog, AuditLogSource, Privacy, PrivacyParts};
use tokio::sync::watch;

/// How often the schedule runs retention and checks breach deadlines.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(3_600);

/// The audit log on `db`, sealing with `keys`.
pub fn audit_log(db: &Db, keys: Arc<caas_crypto::SqlKeyManager>, clock: &SharedClock) -> AuditLog {
    AuditLog::new(db.clone(), keys, clock.clone())
}

/// Every crate's data-subject source, in the order exports list them.
pub struct Sources {
    /// caas-auth.
    pub auth: caas_auth::Auth,
    /// caas-authz.
    pub authz: caas_authz::Engine,
    /// caas-game.
    pub games: caas_game::Games,
}

/// The privacy service with every source registered.
pub fn build(
    db: &Db,
    keys: Arc<caas_crypto::SqlKeyManager>,
    clock: &SharedClock,
    events: &SharedEventBus,
    log: &AuditLog,
    sources: Sources,
) -> Result<Privacy> {
    let privacy = Privacy::new(PrivacyParts {
        db: db.clone(),
        keys,
        clock: clock.clone(),
        events: Some(events.clone()),
        audit: Some(Arc::new(log.clone())),
    });
    privacy.register(Arc::new(caas_auth::AccountSource::new(
        sources.auth,
        db.clone(),
    )))?;
    privacy.register(Arc::new(caas_crypto::E2eSource::new(db.clone())))?;
    privacy.register(Arc::new(caas_authz::AuthzSource(sources.authz)))?;
    privacy.register(Arc::new(caas_game::GameHistorySource(
        sources.games.history().clone(),
    )))?;
    privacy.register(Arc::new(AuditLogSource(log.clone())))?;
    Ok(privacy)
}

/// One pass of the schedule over every tenant: retention runs and overdue
/// breaches announced. Returns the records erased.
pub async fn run_schedule(privacy: &Privacy, tenants: &SharedTenantStore) -> Result<u64> {
    let mut erased = 0;
    for tenant in all_tenants(tenants).await? {
        erased += privacy
            .run_retention(&tenant, "retention-schedule")
            .await?
            .erased();
        privacy.announce_overdue_breaches(&tenant).await?;
    }
    Ok(erased)
}

/// Every tenant's id.
pub async fn all_tenants(tenants: &SharedTenantStore) -> Result<Vec<TenantId>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = tenants
            .list(&caas_core::Page {
                after,
                limit: caas_core::Page::MAX_LIMIT,
            })
            .await?;
        let Some(last) = page.last() else {
            return Ok(out);
        };
        after = Some(last.id);
        out.extend(page.iter().map(|t| t.id));
    }
}

/// Runs the schedule every [`SCHEDULE_EVERY`] until `stop` turns true.
pub async fn schedule(
    privacy: Privacy,
    tenants: SharedTenantStore,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(SCHEDULE_EVERY) => {}
            _ = stop.changed() => return,
        }
        match run_schedule(&privacy, &tenants).await {
            Ok(erased) => tracing::info!(erased, "privacy schedule ran"),
            Err(e) => tracing::error!(error = %e, "the privacy schedule failed"),
        }
    }
}

/// Resolves `--tenant` (id or slug) to a tenant id.
pub async fn tenant_arg(tenants: &SharedTenantStore, arg: &str) -> Result<TenantId> {
    let found = match arg.parse::<TenantId>() {
        Ok(id) => tenants.get(&id).await?,
        Err(_) => match caas_core::TenantSlug::parse(arg) {
            Ok(slug) => tenants.get_by_slug(&slug).await?,
            Err(_) => None,
        },
    };
    found
        .map(|t| t.id)
        .ok_or_else(|| Error::not_found(format!("tenant `{arg}` not found")).with_field("tenant"))
}
