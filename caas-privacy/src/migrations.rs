//! caas-privacy's tables.

use caas_core::sql::{Migration, Migrations};

/// caas-privacy's migrations (versions 60_001…).
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-privacy",
    sqlite: &[
        Migration {
            version: 60_001,
            description: "audit log: heads, entries, tree nodes, checkpoints",
            sql: include_str!("../migrations/sqlite/60001_audit.sql"),
        },
        Migration {
            version: 60_002,
            description: "purposes, consents, requests, holds, retention, breaches, processing, deletion log",
            sql: include_str!("../migrations/sqlite/60002_privacy.sql"),
        },
    ],
    postgres: &[
        Migration {
            version: 60_001,
            description: "audit log: heads, entries, tree nodes, checkpoints (tenant RLS)",
            sql: include_str!("../migrations/postgres/60001_audit.sql"),
        },
        Migration {
            version: 60_002,
            description: "purposes, consents, requests, holds, retention, breaches, processing, deletion log (tenant RLS)",
            sql: include_str!("../migrations/postgres/60002_privacy.sql"),
        },
    ],
    retired: &[],
};
