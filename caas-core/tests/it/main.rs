//! caas-core's integration tests: one binary, a module per concept. The
//! conformance suites run on every backend through `backend_tests!`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

mod events;
mod kv;
mod limits;
mod resolver;
mod rls;
mod sql;
mod tenants;

use std::sync::Arc;

use caas_core::testkit::Backend;
use caas_core::{MemoryTenantStore, SharedTenantStore, SqlTenantStore};

/// The tenant store of a backend: SQL if it has a database, memory otherwise.
pub(crate) fn tenant_store(b: &Backend) -> SharedTenantStore {
    match b.db() {
        Some(db) => Arc::new(SqlTenantStore::new(db.clone(), b.shared_clock())),
        None => Arc::new(MemoryTenantStore::new(b.shared_clock())),
    }
}

/// A tenant-owned table for SQL and RLS tests, made tenant-owned the way
/// every crate's migrations do it.
pub(crate) static PROBE: caas_core::sql::Migrations = caas_core::sql::Migrations {
    component: "caas-core-tests",
    sqlite: &[caas_core::sql::Migration {
        version: 990_001,
        description: "probe",
        sql: "CREATE TABLE probe (
                  id TEXT PRIMARY KEY NOT NULL,
                  tenant_id TEXT NOT NULL,
                  n BIGINT, f DOUBLE PRECISION, flag BOOLEAN, note TEXT, data BLOB
              );",
    }],
    postgres: &[caas_core::sql::Migration {
        version: 990_001,
        description: "probe",
        sql: "CREATE TABLE probe (
                  id TEXT PRIMARY KEY NOT NULL,
                  tenant_id TEXT NOT NULL,
                  n BIGINT, f DOUBLE PRECISION, flag BOOLEAN, note TEXT, data BYTEA
              );
              SELECT caas_enable_tenant_rls('probe');",
    }],
    retired: &[],
};
