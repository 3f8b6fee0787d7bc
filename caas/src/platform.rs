//! [`Platform`]: every CAAS capability composed on one set of backends.

use std::sync::Arc;

use caas_core::{
    AuditEvent, Authenticators, Envelope, EventCatalogue, Result, SharedClock, SharedTenantStore,
    SqlTenantStore, SystemClock, Tenant,
};
use caas_crypto::{MasterKey, SqlKeyManager};

use crate::backends::{self, Backends};
use crate::config::PlatformConfig;
use crate::provision::Provisioners;

/// Every capability of CAAS over one database, cache and event bus: what
/// `caas-server` serves over HTTP, usable as a library. Cheap to clone.
///
/// [`Platform::open`] opens the backends of a [`PlatformConfig`] (and
/// migrates them); [`Platform::build`] composes over backends opened
/// elsewhere. Each field is one crate's handle.
#[derive(Debug, Clone)]
pub struct Platform {
    /// The database, cache and event bus.
    pub backends: Backends,
    /// The clock every part reads.
    pub clock: SharedClock,
    /// The tenant registry.
    pub tenants: SharedTenantStore,
    /// Tenant keys, data keys, subject keys.
    pub keys: Arc<SqlKeyManager>,
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
    /// Webhook endpoints, the delivery outbox and the outbound client.
    pub webhooks: caas_webhooks::Webhooks,
    master: Arc<MasterKey>,
}

impl Platform {
    /// Opens the backends of `config` (migrating them when
    /// `config.migrate` is set), resolves the master key and composes every
    /// capability. A missing master key is found before any backend is
    /// touched.
    pub async fn open(config: &PlatformConfig) -> Result<Self> {
        config.validate()?;
        let master = crate::master_key::resolve(config)?;
        let clock: SharedClock = SystemClock::shared();
        let backends = backends::open(config, clock.clone()).await?;
        let platform = Self::build(config, backends, clock, master)?;
        platform.recover().await?;
        Ok(platform)
    }

    /// Composes every capability over `backends` (already migrated).
    pub fn build(
        config: &PlatformConfig,
        backends: Backends,
        clock: SharedClock,
        master: MasterKey,
    ) -> Result<Self> {
        let master = Arc::new(master);
        let tenants: SharedTenantStore =
            Arc::new(SqlTenantStore::new(backends.db.clone(), clock.clone()));
        let keys = Arc::new(SqlKeyManager::new(
            backends.db.clone(),
            (*master).clone(),
            clock.clone(),
            Some(backends.events.clone()),
        ));
        let audit_log =
            caas_privacy::AuditLog::new(backends.db.clone(), keys.clone(), clock.clone());
        let authz = crate::wiring::authz(&backends, &clock, Arc::new(audit_log.clone()));
        // Every derived credential is capped by its owner's roles as the
        // engine answers them (assignments included).
        let auth = crate::wiring::auth(
            &config.auth,
            &backends,
            &clock,
            keys.clone(),
            &config.public_url,
        )?
        .with_audit(Arc::new(audit_log.clone()))
        .with_roles(Arc::new(authz.clone()));
        // Tenant key first: the signing key is sealed under it.
        let provisioners = Provisioners::default()
            .with(keys.clone())
            .with(auth.parts().tokens.keys().clone());
        let oidc =
            caas_auth::oauth::Provider::new(auth.clone(), backends.kv.clone(), backends.db.clone());
        let catalogue = Arc::new(Self::catalogue()?);
        let webhooks = caas_webhooks::Webhooks::new(
            backends.db.clone(),
            clock.clone(),
            config.webhooks.clone(),
            catalogue,
        )?;
        let federation = crate::federation::federation(
            &backends,
            &clock,
            keys.clone(),
            &auth,
            config.auth.federation_allow_private_issuers,
        )?;
        let games = caas_game::Games::new(
            backends.db.clone(),
            backends.kv.clone(),
            Some(backends.events.clone()),
            clock.clone(),
            Arc::new(caas_game::OsChooser),
            caas_game::LiveConfig::default(),
        );
        let prekeys = caas_crypto::PrekeyStore::new(backends.db.clone(), clock.clone())
            .with_events(backends.events.clone());
        let mailbox = caas_crypto::Mailbox::new(backends.db.clone(), clock.clone());
        let privacy = crate::wiring::privacy(
            &backends,
            keys.clone(),
            &clock,
            &audit_log,
            crate::wiring::Sources {
                auth: auth.clone(),
                authz: authz.clone(),
                games: games.clone(),
            },
        )?;
        Ok(Platform {
            backends,
            clock,
            tenants,
            keys,
            prekeys,
            mailbox,
            provisioners,
            auth,
            oidc,
            federation,
            authz,
            games,
            audit_log,
            privacy,
            webhooks,
            master,
        })
    }

    /// Every event type the platform's crates publish: what webhooks may
    /// subscribe to.
    pub fn catalogue() -> Result<EventCatalogue> {
        EventCatalogue::new()
            .with(caas_core::EVENTS)?
            .with(caas_auth::EVENTS)?
            .with(caas_authz::EVENTS)?
            .with(caas_crypto::EVENTS)?
            .with(caas_privacy::EVENTS)?
            .with(caas_webhooks::EVENTS)
    }

    /// What opening repairs and loads before serving: stored expiries out
    /// of range are clamped (logged), and the revocation cache starts with
    /// every stored revocation.
    pub async fn recover(&self) -> Result<()> {
        let tenants: Vec<_> = self.tenants.all().await?.iter().map(|t| t.id).collect();
        match caas_auth::repair::clamp_stored_timestamps(&self.backends.db, &tenants).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                repaired = n,
                "clamped {n} stored expiries outside 0000-01-01..9999-12-31 into that range"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot check stored expiries"),
        }
        self.auth.parts().tokens.revocations().load(tenants).await?;
        Ok(())
    }

    /// `base` (say, a platform admin key) followed by the JWT and API-key
    /// authenticators: what turns a request's credential into a principal.
    pub fn authenticators(&self, base: Authenticators) -> Authenticators {
        base.with(Arc::new(caas_auth::TokenAuthenticator::new(
            self.auth.parts().tokens.clone(),
            self.tenants.clone(),
            self.auth.attenuation().clone(),
        )))
        .with(Arc::new(caas_auth::ApiKeyAuthenticator::new(
            self.auth.parts().api_keys.clone(),
            self.auth.attenuation().clone(),
        )))
    }

    /// Appends a security event by `actor` in `tenant` to its audit log; an
    /// event that cannot be recorded is an error.
    pub async fn audit(
        &self,
        tenant: &Tenant,
        actor: &str,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let event = AuditEvent::new(self.clock.as_ref(), action)
            .tenant(tenant.id)
            .actor(actor)
            .target(target)
            .details(details);
        caas_core::AuditSink::record(&self.audit_log, event).await
    }

    /// Publishes a tenant event (webhooks deliver it); a bus that is down
    /// is logged: the change it reports is already committed.
    pub async fn publish(&self, tenant: &Tenant, event_type: &str, data: serde_json::Value) {
        Envelope::new(self.clock.as_ref(), tenant.id, event_type, data)
            .publish_or_log(self.backends.events.as_ref())
            .await;
    }

    /// A 32-byte key for `label`, derived from the master key
    /// (HMAC-SHA256 keyed by it, over the label), for platform secrets that
    /// must survive restarts and agree across instances (the login pages'
    /// CSRF key, say). It tells nothing about the master key.
    pub fn derive_key(&self, label: &str) -> Result<zeroize::Zeroizing<[u8; 32]>> {
        use hmac::{KeyInit, Mac};
        let text = self.master.to_text();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(text.as_bytes())
            .map_err(|_| caas_core::Error::internal("the master key cannot key HMAC"))?;
        mac.update(label.as_bytes());
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Ok(key)
    }

    /// Closes the database pool (waits for connections in use).
    pub async fn close(&self) {
        self.backends.db.close().await;
    }
}
