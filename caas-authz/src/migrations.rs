//! caas-authz's tables.

use caas_core::sql::{Migration, Migrations};

/// caas-authz's migrations (versions 40_001…).
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-authz",
    sqlite: &[
        Migration {
            version: 40_001,
            description: "policy versions",
            sql: include_str!("../migrations/sqlite/40001_policies.sql"),
        },
        Migration {
            version: 40_002,
            description: "entities, parents, access entries, roles",
            sql: include_str!("../migrations/sqlite/40002_entities.sql"),
        },
    ],
    postgres: &[
        Migration {
            version: 40_001,
            description: "policy versions (tenant RLS)",
            sql: include_str!("../migrations/postgres/40001_policies.sql"),
        },
        Migration {
            version: 40_002,
            description: "entities, parents, access entries, roles (tenant RLS)",
            sql: include_str!("../migrations/postgres/40002_entities.sql"),
        },
    ],
    retired: &[],
};
