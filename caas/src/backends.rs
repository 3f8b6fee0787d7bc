//! Opening a platform's backends: the database (migrated), the key-value
//! store and the event bus.

use std::sync::Arc;

use caas_core::events::{MemoryEventBus, RedisEventBus};
use caas_core::kv::{MemoryKvStore, RedisKvStore};
use caas_core::sql::Migrations;
use caas_core::{
    Db, DbOptions, Error, RedisConfig, Result, SharedClock, SharedEventBus, SharedKvStore,
};

use crate::config::PlatformConfig;

/// Every crate's migrations, in dependency order.
pub fn migrations() -> Vec<&'static Migrations> {
    vec![
        &caas_core::MIGRATIONS,
        &caas_crypto::MIGRATIONS,
        &caas_auth::MIGRATIONS,
        &caas_authz::MIGRATIONS,
        &caas_game::MIGRATIONS,
        &caas_privacy::MIGRATIONS,
        &caas_webhooks::MIGRATIONS,
    ]
}

/// A platform's backends.
#[derive(Debug, Clone)]
pub struct Backends {
    /// The SQL database.
    pub db: Db,
    /// Shared ephemeral state.
    pub kv: SharedKvStore,
    /// Publish/subscribe.
    pub events: SharedEventBus,
}

/// Opens the database at `url`, creating `data_dir` for the embedded default.
pub async fn open_database(
    url: Option<&str>,
    schema: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<Db> {
    let url = match url {
        Some(url) => url.to_owned(),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                Error::unavailable(format!(
                    "cannot create the data directory `{}`: {e}",
                    data_dir.display()
                ))
            })?;
            crate::config::default_database_url(data_dir)
        }
    };
    let mut options = DbOptions::default();
    if let Some(schema) = schema {
        options = options.schema(schema);
    }
    Db::connect(&url, options).await
}

/// Opens every backend. Migrations are applied when `config.migrate` is set;
/// otherwise a database that is behind this binary is refused.
pub async fn open(config: &PlatformConfig, clock: SharedClock) -> Result<Backends> {
    let db = open_database(
        config.database_url.as_deref(),
        config.database_schema.as_deref(),
        &config.data_dir,
    )
    .await?;
    let sets = migrations();
    if config.migrate {
        let applied = db.migrate(&sets).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied database migrations");
        }
    } else {
        let pending = db.pending_migrations(&sets).await?;
        if !pending.is_empty() {
            return Err(Error::unavailable(format!(
                "the database lacks migrations {pending:?}; run `caas-server migrate` first (or open the platform with `migrate` set)"
            )));
        }
    }
    // Pool connections act as `caas_app`: check the login may, then use the pool once.
    db.verify_app_role().await?;
    db.ping().await?;

    let (kv, events): (SharedKvStore, SharedEventBus) = match &config.redis_url {
        None => (
            Arc::new(MemoryKvStore::new(clock)),
            Arc::new(MemoryEventBus::new()),
        ),
        Some(url) => {
            let redis = RedisConfig::new(url)?.with_prefix(&config.redis_prefix)?;
            (
                Arc::new(RedisKvStore::connect(redis.clone()).await?),
                Arc::new(RedisEventBus::connect(redis).await?),
            )
        }
    };
    Ok(Backends { db, kv, events })
}
