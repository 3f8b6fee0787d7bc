//! caas-webhooks' tables: endpoints and the delivery outbox.

use caas_core::sql::{Migration, Migrations};

/// caas-webhooks' migrations (versions 70_001…).
///
/// Version 90_001 created these tables (and the admin key's) when they
/// belonged to caas-server; it is retired here, and 70_001 creates what a
/// database lacks.
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-webhooks",
    sqlite: &[Migration {
        version: 70_001,
        description: "webhooks and their delivery outbox",
        sql: include_str!("../migrations/sqlite/70001_webhooks.sql"),
    }],
    postgres: &[Migration {
        version: 70_001,
        description: "webhooks and their delivery outbox (tenant RLS, dispatcher policy)",
        sql: include_str!("../migrations/postgres/70001_webhooks.sql"),
    }],
    retired: &[90_001],
};
