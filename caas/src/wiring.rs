//! How the crates are put together on one set of backends: caas-auth's
//! parts, the authorization engine, the privacy service with every crate's
//! data-subject source. [`Platform::build`](crate::Platform::build) calls
//! these in dependency order.

use std::sync::Arc;

use caas_auth::api_keys::ApiKeys;
use caas_auth::lockout::{Lockout, LockoutPolicy};
use caas_auth::mfa::{Challenges, MfaStore, TrustedDevices};
use caas_auth::password::{HashParams, PasswordHasher, PasswordPolicy};
use caas_auth::refresh::{RefreshPolicy, RefreshTokens};
use caas_auth::revocation::Revocations;
use caas_auth::sessions::{SessionPolicy, SessionStore};
use caas_auth::tickets::Tickets;
use caas_auth::tokens::{KeyPolicy, SigningKeys, TokenConfig, TokenService};
use caas_auth::users::SqlUserStore;
use caas_auth::{Auth, AuthParts};
use caas_authz::{Engine, EngineConfig, EngineParts, PolicyStore, RoleStore, SqlEntities};
use caas_core::{Result, SharedAuditSink, SharedClock};
use caas_crypto::{KeyManager, SqlKeyManager};
use caas_privacy::{AuditLog, AuditLogSource, Privacy, PrivacyParts};

use crate::backends::Backends;
use crate::config::AuthConfig;

/// Every caas-auth part on `backends`, issuing tokens under `public_url`.
pub(crate) fn auth(
    config: &AuthConfig,
    backends: &Backends,
    clock: &SharedClock,
    keys: Arc<SqlKeyManager>,
    public_url: &str,
) -> Result<Auth> {
    let db = backends.db.clone();
    let kv = backends.kv.clone();
    let events = backends.events.clone();
    let tokens_config = TokenConfig {
        public_url: public_url.trim_end_matches('/').to_owned(),
        ..TokenConfig::default()
    };
    let keys: Arc<dyn KeyManager> = keys;
    let revocations = Revocations::new(
        db.clone(),
        kv.clone(),
        events.clone(),
        clock.clone(),
        tokens_config.overlap(),
    );
    let signing = Arc::new(SigningKeys::new(
        db.clone(),
        keys.clone(),
        clock.clone(),
        KeyPolicy {
            overlap: tokens_config.overlap(),
            ..KeyPolicy::default()
        },
    ));
    let sessions = SessionStore::new(
        db.clone(),
        kv.clone(),
        clock.clone(),
        revocations.clone(),
        SessionPolicy::default(),
    );
    let hash = HashParams {
        memory_kib: config.password_hash_memory_kib,
        ..HashParams::default()
    };
    Ok(Auth::new(AuthParts {
        users: Arc::new(SqlUserStore::new(db.clone(), clock.clone())),
        hasher: PasswordHasher::new(hash)?,
        policy: PasswordPolicy::default(),
        lockout: Lockout::new(kv.clone(), LockoutPolicy::default()),
        refresh: RefreshTokens::new(
            db.clone(),
            clock.clone(),
            events,
            sessions.clone(),
            RefreshPolicy::default(),
        ),
        sessions,
        tokens: TokenService::new(signing, revocations, clock.clone(), tokens_config)?,
        mfa: MfaStore::new(db.clone(), keys, clock.clone()),
        challenges: Challenges::new(kv.clone()),
        trusted: TrustedDevices::new(kv.clone()),
        clients: caas_auth::oauth::OAuthClients::new(db.clone(), clock.clone()),
        api_keys: ApiKeys::new(db, clock.clone()),
        tickets: Tickets::new(kv, config.ticket_ttl),
        clock: clock.clone(),
    }))
}

/// The authorization engine on `backends` (every instance drops what
/// another changed), with decisions audited to `audit`.
pub(crate) fn authz(backends: &Backends, clock: &SharedClock, audit: SharedAuditSink) -> Engine {
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

/// The crates a data-subject request reaches.
pub(crate) struct Sources {
    pub(crate) auth: Auth,
    pub(crate) authz: Engine,
    pub(crate) games: caas_game::Games,
}

/// The privacy service with every crate's data-subject source registered,
/// in the order exports list them.
pub(crate) fn privacy(
    backends: &Backends,
    keys: Arc<SqlKeyManager>,
    clock: &SharedClock,
    log: &AuditLog,
    sources: Sources,
) -> Result<Privacy> {
    let db = &backends.db;
    let privacy = Privacy::new(PrivacyParts {
        db: db.clone(),
        keys,
        clock: clock.clone(),
        events: Some(backends.events.clone()),
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
