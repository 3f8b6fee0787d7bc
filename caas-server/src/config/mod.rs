//! The configuration of `caas-server serve`: defaults, then a TOML file,
//! then environment variables, then flags — each later source overrides the
//! earlier ones — validated once at start.

mod file;
mod plans;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use caas_core::{Error, Result, SecretString, TenantSource};

pub use self::file::FileConfig;
pub(crate) use self::plans::parse_limit;
pub use self::plans::{DEFAULT_PLAN, IpLimits, Plan, Plans};
pub use caas::{AuthConfig, WebhookConfig};

/// Everything `serve` needs, validated.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Database URL; `None` means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// PostgreSQL schema to use instead of the login's default (so several
    /// deployments, or test runs, can share a database).
    pub database_schema: Option<String>,
    /// Directory for the embedded database.
    pub data_dir: PathBuf,
    /// Redis URL; `None` means in-process cache and events.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel.
    pub redis_prefix: String,
    /// Apply pending migrations at start (otherwise refuse to start if any are pending).
    pub migrate: bool,
    /// The platform admin key; `None`: generated on first start, stored hashed.
    pub admin_key: Option<SecretString>,
    /// The platform master key (wraps every tenant key), as text.
    pub master_key: Option<SecretString>,
    /// A file holding the master key.
    pub master_key_file: Option<PathBuf>,
    /// Production mode: refuse to start without a configured master key
    /// (never generate one into the data directory).
    pub production: bool,
    /// The public base URL clients reach the server at; `https` turns on HSTS.
    pub public_url: Option<url::Url>,
    /// HTTP limits and CORS.
    pub http: HttpConfig,
    /// How requests name their tenant.
    pub tenancy: TenancyConfig,
    /// Limits per client IP.
    pub ip_limits: IpLimits,
    /// Limits and quotas per tenant plan.
    pub plans: Plans,
    /// Webhook delivery.
    pub webhooks: WebhookConfig,
    /// Authentication.
    pub auth: AuthConfig,
}

/// HTTP limits and platform-wide CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Longest a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Origins allowed on every route, in addition to each tenant's own.
    pub cors_allowed_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// How the tenant of a request is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenancyConfig {
    /// The domain tenants are subdomains of (`acme.<base_domain>`).
    pub base_domain: Option<String>,
    /// The sources consulted, in order.
    pub order: Vec<TenantSource>,
}

impl Default for TenancyConfig {
    fn default() -> Self {
        TenancyConfig {
            base_domain: None,
            order: vec![
                TenantSource::Header,
                TenantSource::TokenClaim,
                TenantSource::PathPrefix,
            ],
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            database_schema: None,
            data_dir: PathBuf::from("caas-data"),
            redis_url: None,
            redis_prefix: "caas".to_owned(),
            migrate: true,
            admin_key: None,
            master_key: None,
            master_key_file: None,
            production: false,
            public_url: None,
            http: HttpConfig::default(),
            tenancy: TenancyConfig::default(),
            ip_limits: IpLimits::default(),
            plans: Plans::default(),
            webhooks: WebhookConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

/// The shortest admin key accepted.
pub const MIN_ADMIN_KEY_LEN: usize = 32;

impl ServeConfig {
    /// The database URL to use: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| default_database_url(&self.data_dir))
    }

    /// The base of every tenant's issuer URL: `public_url`, or the address
    /// the server listens on (`localhost` for a wildcard or loopback address).
    pub fn public_base(&self, local: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None if local.ip().is_unspecified() || local.ip().is_loopback() => {
                format!("http://localhost:{}", local.port())
            }
            None => format!("http://{local}"),
        }
    }

    /// What the platform is opened on, for a server listening on `local`.
    pub fn platform(&self, local: SocketAddr) -> caas::PlatformConfig {
        caas::PlatformConfig {
            database_url: self.database_url.clone(),
            database_schema: self.database_schema.clone(),
            data_dir: self.data_dir.clone(),
            redis_url: self.redis_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
            migrate: self.migrate,
            master_key: self.master_key.clone(),
            master_key_file: self.master_key_file.clone(),
            production: self.production,
            public_url: self.public_base(local),
            auth: self.auth.clone(),
            webhooks: self.webhooks.clone(),
        }
    }

    /// Whether clients reach the server over TLS (then HSTS is sent).
    pub fn tls(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }

    /// Checks what each source could not check alone; errors name the setting.
    pub fn validate(&self) -> Result<()> {
        if !(8..=4 * 1024 * 1024).contains(&self.auth.password_hash_memory_kib) {
            return Err(setting(
                "auth.password_hash_memory_kib",
                "must be 8 to 4194304 (KiB)",
            ));
        }
        if let Some(key) = &self.admin_key
            && key.expose().len() < MIN_ADMIN_KEY_LEN
        {
            return Err(setting(
                "admin_key",
                format!("must be at least {MIN_ADMIN_KEY_LEN} characters"),
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
        if let Some(url) = &self.public_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(setting("public_url", "must be an http or https URL"));
        }
        if self.http.body_limit == 0 {
            return Err(setting("http.body_limit", "must be at least 1 byte"));
        }
        if self.http.request_timeout.is_zero() {
            return Err(setting("http.request_timeout", "must be longer than 0s"));
        }
        for origin in &self.http.cors_allowed_origins {
            caas_core::CorsSettings {
                allowed_origins: vec![origin.clone()],
            }
            .validate()
            .map_err(|e| setting("http.cors_allowed_origins", e.message().to_owned()))?;
        }
        if self.tenancy.order.contains(&TenantSource::Subdomain)
            && self.tenancy.base_domain.is_none()
        {
            return Err(setting(
                "tenancy.resolution_order",
                "`subdomain` needs `tenancy.base_domain`",
            ));
        }
        self.webhooks.validate()?;
        Ok(())
    }
}

fn setting(name: &'static str, why: impl Into<String>) -> Error {
    Error::invalid_input(format!("setting `{name}` {}", why.into())).with_field(name)
}

pub use caas::config::default_database_url;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        ServeConfig::default().validate().unwrap();
    }

    #[test]
    fn validation_names_the_setting() {
        let c = ServeConfig {
            admin_key: Some(SecretString::from("short")),
            ..ServeConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().field(), Some("admin_key"));
        let mut c = ServeConfig::default();
        c.tenancy.order.push(TenantSource::Subdomain);
        assert_eq!(
            c.validate().unwrap_err().field(),
            Some("tenancy.resolution_order")
        );
        let mut c = ServeConfig::default();
        c.webhooks.lease = c.webhooks.timeout;
        assert_eq!(c.validate().unwrap_err().field(), Some("webhooks.lease"));
    }
}
