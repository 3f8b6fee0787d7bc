//! caas-crypto's tables: wrapped tenant, data and subject keys, shredding
//! records, rotation history.

use caas_core::sql::{Migration, Migrations};

/// caas-crypto's migrations (versions 20_001…), after caas-core's.
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-crypto",
    sqlite: &[
        Migration {
            version: 20_001,
            description: "key management",
            sql: include_str!("../migrations/sqlite/20001_keys.sql"),
        },
        Migration {
            version: 20_002,
            description: "e2e devices and prekeys",
            sql: include_str!("../migrations/sqlite/20002_prekeys.sql"),
        },
        Migration {
            version: 20_003,
            description: "e2e mailbox",
            sql: include_str!("../migrations/sqlite/20003_mailbox.sql"),
        },
        Migration {
            version: 20_004,
            description: "background re-wrapping",
            sql: include_str!("../migrations/sqlite/20004_rewrap.sql"),
        },
    ],
    postgres: &[
        Migration {
            version: 20_001,
            description: "key management (tenant RLS)",
            sql: include_str!("../migrations/postgres/20001_keys.sql"),
        },
        Migration {
            version: 20_002,
            description: "e2e devices and prekeys (tenant RLS)",
            sql: include_str!("../migrations/postgres/20002_prekeys.sql"),
        },
        Migration {
            version: 20_003,
            description: "e2e mailbox (tenant RLS)",
            sql: include_str!("../migrations/postgres/20003_mailbox.sql"),
        },
        Migration {
            version: 20_004,
            description: "background re-wrapping",
            sql: include_str!("../migrations/postgres/20004_rewrap.sql"),
        },
    ],
    retired: &[],
};
