//! Opening pools: engine-specific connection settings live here and nowhere else.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{DatabaseUrl, DbOptions, Pool, from_sqlx};
use crate::{Error, Result};

/// Opens the pool for `url` and checks that the database answers.
pub(super) async fn open_pool(url: &DatabaseUrl, options: &DbOptions) -> Result<Pool> {
    match url {
        DatabaseUrl::Sqlite(path) => open_sqlite(path.as_deref(), options).await,
        #[cfg(feature = "postgres")]
        DatabaseUrl::Postgres(_) => postgres::open(url, options).await,
        #[cfg(not(feature = "postgres"))]
        DatabaseUrl::Postgres(_) => Err(Error::invalid_input(
            "this build has no PostgreSQL support; enable the `postgres` feature of caas-core",
        )
        .with_field("database_url")),
    }
}

async fn open_sqlite(path: Option<&std::path::Path>, options: &DbOptions) -> Result<Pool> {
    let pool = match path {
        None => {
            // A private in-memory database lives as long as its one connection.
            let connect = SqliteConnectOptions::new()
                .in_memory(true)
                .foreign_keys(true);
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(options.connect_timeout)
                .connect_with(connect)
                .await
        }
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && !dir.is_dir()
            {
                return Err(Error::unavailable(format!(
                    "cannot open the SQLite database `{}`: directory `{}` does not exist",
                    path.display(),
                    dir.display()
                )));
            }
            let connect = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.connect_timeout)
                .connect_with(connect)
                .await
        }
    };
    pool.map(Pool::Sqlite).map_err(|e| {
        let shown = path.map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string());
        let cause = from_sqlx(e);
        Error::unavailable(format!(
            "cannot open the SQLite database `{shown}`: {}",
            cause.message()
        ))
        .with_source(cause)
    })
}

#[cfg(feature = "postgres")]
pub(super) mod postgres {
    use std::str::FromStr;

    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sqlx::{Connection, Executor};

    use super::super::{APP_ROLE, DatabaseUrl, DbOptions, Pool, from_sqlx};
    use crate::{Error, Result};

    /// Connection settings for `url` as the login role (no `SET ROLE`).
    pub(in crate::sql) fn connect_options(
        url: &DatabaseUrl,
        options: &DbOptions,
    ) -> Result<PgConnectOptions> {
        let DatabaseUrl::Postgres(raw) = url else {
            return Err(Error::internal("not a PostgreSQL URL"));
        };
        let mut connect = PgConnectOptions::from_str(raw.as_str())
            .map_err(|e| {
                Error::invalid_input(format!("invalid database URL `{url}`: {e}"))
                    .with_field("database_url")
            })?
            .application_name("caas");
        if let Some(schema) = &options.schema {
            connect = connect.options([("search_path", schema.as_str())]);
        }
        Ok(connect)
    }

    /// One connection as the login role, for migrations and the start-up check.
    pub(in crate::sql) async fn connect_once(
        url: &DatabaseUrl,
        options: &DbOptions,
    ) -> Result<sqlx::PgConnection> {
        let connect = connect_options(url, options)?;
        match tokio::time::timeout(
            options.connect_timeout,
            sqlx::PgConnection::connect_with(&connect),
        )
        .await
        {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => {
                let cause = from_sqlx(e);
                Err(Error::unavailable(format!(
                    "cannot connect to the database at `{url}`: {}",
                    cause.message()
                ))
                .with_source(cause))
            }
            Err(_) => Err(Error::unavailable(format!(
                "cannot connect to the database at `{url}`: no answer within {:?}",
                options.connect_timeout
            ))),
        }
    }

    /// Checks that the login role may act as `caas_app`, with a message that
    /// says how to fix it if not.
    pub(in crate::sql) async fn verify_app_role(
        url: &DatabaseUrl,
        options: &DbOptions,
    ) -> Result<()> {
        let mut conn = connect_once(url, options).await?;
        let login: String = sqlx::query_scalar("SELECT session_user::text")
            .fetch_one(&mut conn)
            .await
            .map_err(from_sqlx)?;
        let result = conn
            .execute(sqlx::AssertSqlSafe(format!("SET ROLE {APP_ROLE}")))
            .await;
        let _ = conn.close().await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("22023") => {
                Err(Error::unavailable(format!(
                    "the role `{APP_ROLE}` does not exist; run `caas-server migrate` first"
                )))
            }
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42501") => {
                Err(Error::unavailable(format!(
                    "the database login `{login}` may not act as `{APP_ROLE}`; \
                     grant it with `GRANT {APP_ROLE} TO {login}`"
                )))
            }
            Err(e) => Err(from_sqlx(e)),
        }
    }

    pub(super) async fn open(url: &DatabaseUrl, options: &DbOptions) -> Result<Pool> {
        // Fail at start, with a clear message, if the database is not there.
        let probe = connect_once(url, options).await?;
        let _ = probe.close().await;

        let connect = connect_options(url, options)?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.connect_timeout)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Act as the unprivileged application role, so row-level
                    // security applies even when the login role is privileged.
                    conn.execute(sqlx::AssertSqlSafe(format!("SET ROLE {APP_ROLE}")))
                        .await
                        .map(|_| ())
                })
            })
            .connect_lazy_with(connect);
        Ok(Pool::Postgres(pool))
    }
}
