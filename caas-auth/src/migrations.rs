//! caas-auth's tables.

use caas_core::sql::{Migration, Migrations};

/// caas-auth's migrations (versions 30_001…), after caas-core's and caas-crypto's.
pub static MIGRATIONS: Migrations = Migrations {
    component: "caas-auth",
    sqlite: &[
        Migration {
            version: 30_001,
            description: "users",
            sql: include_str!("../migrations/sqlite/30001_users.sql"),
        },
        Migration {
            version: 30_002,
            description: "signing keys",
            sql: include_str!("../migrations/sqlite/30002_signing_keys.sql"),
        },
        Migration {
            version: 30_003,
            description: "sessions and refresh tokens",
            sql: include_str!("../migrations/sqlite/30003_sessions.sql"),
        },
        Migration {
            version: 30_004,
            description: "mfa",
            sql: include_str!("../migrations/sqlite/30004_mfa.sql"),
        },
        Migration {
            version: 30_005,
            description: "api keys",
            sql: include_str!("../migrations/sqlite/30005_api_keys.sql"),
        },
        Migration {
            version: 30_006,
            description: "oauth clients",
            sql: include_str!("../migrations/sqlite/30006_oauth_clients.sql"),
        },
        Migration {
            version: 30_007,
            description: "oauth grants and consents",
            sql: include_str!("../migrations/sqlite/30007_oauth_grants.sql"),
        },
        Migration {
            version: 30_008,
            description: "federation",
            sql: include_str!("../migrations/sqlite/30008_federation.sql"),
        },
        Migration {
            version: 30_009,
            description: "revocations",
            sql: include_str!("../migrations/sqlite/30009_revocations.sql"),
        },
        Migration {
            version: 30_010,
            description: "user skeletons and normalized keys",
            sql: include_str!("../migrations/sqlite/30010_user_skeletons.sql"),
        },
        Migration {
            version: 30_011,
            description: "admin key",
            sql: include_str!("../migrations/sqlite/30011_admin_keys.sql"),
        },
    ],
    postgres: &[
        Migration {
            version: 30_001,
            description: "users (tenant RLS)",
            sql: include_str!("../migrations/postgres/30001_users.sql"),
        },
        Migration {
            version: 30_002,
            description: "signing keys (tenant RLS)",
            sql: include_str!("../migrations/postgres/30002_signing_keys.sql"),
        },
        Migration {
            version: 30_003,
            description: "sessions and refresh tokens (tenant RLS)",
            sql: include_str!("../migrations/postgres/30003_sessions.sql"),
        },
        Migration {
            version: 30_004,
            description: "mfa (tenant RLS)",
            sql: include_str!("../migrations/postgres/30004_mfa.sql"),
        },
        Migration {
            version: 30_005,
            description: "api keys (tenant RLS)",
            sql: include_str!("../migrations/postgres/30005_api_keys.sql"),
        },
        Migration {
            version: 30_006,
            description: "oauth clients (tenant RLS)",
            sql: include_str!("../migrations/postgres/30006_oauth_clients.sql"),
        },
        Migration {
            version: 30_007,
            description: "oauth grants and consents (tenant RLS)",
            sql: include_str!("../migrations/postgres/30007_oauth_grants.sql"),
        },
        Migration {
            version: 30_008,
            description: "federation (tenant RLS)",
            sql: include_str!("../migrations/postgres/30008_federation.sql"),
        },
        Migration {
            version: 30_009,
            description: "revocations (tenant RLS)",
            sql: include_str!("../migrations/postgres/30009_revocations.sql"),
        },
        Migration {
            version: 30_010,
            description: "user skeletons and normalized keys (trigger)",
            sql: include_str!("../migrations/postgres/30010_user_skeletons.sql"),
        },
        Migration {
            version: 30_011,
            description: "admin key (platform table, no RLS)",
            sql: include_str!("../migrations/postgres/30011_admin_keys.sql"),
        },
    ],
    retired: &[],
};
