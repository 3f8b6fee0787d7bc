//! [`PlatformConfig`]: what a platform is opened on — the backends, the
//! master key, the public URL and the crates' platform-wide settings.

use std::path::{Path, PathBuf};

use caas_core::{Error, Result, SecretString};
pub use caas_webhooks::WebhookConfig;

/// Platform-wide authentication settings (each tenant's own choices live in
/// its settings, `extensions.auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// argon2id memory per password hash, in KiB (default 19456, OWASP's
    /// recommendation; lower only for tests).
    pub password_hash_memory_kib: u32,
    /// Let tenants configure upstream identity providers on private,
    /// loopback or link-local addresses (default off: federation requests
    /// go through the same address policy as webhooks).
    pub federation_allow_private_issuers: bool,
    /// How long a one-time ticket stays redeemable (default 60 s; clamped
    /// to 1 s to 10 min).
    pub ticket_ttl: std::time::Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            password_hash_memory_kib: 19 * 1024,
            federation_allow_private_issuers: false,
            ticket_ttl: caas_auth::tickets::DEFAULT_TTL,
        }
    }
}

/// What [`Platform::open`](crate::Platform::open) needs.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Database URL (`sqlite://…`, `sqlite::memory:`, `postgres://…`);
    /// `None` means the SQLite file `caas.sqlite3` in `data_dir`.
    pub database_url: Option<String>,
    /// PostgreSQL schema to use instead of the login's default (so several
    /// deployments, or test runs, can share a database).
    pub database_schema: Option<String>,
    /// Directory of the embedded database (and its generated master key).
    pub data_dir: PathBuf,
    /// Redis URL; `None` means an in-process cache and event bus (one
    /// process only).
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel.
    pub redis_prefix: String,
    /// Apply pending migrations when opening (otherwise a database behind
    /// this build is refused).
    pub migrate: bool,
    /// The platform master key (wraps every tenant key), as text.
    pub master_key: Option<SecretString>,
    /// A file holding the master key.
    pub master_key_file: Option<PathBuf>,
    /// Production mode: a master key must be configured (never generated).
    pub production: bool,
    /// The base URL clients reach the platform at: every tenant's token
    /// issuer is `{public_url}/t/{slug}`.
    pub public_url: String,
    /// Authentication.
    pub auth: AuthConfig,
    /// Webhook delivery.
    pub webhooks: WebhookConfig,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            database_url: None,
            database_schema: None,
            data_dir: PathBuf::from("caas-data"),
            redis_url: None,
            redis_prefix: "caas".to_owned(),
            migrate: true,
            master_key: None,
            master_key_file: None,
            production: false,
            public_url: "http://localhost:8080".to_owned(),
            auth: AuthConfig::default(),
            webhooks: WebhookConfig::default(),
        }
    }
}

fn setting(name: &'static str, why: impl Into<String>) -> Error {
    Error::invalid_input(format!("setting `{name}` {}", why.into())).with_field(name)
}

impl PlatformConfig {
    /// The embedded default: SQLite in `data_dir`, in-process cache and
    /// events, a master key generated into `data_dir` on first use.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        PlatformConfig {
            data_dir: data_dir.into(),
            ..PlatformConfig::default()
        }
    }

    /// Everything in memory, gone when the process ends (tests, examples).
    pub fn in_memory() -> Self {
        PlatformConfig {
            database_url: Some("sqlite::memory:".to_owned()),
            ..PlatformConfig::default()
        }
    }

    /// The database URL to use: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| default_database_url(&self.data_dir))
    }

    /// Checks the settings together; an error names the setting.
    pub fn validate(&self) -> Result<()> {
        if !(8..=4 * 1024 * 1024).contains(&self.auth.password_hash_memory_kib) {
            return Err(setting(
                "auth.password_hash_memory_kib",
                "must be 8 to 4194304 (KiB)",
            ));
        }
        if let Some(schema) = &self.database_schema {
            let ok = (1..=63).contains(&schema.len())
                && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && schema
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(setting(
                    "database_schema",
                    "must be 1 to 63 of a-z, 0-9 and _, not starting with a digit",
                ));
            }
        }
        match url::Url::parse(&self.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return Err(setting("public_url", "must be an http or https URL")),
        }
        self.webhooks.validate()
    }
}

/// `sqlite://<data_dir>/caas.sqlite3`.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("caas.sqlite3").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_errors_name_the_setting() {
        PlatformConfig::default().validate().unwrap();
        PlatformConfig::in_memory().validate().unwrap();
        let mut c = PlatformConfig::in_memory();
        c.public_url = "ftp://x".into();
        assert_eq!(c.validate().unwrap_err().field(), Some("public_url"));
        c.public_url = "http://localhost".into();
        c.database_schema = Some("1bad".into());
        assert_eq!(c.validate().unwrap_err().field(), Some("database_schema"));
        c.database_schema = None;
        c.auth.password_hash_memory_kib = 1;
        assert_eq!(
            c.validate().unwrap_err().field(),
            Some("auth.password_hash_memory_kib")
        );
        c.auth.password_hash_memory_kib = 64;
        c.webhooks.max_attempts = 0;
        assert_eq!(
            c.validate().unwrap_err().field(),
            Some("webhooks.max_attempts")
        );
    }
}
