//! The command line: `caas-server serve` and `caas-server migrate`.

use std::net::SocketAddr;
use std::path::PathBuf;

use caas_core::{RateLimit, SecretString};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{FileConfig, ServeConfig};

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
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Replace the stored platform admin key with a new one, printed once.
    ResetAdminKey(DatabaseArgs),
    /// Print the OpenAPI 3.1 document of the API (JSON) and exit.
    Openapi,
    /// Key management.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// GDPR tooling.
    #[command(subcommand)]
    Privacy(PrivacyCommand),
}

/// `caas-server audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-hash every entry of the audit log and check it against the stored
    /// tree and every signed checkpoint; exits 1 if anything does not match.
    Verify {
        /// Only this tenant (id or slug) [default: every tenant].
        #[arg(long)]
        tenant: Option<String>,
        /// The verifier key to trust (`<name>+<hash>+<key>`, from
        /// `GET /v1/audit/checkpoint`) instead of the one the database holds.
        #[arg(long)]
        key: Option<String>,
        /// Where the data is (as for `serve`).
        #[command(flatten)]
        serve: Box<ServeArgs>,
    },
}

/// `caas-server privacy …`.
#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Retention.
    #[command(subcommand)]
    Retention(RetentionCommand),
}

/// `caas-server privacy retention …`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Run every retention policy now (the server also runs them hourly).
    Run {
        /// Only this tenant (id or slug) [default: every tenant].
        #[arg(long)]
        tenant: Option<String>,
        /// Where the data is (as for `serve`).
        #[command(flatten)]
        serve: Box<ServeArgs>,
    },
}

/// Where the database is.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path`, `sqlite::memory:` or `postgres://user:password@host/db`
    /// [default: a SQLite file in the data directory].
    #[arg(long, env = "CAAS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL schema to use (so deployments can share a database).
    #[arg(long, env = "CAAS_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,

    /// Directory of the embedded SQLite database [default: caas-data].
    #[arg(long, env = "CAAS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Options of `serve`. Each overrides the config file; flags override
/// environment variables.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML config file (see `caas-server.example.toml`).
    #[arg(long, env = "CAAS_CONFIG")]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CAAS_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// `redis://[:password@]host[:port][/db]`; without it, cache, rate limits
    /// and events stay in this process.
    #[arg(long, env = "CAAS_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel, so deployments can share a Redis
    /// [default: caas].
    #[arg(long, env = "CAAS_REDIS_PREFIX", value_parser = parse_prefix)]
    pub redis_prefix: Option<String>,

    /// Requests allowed per client IP, e.g. `600/min`, `20/s`; `off` disables
    /// [default: 600/min].
    #[arg(long, env = "CAAS_RATE_LIMIT", value_parser = parse_limit)]
    pub rate_limit: Option<IpLimit>,

    /// The platform admin key (at least 32 characters). Without it, a key is
    /// generated on first start, stored hashed and printed once.
    #[arg(long, env = "CAAS_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    /// The platform master key (base64 or hex of 32 bytes); prefer the
    /// environment variable or a key file over the flag.
    #[arg(long, env = "CAAS_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,

    /// A file holding the master key (`caas-server keys init --out FILE` makes one).
    #[arg(long, env = "CAAS_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// Production mode: refuse to start without a configured master key.
    #[arg(long, env = "CAAS_PRODUCTION")]
    pub production: bool,

    /// The URL clients reach this server at; `https://…` turns on HSTS.
    #[arg(long, env = "CAAS_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// The domain tenants are subdomains of; enables resolution by subdomain.
    #[arg(long, env = "CAAS_BASE_DOMAIN")]
    pub base_domain: Option<String>,

    /// Let webhooks target loopback and private addresses (development only).
    #[arg(long, env = "CAAS_WEBHOOKS_ALLOW_PRIVATE_TARGETS")]
    pub webhooks_allow_private_targets: bool,

    /// Do not apply migrations; refuse to start if the database is behind.
    #[arg(long, env = "CAAS_NO_MIGRATE")]
    pub no_migrate: bool,
}

/// `caas-server keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a platform master key: into a new file (mode 0600) with
    /// `--out`, or printed once.
    Init {
        /// The file to create (refused if it exists).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// A per-IP limit, or none.
#[derive(Debug, Clone, Copy)]
pub struct IpLimit(pub Option<RateLimit>);

fn parse_limit(s: &str) -> Result<IpLimit, String> {
    crate::config::parse_limit(s)
        .map(IpLimit)
        .map_err(|e| e.to_string())
}

fn parse_prefix(s: &str) -> Result<String, String> {
    caas_core::RedisConfig::check_prefix(s)
        .map(|()| s.to_owned())
        .map_err(|e| e.to_string())
}

impl ServeArgs {
    /// The configuration: defaults, then the config file, then these
    /// arguments (flags over environment variables), validated.
    pub fn into_config(self) -> caas_core::Result<ServeConfig> {
        let mut config = ServeConfig::default();
        if let Some(path) = &self.config {
            FileConfig::load(path)?.apply(&mut config)?;
        }
        if let Some(v) = self.listen {
            config.listen = v;
        }
        if let Some(v) = self.database.database_url {
            config.platform.database_url = Some(v);
        }
        if let Some(v) = self.database.database_schema {
            config.platform.database_schema = Some(v);
        }
        if let Some(v) = self.database.data_dir {
            config.platform.data_dir = v;
        }
        if let Some(v) = self.redis_url {
            config.platform.redis_url = Some(v);
        }
        if let Some(v) = self.redis_prefix {
            config.platform.redis_prefix = v;
        }
        if let Some(v) = self.rate_limit {
            config.ip_limits.all = v.0;
        }
        if let Some(v) = self.admin_key {
            config.admin_key = Some(SecretString::new(v));
        }
        if let Some(v) = self.master_key {
            config.platform.master_key = Some(SecretString::new(v));
        }
        if let Some(v) = self.master_key_file {
            config.platform.master_key_file = Some(v);
        }
        if self.production {
            config.platform.production = true;
        }
        if let Some(v) = self.public_url {
            config.public_url = Some(v);
        }
        if let Some(v) = self.base_domain {
            config.tenancy.base_domain = Some(v);
            if !config
                .tenancy
                .order
                .contains(&caas_core::TenantSource::Subdomain)
            {
                config
                    .tenancy
                    .order
                    .push(caas_core::TenantSource::Subdomain);
            }
        }
        if self.webhooks_allow_private_targets {
            config.platform.webhooks.allow_private_targets = true;
        }
        if self.no_migrate {
            config.platform.migrate = false;
        }
        config.validate()?;
        Ok(config)
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
        let config = args.into_config().unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.platform.database_url.is_none() && config.platform.redis_url.is_none());
        assert_eq!(
            config.effective_database_url(),
            "sqlite://caas-data/caas.sqlite3"
        );
        assert_eq!(config.ip_limits.all.unwrap().to_string(), "600/min");
        assert!(config.platform.migrate);
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
        assert!(args.rate_limit.unwrap().0.is_none());
    }
}
