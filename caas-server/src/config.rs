//! The validated configuration of `caas-server serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use caas_core::RateLimit;

/// Everything `serve` needs, validated.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Database URL; `None` means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Directory for the embedded database.
    pub data_dir: PathBuf,
    /// Redis URL; `None` means in-process cache and events.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel.
    pub redis_prefix: String,
    /// Requests per client IP; `None` disables the limit.
    pub rate_limit: Option<RateLimit>,
    /// Apply pending migrations at start (otherwise refuse to start if any are pending).
    pub migrate: bool,
}

impl ServeConfig {
    /// The database URL to use: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| default_database_url(&self.data_dir))
    }
}

/// `sqlite://<data_dir>/caas.sqlite3`.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("caas.sqlite3").display())
}
