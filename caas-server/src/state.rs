//! What every handler can reach.

use std::sync::Arc;

use caas_core::{
    Authenticators, RateLimiter, Result, SharedClock, SharedTenantStore, SqlTenantStore,
    TenantResolver, UsageMeter,
};

use crate::backends::Backends;
use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::provision::Provisioners;
use crate::webhooks::Webhooks;

/// Shared application state: one `Arc`, so the clone every middleware layer
/// and handler takes costs a reference count (cloning the fields each time
/// was the largest cost of a request, measured with `benches/gateway.rs`).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl From<Services> for AppState {
    fn from(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

/// What every handler can reach, through [`AppState`].
#[derive(Debug, Clone)]
pub struct Services {
    /// The validated configuration.
    pub config: Arc<ServeConfig>,
    /// The backends.
    pub backends: Backends,
    /// The clock.
    pub clock: SharedClock,
    /// The tenant registry.
    pub tenants: SharedTenantStore,
    /// Finds the tenant of a request.
    pub resolver: TenantResolver,
    /// Turns credentials into principals.
    pub authenticators: Authenticators,
    /// The limiter behind every rate limit.
    pub limiter: RateLimiter,
    /// Per-tenant usage and quotas.
    pub usage: UsageMeter,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Webhook endpoints and deliveries.
    pub webhooks: Webhooks,
    /// Tenant keys, data keys, subject keys.
    pub keys: Arc<caas_crypto::SqlKeyManager>,
    /// E2E devices and their prekeys (public keys only).
    pub prekeys: caas_crypto::PrekeyStore,
    /// E2E ciphertexts waiting for devices.
    pub mailbox: caas_crypto::Mailbox,
    /// What runs when a tenant is created or resumed.
    pub provisioners: Provisioners,
    /// Users, passwords, tokens, sessions, MFA, API keys.
    pub auth: caas_auth::Auth,
    /// Every tenant's OAuth 2.0 / OpenID Connect provider.
    pub oidc: caas_auth::oauth::Provider,
    /// Upstream identity providers and logins through them.
    pub federation: caas_auth::federation::Federation,
    /// Every tenant's authorization: policies, roles, entities, access
    /// entries, grants and decisions.
    pub authz: caas_authz::Engine,
    /// KSP, KSPOV and the tenant's rule sets: games and their history.
    pub games: caas_game::Games,
    /// Every tenant's tamper-evident audit log (every crate's audit sink).
    pub audit_log: caas_privacy::AuditLog,
    /// Consent, data-subject requests over every crate, legal holds,
    /// retention, breaches, records of processing.
    pub privacy: caas_privacy::Privacy,
    /// The key of the provider pages' CSRF tokens (derived from the master key).
    pub csrf_key: crate::routes::oidc::web::CsrfKey,
}

impl Services {
    /// Builds the services over opened backends.
    pub fn new(
        config: ServeConfig,
        backends: Backends,
        clock: SharedClock,
        authenticators: Authenticators,
        master: caas_crypto::MasterKey,
        public_base: &str,
    ) -> Result<Self> {
        let tenants: SharedTenantStore =
            Arc::new(SqlTenantStore::new(backends.db.clone(), clock.clone()));
        let resolver = TenantResolver::new(
            tenants.clone(),
            &config.tenancy.order,
            config.tenancy.base_domain.as_deref(),
        )?;
        let limiter = RateLimiter::new(backends.kv.clone(), clock.clone());
        let usage = UsageMeter::new(backends.kv.clone(), clock.clone());
        let metrics = Arc::new(Metrics::default());
        let webhooks = Webhooks::new(backends.db.clone(), clock.clone(), &config.webhooks)?;
        let csrf_key = crate::routes::oidc::web::CsrfKey::derive(&master)?;
        let keys = Arc::new(caas_crypto::SqlKeyManager::new(
            backends.db.clone(),
            master,
            clock.clone(),
            Some(backends.events.clone()),
        ));
        let audit_log = crate::privacy::audit_log(&backends.db, keys.clone(), &clock);
        let authz = crate::authz::build(&backends, &clock, Arc::new(audit_log.clone()));
        // Every derived credential is capped by its owner's roles as the
        // engine answers them (assignments included).
        let auth = crate::auth::build(&config, &backends, &clock, keys.clone(), public_base)?
            .with_audit(Arc::new(audit_log.clone()))
            .with_roles(Arc::new(authz.clone()));
        let authenticators = crate::auth::authenticators(authenticators, &auth, tenants.clone());
        // Tenant key first: the signing key is sealed under it.
        let provisioners = Provisioners::default()
            .with(keys.clone())
            .with(auth.parts().tokens.keys().clone());
        let oidc =
            caas_auth::oauth::Provider::new(auth.clone(), backends.kv.clone(), backends.db.clone());
        let federation = {
            use caas_auth::federation::{FederatedLinks, Federation, IdentityProviders};
            let outbound = crate::outbound::Outbound::new(
                std::time::Duration::from_secs(10),
                config.auth.federation_allow_private_issuers,
            )?;
            Federation::new(
                IdentityProviders::new(backends.db.clone(), keys.clone(), clock.clone()),
                FederatedLinks::new(backends.db.clone(), clock.clone()),
                backends.kv.clone(),
                Arc::new(crate::federation::OutboundUpstream(outbound)),
                auth.clone(),
            )
        };
        let games = caas_game::Games::new(
            backends.db.clone(),
            backends.kv.clone(),
            Some(backends.events.clone()),
            clock.clone(),
            Arc::new(caas_game::OsChooser),
            caas_game::LiveConfig::default(),
        );
        let prekeys = caas_crypto::PrekeyStore::new(backends.db.clone(), clock.clone());
        let mailbox = caas_crypto::Mailbox::new(backends.db.clone(), clock.clone());
        let privacy = crate::privacy::build(
            &backends.db,
            keys.clone(),
            &clock,
            &backends.events,
            &audit_log,
            crate::privacy::Sources {
                auth: auth.clone(),
                authz: authz.clone(),
                games: games.clone(),
            },
        )?;
        Ok(Services {
            config: Arc::new(config),
            backends,
            clock,
            tenants,
            resolver,
            authenticators,
            limiter,
            usage,
            metrics,
            webhooks,
            keys,
            prekeys,
            mailbox,
            provisioners,
            oidc,
            federation,
            authz,
            games,
            auth,
            audit_log,
            privacy,
            csrf_key,
        })
    }
}

impl Services {
    /// Appends a security event by `actor` in `tenant` to its audit log; an
    /// event that cannot be recorded fails the request.
    pub async fn audit(
        &self,
        tenant: &caas_core::Tenant,
        actor: &str,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> caas_core::Result<()> {
        let event = caas_core::AuditEvent::new(self.clock.as_ref(), action)
            .tenant(tenant.id)
            .actor(actor)
            .target(target)
            .details(details);
        caas_core::AuditSink::record(&self.audit_log, event).await
    }

    /// Publishes a tenant event (webhooks deliver it). A bus that is down is
    /// logged, not returned: the change it reports is already committed.
    pub async fn publish(
        &self,
        tenant: &caas_core::Tenant,
        event_type: &str,
        data: serde_json::Value,
    ) {
        let event = caas_core::Envelope::new(self.clock.as_ref(), tenant.id, event_type, data);
        if let Err(e) = event.publish(self.backends.events.as_ref()).await {
            tracing::warn!(error = %e, event = event_type, tenant = %tenant.slug, "cannot publish an event");
        }
    }
}
