//! caas-auth's integration tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod api_keys;
mod attenuation;
mod durable_revocations;
mod federation;
mod flows;
mod handoff;
mod mfa;
mod oauth_clients;
mod oauth_provider;
mod remote;
mod revocation;
mod sessions;
mod tokens;
mod users;

use caas_core::testkit::Backend;
use caas_core::{NewTenant, SqlTenantStore, Tenant, TenantSlug, TenantStore};

/// A new tenant `slug` on the backend's database.
pub(crate) async fn tenant(b: &Backend, slug: &str) -> Tenant {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Auth"))
        .await
        .unwrap()
}
