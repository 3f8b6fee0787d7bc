//! What every handler can reach: the [`caas::Platform`] (every capability)
//! and what only the HTTP server has (its configuration, the tenant
//! resolver, authenticators, limits, metrics).

use std::sync::Arc;

use caas::Platform;
use caas_core::{Authenticators, RateLimiter, Result, TenantResolver, UsageMeter};

use crate::config::ServeConfig;
use crate::metrics::Metrics;

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

/// What every handler can reach, through [`AppState`]. Dereferences to the
/// [`Platform`], so `state.auth`, `state.authz`, … are the crates' handles.
#[derive(Debug, Clone)]
pub struct Services {
    /// Every capability.
    pub platform: Platform,
    /// The validated configuration.
    pub config: Arc<ServeConfig>,
    /// Finds the tenant of a request.
    pub resolver: TenantResolver,
    /// Turns credentials into principals (the admin key, JWTs, API keys).
    pub authenticators: Authenticators,
    /// The limiter behind every rate limit.
    pub limiter: RateLimiter,
    /// Per-tenant usage and quotas.
    pub usage: UsageMeter,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The key of the provider pages' CSRF tokens (derived from the master key).
    pub csrf_key: crate::routes::oidc::web::CsrfKey,
}

impl std::ops::Deref for Services {
    type Target = Platform;

    fn deref(&self) -> &Platform {
        &self.platform
    }
}

impl Services {
    /// The server's services over `platform`; `base` authenticators (the
    /// admin key) come before the platform's JWT and API-key ones.
    pub fn new(config: ServeConfig, platform: Platform, base: Authenticators) -> Result<Self> {
        let resolver = TenantResolver::new(
            platform.tenants.clone(),
            &config.tenancy.order,
            config.tenancy.base_domain.as_deref(),
        )?;
        let kv = platform.backends.kv.clone();
        let limiter = RateLimiter::new(kv.clone(), platform.clock.clone());
        let usage = UsageMeter::new(kv, platform.clock.clone());
        let csrf_key = crate::routes::oidc::web::CsrfKey::derive(&platform)?;
        let authenticators = platform.authenticators(base);
        Ok(Services {
            platform,
            config: Arc::new(config),
            resolver,
            authenticators,
            limiter,
            usage,
            metrics: Arc::new(Metrics::default()),
            csrf_key,
        })
    }
}
