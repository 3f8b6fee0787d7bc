//! The core crate's migrations: the `caas_app` role, the RLS helpers, `tenants`.

use crate::sql::{Migration, Migrations};

/// caas-core's migrations (versions 10_001…). Run them before any other crate's.
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-core",
    sqlite: &[Migration {
        version: 10_001,
        description: "tenants",
        sql: include_str!("../migrations/sqlite/10001_tenants.sql"),
    }],
    postgres: &[Migration {
        version: 10_001,
        description: "application role, tenant RLS helpers, tenants",
        sql: include_str!("../migrations/postgres/10001_tenants.sql"),
    }],
    retired: &[],
};
