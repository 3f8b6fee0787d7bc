//! The command line: `caas-server serve` and `caas-server migrate`.

use std::net::SocketAddr;
use std::path::PathBuf;

use caas_core::RateLimit;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::ServeConfig;

/// The CAAS reference server.
#[derive(Debug, Parser)]
#[command(name = "caas-server", version, about, long_about = None)]
pub struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "CAAS_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
}

/// Where the database is.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path`, `sqlite::memory:` or `postgres://user:password@host/db`
    /// [default: a SQLite file in the data directory].
    #[arg(long, env = "CAAS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory of the embedded SQLite database.
    #[arg(long, env = "CAAS_DATA_DIR", default_value = "caas-data")]
    pub data_dir: PathBuf,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CAAS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// `redis://[:password@]host[:port][/db]`; without it, cache, rate limits
    /// and events stay in this process.
    #[arg(long, env = "CAAS_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel, so deployments can share a Redis.
    #[arg(long, env = "CAAS_REDIS_PREFIX", default_value = "caas", value_parser = parse_prefix)]
    pub redis_prefix: String,

    /// Requests allowed per client IP, e.g. `600/min`, `20/s`; `off` disables.
    #[arg(long, env = "CAAS_RATE_LIMIT", default_value = "600/min", value_parser = parse_limit)]
    pub rate_limit: IpLimit,

    /// Do not apply migrations; refuse to start if the database is behind.
    #[arg(long, env = "CAAS_NO_MIGRATE")]
    pub no_migrate: bool,
}

/// A per-IP limit, or none.
#[derive(Debug, Clone, Copy)]
pub struct IpLimit(pub Option<RateLimit>);

fn parse_limit(s: &str) -> Result<IpLimit, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(IpLimit(None));
    }
    s.parse::<RateLimit>()
        .map(|l| IpLimit(Some(l)))
        .map_err(|e| e.to_string())
}

fn parse_prefix(s: &str) -> Result<String, String> {
    caas_core::RedisConfig::check_prefix(s)
        .map(|()| s.to_owned())
        .map_err(|e| e.to_string())
}

impl ServeArgs {
    /// The validated configuration.
    pub fn into_config(self) -> ServeConfig {
        ServeConfig {
            listen: self.listen,
            database_url: self.database.database_url,
            data_dir: self.database.data_dir,
            redis_url: self.redis_url,
            redis_prefix: self.redis_prefix,
            rate_limit: self.rate_limit.0,
            migrate: !self.no_migrate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_to_the_embedded_setup() {
        let cli = Cli::try_parse_from(["caas-server", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let config = args.into_config();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.database_url.is_none() && config.redis_url.is_none());
        assert_eq!(
            config.effective_database_url(),
            "sqlite://caas-data/caas.sqlite3"
        );
        assert_eq!(config.rate_limit.unwrap().to_string(), "600/min");
        assert!(config.migrate);
    }

    #[test]
    fn bad_flags_are_refused() {
        for args in [
            &["caas-server", "serve", "--listen", "localhost"][..],
            &["caas-server", "serve", "--rate-limit", "lots"],
            &["caas-server", "launch"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
        let cli = Cli::try_parse_from(["caas-server", "serve", "--rate-limit", "off"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert!(args.rate_limit.0.is_none());
    }
}
