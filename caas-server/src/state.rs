//! What every handler can reach.

use std::sync::Arc;

use caas_core::{RateLimit, RateLimiter, SharedClock, SharedTenantStore, SqlTenantStore};

use crate::backends::Backends;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The backends.
    pub backends: Backends,
    /// The clock.
    pub clock: SharedClock,
    /// The tenant registry.
    pub tenants: SharedTenantStore,
    /// The limiter behind the per-IP limit.
    pub limiter: RateLimiter,
    /// Requests per client IP; `None` when disabled.
    pub ip_limit: Option<RateLimit>,
}

impl AppState {
    /// Builds the state over opened backends.
    pub fn new(backends: Backends, clock: SharedClock, ip_limit: Option<RateLimit>) -> Self {
        let tenants = Arc::new(SqlTenantStore::new(backends.db.clone(), clock.clone()));
        let limiter = RateLimiter::new(backends.kv.clone(), clock.clone());
        AppState {
            backends,
            clock,
            tenants,
            limiter,
            ip_limit,
        }
    }
}
