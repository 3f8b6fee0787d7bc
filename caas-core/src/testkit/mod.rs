//! The backend conformance kit: one test function, every backend.
//!
//! A crate writes each test once as `async fn name(b: &Backend)` and lists
//! the backends to run it on with [`backend_tests!`](crate::backend_tests):
//!
//! ```text
//! caas_core::backend_tests! {
//!     migrations: [&caas_core::MIGRATIONS],
//!     backends: [memory, sqlite_memory, sqlite_file, postgres],
//!     tests: [creates_and_finds_a_tenant],
//! }
//!
//! async fn creates_and_finds_a_tenant(b: &Backend) { /* … */ }
//! ```
//!
//! Each backend gets fresh state per test: a new SQLite database, a new
//! PostgreSQL schema, a new Redis key prefix. PostgreSQL runs when
//! `CAAS_TEST_DATABASE_URL` is set and Redis when `CAAS_TEST_REDIS_URL` is;
//! otherwise those tests print that they skipped — unless
//! `CAAS_TEST_REQUIRE_BACKENDS=1` (set in CI), which turns a missing backend
//! into a failure so nothing is skipped silently.

#![expect(
    clippy::panic,
    clippy::expect_used,
    reason = "test support: a broken test environment should stop the test loudly"
)]

mod redis_server;

use std::sync::Arc;

pub use self::redis_server::RedisServer;
use crate::events::MemoryEventBus;
use crate::kv::MemoryKvStore;
use crate::sql::{DbOptions, Migrations};
use crate::{Db, ManualClock, SharedClock, SharedEventBus, SharedKvStore, SystemClock, Timestamp};

pub use tokio;

/// The environment variable naming the test PostgreSQL database.
pub const DATABASE_URL_VAR: &str = "CAAS_TEST_DATABASE_URL";
/// The environment variable naming the test Redis.
pub const REDIS_URL_VAR: &str = "CAAS_TEST_REDIS_URL";
/// Set to `1` to fail, not skip, when a backend's variable is missing.
pub const REQUIRE_VAR: &str = "CAAS_TEST_REQUIRE_BACKENDS";

/// The start time of every test's [`ManualClock`]: 2026-01-01T00:00:00Z.
pub const TEST_EPOCH: Timestamp = Timestamp::from_millis(1_767_225_600_000);

/// A backend configuration a conformance test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// No SQL; memory key-value store and event bus.
    Memory,
    /// A private in-memory SQLite database; memory KV and events.
    SqliteMemory,
    /// A SQLite file in a temporary directory; memory KV and events.
    SqliteFile,
    /// A fresh schema in the PostgreSQL of `CAAS_TEST_DATABASE_URL`; memory KV and events.
    Postgres,
    /// No SQL; Redis KV and events under a fresh key prefix.
    Redis,
}

/// Everything one test needs, fresh for that test.
pub struct Backend {
    /// Which backend this is.
    pub kind: BackendKind,
    /// A manual clock at [`TEST_EPOCH`], shared by every component here.
    pub clock: Arc<ManualClock>,
    /// The key-value store.
    pub kv: SharedKvStore,
    /// The event bus.
    pub events: SharedEventBus,
    db: Option<Db>,
    cleanup: Cleanup,
}

enum Cleanup {
    None,
    /// The directory is deleted when this is dropped.
    TempDir {
        _dir: tempfile::TempDir,
    },
    #[cfg(feature = "postgres")]
    PgSchema {
        url: String,
        schema: String,
    },
    #[cfg(feature = "redis")]
    RedisPrefix(crate::RedisConfig),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Reads a backend variable; `None` (with a note) if unset and not required.
pub fn backend_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ if std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1") => {
            panic!("{var} is not set but {REQUIRE_VAR}=1 requires every backend")
        }
        _ => {
            eprintln!("skipping: {var} is not set");
            None
        }
    }
}

/// A random lowercase hex suffix with the creation time in it (UUIDv7).
fn unique_suffix() -> String {
    crate::new_id(&SystemClock).simple().to_string()
}

impl Backend {
    /// Opens a fresh backend of `kind` and applies `migrations` to its SQL
    /// database. `None` if the backend is not configured (see module docs).
    pub async fn open(kind: BackendKind, migrations: &[&Migrations]) -> Option<Backend> {
        let clock = ManualClock::shared(TEST_EPOCH);
        let shared: SharedClock = clock.clone();
        let memory_kv: SharedKvStore = Arc::new(MemoryKvStore::new(shared.clone()));
        let memory_events: SharedEventBus = Arc::new(MemoryEventBus::new());
        let mut backend = Backend {
            kind,
            clock,
            kv: memory_kv,
            events: memory_events,
            db: None,
            cleanup: Cleanup::None,
        };
        match kind {
            BackendKind::Memory => {}
            BackendKind::SqliteMemory => {
                backend.db = Some(
                    Db::connect("sqlite::memory:", DbOptions::default())
                        .await
                        .expect("open in-memory SQLite"),
                );
            }
            BackendKind::SqliteFile => {
                let dir = tempfile::tempdir().expect("create a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("caas.sqlite3").display());
                backend.db = Some(
                    Db::connect(&url, DbOptions::default().max_connections(4))
                        .await
                        .expect("open SQLite file"),
                );
                backend.cleanup = Cleanup::TempDir { _dir: dir };
            }
            BackendKind::Postgres => {
                #[cfg(feature = "postgres")]
                {
                    let url = backend_url(DATABASE_URL_VAR)?;
                    let schema = format!("caas_t_{}", unique_suffix());
                    pg::create_schema(&url, &schema).await;
                    backend.db = Some(
                        Db::connect(
                            &url,
                            DbOptions::default().max_connections(4).schema(&schema),
                        )
                        .await
                        .expect("connect to the test PostgreSQL"),
                    );
                    backend.cleanup = Cleanup::PgSchema { url, schema };
                }
                #[cfg(not(feature = "postgres"))]
                panic!("the Postgres backend needs caas-core's `postgres` feature");
            }
            BackendKind::Redis => {
                #[cfg(feature = "redis")]
                {
                    let url = backend_url(REDIS_URL_VAR)?;
                    let config = crate::RedisConfig::new(&url)
                        .and_then(|c| c.with_prefix(&format!("ct-{}", &unique_suffix()[..24])))
                        .expect("a valid CAAS_TEST_REDIS_URL");
                    backend.kv = Arc::new(
                        crate::kv::RedisKvStore::connect(config.clone())
                            .await
                            .expect("connect to the test Redis"),
                    );
                    backend.events = Arc::new(
                        crate::events::RedisEventBus::connect(config.clone())
                            .await
                            .expect("connect to the test Redis"),
                    );
                    backend.cleanup = Cleanup::RedisPrefix(config);
                }
                #[cfg(not(feature = "redis"))]
                panic!("the Redis backend needs caas-core's `redis` feature");
            }
        }
        if let Some(db) = &backend.db {
            db.migrate(migrations).await.expect("apply migrations");
        }
        Some(backend)
    }

    /// The SQL database, if this backend has one.
    pub fn db(&self) -> Option<&Db> {
        self.db.as_ref()
    }

    /// The SQL database; panics on backends without one.
    pub fn sql(&self) -> &Db {
        self.db.as_ref().expect("this backend has no SQL database")
    }

    /// A second handle on the same key-value state, as another server
    /// instance would have: a new Redis connection with the same prefix, or
    /// the same store for memory.
    pub async fn another_kv(&self) -> SharedKvStore {
        match &self.cleanup {
            #[cfg(feature = "redis")]
            Cleanup::RedisPrefix(config) => Arc::new(
                crate::kv::RedisKvStore::connect(config.clone())
                    .await
                    .expect("connect to the test Redis"),
            ),
            _ => self.kv.clone(),
        }
    }

    /// The clock as a shared trait object.
    pub fn shared_clock(&self) -> SharedClock {
        self.clock.clone()
    }

    /// Closes connections and removes the backend's state.
    pub async fn finish(self) {
        if let Some(db) = &self.db {
            db.close().await;
        }
        match self.cleanup {
            Cleanup::None | Cleanup::TempDir { .. } => {}
            #[cfg(feature = "postgres")]
            Cleanup::PgSchema { url, schema } => pg::drop_schema(&url, &schema).await,
            #[cfg(feature = "redis")]
            Cleanup::RedisPrefix(config) => {
                let _ = crate::kv::RedisKvStore::purge_prefix(&config).await;
            }
        }
    }
}

/// Names of tenant-owned tables (those with a `tenant_id` column) in the
/// current PostgreSQL schema that lack forced row-level security with the
/// `caas_tenant_isolation` policy. Empty means the convention holds.
#[cfg(feature = "postgres")]
pub async fn tenant_tables_without_rls(db: &Db) -> crate::Result<Vec<String>> {
    let rows: Vec<crate::sql::Scalar<String>> = crate::sql::query(
        "SELECT c.relname::text FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
              AND a.attname = 'tenant_id' AND NOT a.attisdropped \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS ( \
               SELECT 1 FROM pg_catalog.pg_policy p \
               WHERE p.polrelid = c.oid AND p.polname = 'caas_tenant_isolation')) \
         ORDER BY 1",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|s| s.0).collect())
}

#[cfg(feature = "postgres")]
mod pg {
    use sqlx::{Connection, Executor, PgConnection};

    /// Schemas left behind by tests that panicked are removed after this long.
    const STALE_AFTER_MS: i64 = 3_600_000;

    async fn admin(url: &str) -> PgConnection {
        PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to CAAS_TEST_DATABASE_URL: {e}"))
    }

    pub(super) async fn create_schema(url: &str, schema: &str) {
        let mut conn = admin(url).await;
        drop_stale(&mut conn).await;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .unwrap_or_else(|e| panic!("cannot create test schema {schema}: {e}"));
        let _ = conn.close().await;
    }

    pub(super) async fn drop_schema(url: &str, schema: &str) {
        let mut conn = admin(url).await;
        let _ = conn
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .await;
        let _ = conn.close().await;
    }

    async fn drop_stale(conn: &mut PgConnection) {
        let Ok(rows) = sqlx::query_scalar::<_, String>(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'caas\\_t\\_%'",
        )
        .fetch_all(&mut *conn)
        .await
        else {
            return;
        };
        let now = crate::Clock::now(&crate::SystemClock).as_millis();
        for name in rows {
            let created = name
                .strip_prefix("caas_t_")
                .and_then(|hex| uuid::Uuid::try_parse(hex).ok())
                .and_then(|id| id.get_timestamp())
                .map(|ts| {
                    let (secs, _) = ts.to_unix();
                    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000)
                });
            if created.is_some_and(|t| now - t > STALE_AFTER_MS) {
                let _ = conn
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {name} CASCADE"
                    )))
                    .await;
            }
        }
    }
}

/// Runs each listed test function on each listed backend.
///
/// Backends: `memory`, `sqlite_memory`, `sqlite_file`, `postgres`, `redis`.
/// Each test is `async fn name(b: &caas_core::testkit::Backend)`; the macro
/// generates one `#[tokio::test]` per backend and test, in a module named
/// after the backend. The calling crate needs `tokio` (with `macros` and
/// `rt-multi-thread`) as a dev-dependency.
#[macro_export]
macro_rules! backend_tests {
    (
        migrations: [$($m:expr),* $(,)?],
        backends: [$($kind:ident),+ $(,)?],
        tests: $tests:tt $(,)?
    ) => {
        /// The migrations every generated test applies.
        fn __caas_test_migrations() -> ::std::vec::Vec<&'static $crate::sql::Migrations> {
            ::std::vec![$($m),*]
        }
        $( $crate::__backend_tests_for!($kind, $tests); )+
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __backend_tests_for {
    ($kind:ident, [$($test:ident),+ $(,)?]) => {
        mod $kind {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let kind = $crate::__backend_kind!($kind);
                    let migrations = super::__caas_test_migrations();
                    let Some(backend) = $crate::testkit::Backend::open(kind, &migrations).await
                    else {
                        return;
                    };
                    super::$test(&backend).await;
                    backend.finish().await;
                }
            )+
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __backend_kind {
    (memory) => {
        $crate::testkit::BackendKind::Memory
    };
    (sqlite_memory) => {
        $crate::testkit::BackendKind::SqliteMemory
    };
    (sqlite_file) => {
        $crate::testkit::BackendKind::SqliteFile
    };
    (postgres) => {
        $crate::testkit::BackendKind::Postgres
    };
    (redis) => {
        $crate::testkit::BackendKind::Redis
    };
}
