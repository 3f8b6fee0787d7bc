//! Wiring caas-auth into the server: the parts on the server's backends,
//! the issuer base URL, and the gateway authenticators (JWT, API key) after
//! the admin key.

use std::net::SocketAddr;
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
use caas_auth::{ApiKeyAuthenticator, Auth, AuthParts, TokenAuthenticator};
use caas_core::{Authenticators, Result, SharedClock, SharedTenantStore};
use caas_crypto::KeyManager;

use crate::backends::Backends;
use crate::config::ServeConfig;

/// The base of every tenant's issuer URL: `public_url`, or the address the
/// server listens on (`localhost` for a wildcard address).
pub fn public_base(config: &ServeConfig, local: SocketAddr) -> String {
    match &config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None if local.ip().is_unspecified() || local.ip().is_loopback() => {
            format!("http://localhost:{}", local.port())
        }
        None => format!("http://{local}"),
    }
}

/// Every caas-auth part on the server's backends.
pub fn build(
    config: &ServeConfig,
    backends: &Backends,
    clock: &SharedClock,
    keys: Arc<caas_crypto::SqlKeyManager>,
    public_base: &str,
) -> Result<Auth> {
    let db = backends.db.clone();
    let kv = backends.kv.clone();
    let events = backends.events.clone();
    let tokens_config = TokenConfig {
        public_url: public_base.to_owned(),
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
        memory_kib: config.auth.password_hash_memory_kib,
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
        trusted: TrustedDevices::new(kv),
        clients: caas_auth::oauth::OAuthClients::new(db.clone(), clock.clone()),
        api_keys: ApiKeys::new(db, clock.clone()),
        tickets: Tickets::new(backends.kv.clone(), caas_auth::tickets::DEFAULT_TTL),
        clock: clock.clone(),
    }))
}

/// `base` (the admin key) followed by the JWT and API-key authenticators.
pub fn authenticators(
    base: Authenticators,
    auth: &Auth,
    tenants: SharedTenantStore,
) -> Authenticators {
    base.with(Arc::new(TokenAuthenticator::new(
        auth.parts().tokens.clone(),
        tenants,
        auth.attenuation().clone(),
    )))
    .with(Arc::new(ApiKeyAuthenticator::new(
        auth.parts().api_keys.clone(),
        auth.attenuation().clone(),
    )))
}
