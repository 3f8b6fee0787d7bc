//! The configuration of `caas-server serve`: defaults, then a TOML file,
//! then environment variables, then flags — each later source overrides the
//! earlier ones — validated once at start.

mod file;
mod plans;

use std::net::SocketAddr;
use std::time::Duration;

use caas_core::{Error, Result, SecretString, TenantSource};

pub use self::file::FileConfig;
pub(crate) use self::plans::parse_limit;
pub use self::plans::{DEFAULT_PLAN, IpLimits, Plan, Plans};
pub use caas::{AuthConfig, WebhookConfig};

/// Everything `serve` needs, validated: what the platform is opened on
/// ([`caas::PlatformConfig`]) and what only the HTTP server has.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Backends, keys, authentication and webhook delivery. Its
    /// `public_url` is not read: [`ServeConfig::platform`] sets it from
    /// `public_url` below and the address the server listens on.
    pub platform: caas::PlatformConfig,
    /// The platform admin key; `None`: generated on first start, stored hashed.
    pub admin_key: Option<SecretString>,
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
            platform: caas::PlatformConfig::default(),
            admin_key: None,
            public_url: None,
            http: HttpConfig::default(),
            tenancy: TenancyConfig::default(),
            ip_limits: IpLimits::default(),
            plans: Plans::default(),
        }
    }
}

/// The shortest admin key accepted.
pub const MIN_ADMIN_KEY_LEN: usize = 32;

impl ServeConfig {
    /// The database URL to use: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        self.platform
            .database_url
            .clone()
            .unwrap_or_else(|| default_database_url(&self.platform.data_dir))
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
            public_url: self.public_base(local),
            ..self.platform.clone()
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
        // Backends, keys, authentication, webhooks: the platform's own
        // checks (its `public_url` is set from ours, checked below).
        self.platform.validate()?;
        if let Some(key) = &self.admin_key
            && key.expose().len() < MIN_ADMIN_KEY_LEN
        {
            return Err(setting(
                "admin_key",
                format!("must be at least {MIN_ADMIN_KEY_LEN} characters"),
            ));
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
        c.platform.webhooks.lease = c.platform.webhooks.timeout;
        assert_eq!(c.validate().unwrap_err().field(), Some("webhooks.lease"));
    }
}
