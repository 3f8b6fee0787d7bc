//! The server's own tables: the admin key and the webhook outbox.

use caas_core::sql::{Migration, Migrations};

/// caas-server's migrations (versions 90_001…), run after every library crate's.
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-server",
    sqlite: &[Migration {
        version: 90_001,
        description: "admin key, webhooks",
        sql: include_str!("../migrations/sqlite/90001_gateway.sql"),
    }],
    postgres: &[Migration {
        version: 90_001,
        description: "admin key, webhooks (tenant RLS, dispatcher policy)",
        sql: include_str!("../migrations/postgres/90001_gateway.sql"),
    }],
};
