//! The SQL layer: one [`Db`] handle over SQLite or PostgreSQL, one query text
//! for both, migrations, and tenant-scoped transactions.
//!
//! # Tenant isolation
//!
//! Every tenant-owned table has a `tenant_id TEXT NOT NULL` column. Stores
//! read and write such tables only inside [`Db::tenant_tx`] and filter by
//! tenant in their SQL (isolation in code, on every engine). On PostgreSQL
//! the table also has row-level security, enabled and forced, with a policy
//! on the transaction's `caas.tenant_id` setting, which `tenant_tx` sets with
//! `set_config('caas.tenant_id', $1, true)` — the parameterised form of
//! `SET LOCAL`. Pool connections act as the role `caas_app`, which owns no
//! table, is no superuser and cannot bypass RLS, so a query that forgets its
//! filter still sees only the current tenant's rows. A migration makes a table
//! tenant-owned with one line:
//!
//! ```sql
//! SELECT caas_enable_tenant_rls('my_table');
//! ```

mod connect;
mod error;
mod migrate;
mod query;
mod url;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::migrate::{MIGRATIONS_TABLE, Migration, Migrations};
pub use self::query::{FromRow, Query, Row, Scalar, SqlType, Target, Value, query};
pub use self::url::DatabaseUrl;
use crate::{Result, TenantId};
pub(crate) use error::from_sqlx;

/// The PostgreSQL role pool connections act as (created by the core migrations).
pub const APP_ROLE: &str = "caas_app";

/// The per-transaction PostgreSQL setting the RLS policies read.
pub const TENANT_SETTING: &str = "caas.tenant_id";

/// The SQL engine behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite (embedded).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// `sqlite` or `postgres`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// How to open a [`Db`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DbOptions {
    /// Most pooled connections (SQLite in-memory always uses one).
    pub max_connections: u32,
    /// How long to wait for a connection, including the first one.
    pub connect_timeout: Duration,
    /// PostgreSQL schema to use instead of the login role's default `search_path`.
    pub schema: Option<String>,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            schema: None,
        }
    }
}

impl DbOptions {
    /// Sets the pool size.
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Uses a PostgreSQL schema (it must exist; migrations create tables in it).
    #[must_use]
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

/// A database handle: a connection pool for SQLite or PostgreSQL.
///
/// Cheap to clone. Queries written once with [`query`] run on either engine.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

struct DbInner {
    url: DatabaseUrl,
    pool: Pool,
    options: DbOptions,
}

#[derive(Debug)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("url", &self.inner.url)
            .field("dialect", &self.dialect())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens the database at `url` (see [`DatabaseUrl`]) and checks that it answers.
    ///
    /// A malformed URL is `InvalidInput`; a database that cannot be reached
    /// within `options.connect_timeout` is `Unavailable`. Run
    /// [`migrate`](Db::migrate) before using the pool on PostgreSQL: pool
    /// connections act as the role the migrations create.
    pub async fn connect(url: &str, options: DbOptions) -> Result<Db> {
        let url = DatabaseUrl::parse(url)?;
        let pool = connect::open_pool(&url, &options).await?;
        Ok(Db {
            inner: Arc::new(DbInner { url, pool, options }),
        })
    }

    /// A private in-memory SQLite database, migrated with `migrations`.
    pub async fn in_memory(migrations: &[&Migrations]) -> Result<Db> {
        let db = Db::connect("sqlite::memory:", DbOptions::default()).await?;
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// The engine.
    pub fn dialect(&self) -> Dialect {
        match self.inner.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The URL, printable (the password is redacted).
    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// Checks, on PostgreSQL, that the login role may act as `caas_app`, as
    /// every pool connection does (a no-op on SQLite). Call it once at start,
    /// after migrations: a role that may not would otherwise only show up as
    /// connection timeouts.
    pub async fn verify_app_role(&self) -> Result<()> {
        match self.dialect() {
            Dialect::Sqlite => Ok(()),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                connect::postgres::verify_app_role(self.url(), self.options()).await
            }
            #[cfg(not(feature = "postgres"))]
            Dialect::Postgres => Ok(()),
        }
    }

    /// Checks that the database answers a query through the pool.
    pub async fn ping(&self) -> Result<()> {
        query("SELECT 1").execute(self).await.map(|_| ())
    }

    /// Begins a transaction that is not scoped to a tenant (for platform tables).
    ///
    /// On PostgreSQL, tenant-owned tables show no rows in it.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.inner.pool {
            // IMMEDIATE takes the write lock up front, so a transaction never
            // fails half-way when it upgrades from reading to writing.
            Pool::Sqlite(p) => {
                TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await.map_err(from_sqlx)?)
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await.map_err(from_sqlx)?),
        };
        Ok(Tx {
            inner,
            tenant: None,
        })
    }

    /// Begins a transaction scoped to `tenant`.
    ///
    /// On PostgreSQL it sets `caas.tenant_id` for the transaction, so
    /// row-level security shows and accepts only `tenant`'s rows.
    pub async fn tenant_tx(&self, tenant: &TenantId) -> Result<Tx> {
        let mut tx = self.begin().await?;
        #[cfg(feature = "postgres")]
        if let TxInner::Postgres(_) = tx.inner {
            query("SELECT set_config('caas.tenant_id', $1, true)")
                .bind(tenant)
                .execute(&mut tx)
                .await?;
        }
        tx.tenant = Some(*tenant);
        Ok(tx)
    }

    /// Runs one statement in a transaction of `tenant` (see
    /// [`Db::tenant_tx`]) and commits it; returns the rows it changed.
    pub async fn tenant_execute(&self, tenant: &TenantId, statement: Query) -> Result<u64> {
        let mut tx = self.tenant_tx(tenant).await?;
        let n = statement.execute(&mut tx).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Closes every pooled connection; later queries fail as `Unavailable`.
    pub async fn close(&self) {
        match &self.inner.pool {
            Pool::Sqlite(p) => p.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &DbOptions {
        &self.inner.options
    }
}

/// An open transaction; dropped without [`commit`](Tx::commit), it rolls back.
pub struct Tx {
    inner: TxInner,
    tenant: Option<TenantId>,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl fmt::Debug for TxInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxInner::Sqlite(_) => f.write_str("Sqlite"),
            #[cfg(feature = "postgres")]
            TxInner::Postgres(_) => f.write_str("Postgres"),
        }
    }
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx")
            .field("engine", &self.inner)
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl Tx {
    /// The tenant the transaction is scoped to, if any.
    pub fn tenant(&self) -> Option<&TenantId> {
        self.tenant.as_ref()
    }

    /// Commits.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await,
            #[cfg(feature = "postgres")]
            TxInner::Postgres(tx) => tx.commit().await,
        }
        .map_err(from_sqlx)
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await,
            #[cfg(feature = "postgres")]
            TxInner::Postgres(tx) => tx.rollback().await,
        }
        .map_err(from_sqlx)
    }
}
