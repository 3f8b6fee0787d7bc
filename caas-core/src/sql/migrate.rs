//! Migrations, owned by the crate that owns the tables, embedded in the binary.
//!
//! Each crate exports one [`Migrations`] set with the same versions for both
//! engines. Versions share one sequence in the `caas_migrations` table, so
//! each crate numbers inside its own range (see ARCHITECTURE.md): core
//! `10_001…`, crypto `20_001…`, auth `30_001…`, authz `40_001…`, game
//! `50_001…`, privacy `60_001…`, webhooks `70_001…`. A version whose
//! tables moved to another crate stays listed as [`Migrations::retired`] by
//! its new owner, so databases that applied it keep migrating.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use sqlx::SqlStr;
use sqlx::migrate::{MigrateError, Migration as SqlxMigration, MigrationType, Migrator};

use super::{Db, Dialect, Pool, Scalar, from_sqlx};
use crate::{Error, Result};

/// The table that records applied migrations (not sqlx's default, so an
/// application's own sqlx migrations can share the database).
pub const MIGRATIONS_TABLE: &str = "caas_migrations";

/// One migration step: a version, a description and the SQL of one engine.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version, unique across all crates; applied in ascending order.
    pub version: i64,
    /// Short description.
    pub description: &'static str,
    /// The SQL text (several statements allowed).
    pub sql: &'static str,
}

/// A crate's migrations for both engines.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// The owning crate, e.g. `caas-core`.
    pub component: &'static str,
    /// Steps for SQLite.
    pub sqlite: &'static [Migration],
    /// Steps for PostgreSQL (same versions as `sqlite`).
    pub postgres: &'static [Migration],
    /// Versions this set no longer runs but a database may have applied:
    /// steps whose tables moved here from another component (the new steps
    /// create them only if missing). They are not "unknown" to the check
    /// that refuses a database newer than the binary.
    pub retired: &'static [i64],
}

impl Db {
    /// Applies every pending migration of `sets`, in version order, and
    /// returns the versions it applied.
    ///
    /// On PostgreSQL this runs on a dedicated connection as the login role
    /// (the table owner), never through the pool (which acts as `caas_app`),
    /// under an advisory lock, so several instances starting at once migrate
    /// once. Already-applied migrations whose text changed are refused.
    pub async fn migrate(&self, sets: &[&Migrations]) -> Result<Vec<i64>> {
        use sqlx::migrate::Migrate;
        let mut migrator = migrator(sets, self.dialect())?;
        // The lock is taken here, before the migrations table is created:
        // two instances starting on a new database would otherwise both
        // create it (PostgreSQL's `IF NOT EXISTS` races: 42P07).
        migrator.set_locking(false);
        // Lists what is applied, then applies the rest, on one connection,
        // under the advisory lock (a no-op on SQLite).
        macro_rules! run_on {
            ($conn:expr) => {{
                let conn = $conn;
                conn.lock().await.map_err(migrate_error)?;
                let applied: Result<Vec<i64>> = async { run_locked!(&mut *conn) }.await;
                // Released also when a migration failed (on PostgreSQL the
                // dedicated connection is closed after this anyway).
                let unlocked = conn.unlock().await.map_err(migrate_error);
                let applied = applied?;
                unlocked?;
                Ok(applied)
            }};
        }
        macro_rules! run_locked {
            ($conn:expr) => {{
                let conn = $conn;
                conn.ensure_migrations_table(MIGRATIONS_TABLE)
                    .await
                    .map_err(migrate_error)?;
                let applied: HashSet<i64> = conn
                    .list_applied_migrations(MIGRATIONS_TABLE)
                    .await
                    .map_err(migrate_error)?
                    .into_iter()
                    .map(|m| m.version)
                    .collect();
                check_known(sets, &migrator, &applied)?;
                migrator.run(&mut *conn).await.map_err(migrate_error)?;
                Ok(migrator
                    .iter()
                    .map(|m| m.version)
                    .filter(|v| !applied.contains(v))
                    .collect())
            }};
        }
        match &self.inner.pool {
            Pool::Sqlite(pool) => {
                let mut conn = pool.acquire().await.map_err(from_sqlx)?;
                run_on!(&mut *conn)
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => {
                use sqlx::Connection;
                // A dedicated connection: sqlx keeps its advisory lock if a
                // migration fails, which must not leak into the pool.
                let mut conn =
                    super::connect::postgres::connect_once(self.url(), self.options()).await?;
                let result: Result<Vec<i64>> = async { run_on!(&mut conn) }.await;
                let _ = conn.close().await;
                result
            }
        }
    }

    /// The versions of `sets` not applied yet (all of them on an empty database).
    ///
    /// Used to refuse to serve from a schema that is behind the binary when
    /// migrations are left to a separate, privileged step.
    pub async fn pending_migrations(&self, sets: &[&Migrations]) -> Result<Vec<i64>> {
        let wanted = migrator(sets, self.dialect())?;
        let exists = match self.dialect() {
            Dialect::Sqlite => super::query(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'caas_migrations'",
            ),
            Dialect::Postgres => super::query(
                "SELECT count(*) FROM pg_catalog.pg_tables \
                 WHERE tablename = 'caas_migrations' AND schemaname = current_schema()",
            ),
        };
        let applied: HashSet<i64> = if exists.fetch_one::<Scalar<i64>>(self).await?.0 == 0 {
            HashSet::new()
        } else {
            super::query("SELECT version FROM caas_migrations WHERE success")
                .fetch_all::<Scalar<i64>>(self)
                .await?
                .into_iter()
                .map(|s| s.0)
                .collect()
        };
        Ok(wanted
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }
}

/// Builds one sqlx migrator from every set, checking versions are consistent.
fn migrator(sets: &[&Migrations], dialect: Dialect) -> Result<Migrator> {
    let mut seen: BTreeMap<i64, &'static str> = BTreeMap::new();
    let mut steps = Vec::new();
    for set in sets {
        let sqlite: Vec<i64> = set.sqlite.iter().map(|m| m.version).collect();
        let postgres: Vec<i64> = set.postgres.iter().map(|m| m.version).collect();
        if sqlite != postgres {
            return Err(Error::internal(format!(
                "migrations of `{}` differ between SQLite {sqlite:?} and PostgreSQL {postgres:?}",
                set.component
            )));
        }
        let chosen = match dialect {
            Dialect::Sqlite => set.sqlite,
            Dialect::Postgres => set.postgres,
        };
        for m in chosen {
            if let Some(other) = seen.insert(m.version, set.component) {
                return Err(Error::internal(format!(
                    "migration version {} is used by both `{other}` and `{}`",
                    m.version, set.component
                )));
            }
            steps.push(SqlxMigration::new(
                m.version,
                Cow::Owned(format!("{}: {}", set.component, m.description)),
                MigrationType::Simple,
                SqlStr::from_static(m.sql),
                false,
            ));
        }
    }
    let mut migrator = Migrator::with_migrations(steps);
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    // Retired versions stay in the table; `check_known` refuses the
    // versions that are neither known nor retired.
    migrator.set_ignore_missing(true);
    Ok(migrator)
}

/// Refuses a database that applied a version this build neither runs nor
/// lists as retired: it was migrated by a newer binary.
fn check_known(sets: &[&Migrations], migrator: &Migrator, applied: &HashSet<i64>) -> Result<()> {
    let mut unknown: Vec<i64> = applied
        .iter()
        .copied()
        .filter(|v| {
            !migrator.iter().any(|m| m.version == *v) && !sets.iter().any(|s| s.retired.contains(v))
        })
        .collect();
    unknown.sort_unstable();
    match unknown.first() {
        None => Ok(()),
        Some(v) => Err(migrate_error(MigrateError::VersionMissing(*v))),
    }
}

fn migrate_error(e: MigrateError) -> Error {
    match e {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
            let cause = from_sqlx(inner);
            Error::new(
                cause.kind(),
                format!("migration failed: {}", cause.message()),
            )
            .with_source(cause)
        }
        MigrateError::VersionMismatch(v) => Error::internal(format!(
            "migration {v} was changed after it was applied; restore its original text"
        )),
        MigrateError::Dirty(v) => Error::internal(format!(
            "migration {v} failed part-way earlier; repair the database and delete its row from `caas_migrations`"
        )),
        MigrateError::VersionMissing(v) => Error::internal(format!(
            "the database has migration {v}, which this build does not know; is it newer than this binary?"
        )),
        other => Error::internal(format!("migration failed: {other}")).with_source(other),
    }
}
