//! caas-game's tables.

use caas_core::sql::{Migration, Migrations};

/// caas-game's migrations (versions 50_001…).
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-game",
    sqlite: &[Migration {
        version: 50_001,
        description: "rule sets, match history, players, restrictions",
        sql: include_str!("../migrations/sqlite/50001_history.sql"),
    }],
    postgres: &[Migration {
        version: 50_001,
        description: "rule sets, match history, players, restrictions (tenant RLS)",
        sql: include_str!("../migrations/postgres/50001_history.sql"),
    }],
    retired: &[],
};
