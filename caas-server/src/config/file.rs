//! The TOML configuration file (`--config` / `CAAS_CONFIG`).
//!
//! Every key is optional; unknown keys are refused so a typo is an error
//! rather than a silently ignored setting. See `caas-server.example.toml`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use caas_core::{Error, Result, SecretString, TenantSource};
use serde::Deserialize;

use super::plans::parse_limit;
use super::{Plan, Plans, ServeConfig};

/// The file's contents, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<SocketAddr>,
    database_url: Option<String>,
    database_schema: Option<String>,
    data_dir: Option<PathBuf>,
    redis_url: Option<String>,
    redis_prefix: Option<String>,
    migrate: Option<bool>,
    admin_key: Option<SecretString>,
    master_key_file: Option<PathBuf>,
    production: Option<bool>,
    public_url: Option<String>,
    #[serde(default)]
    http: HttpSection,
    #[serde(default)]
    tenancy: TenancySection,
    #[serde(default)]
    rate_limits: RateLimitSection,
    #[serde(default)]
    plans: BTreeMap<String, Plan>,
    #[serde(default)]
    webhooks: WebhookSection,
    #[serde(default)]
    auth: AuthSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthSection {
    password_hash_memory_kib: Option<u32>,
    federation_allow_private_issuers: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    body_limit_bytes: Option<usize>,
    #[serde(default, with = "opt_duration")]
    request_timeout: Option<Duration>,
    cors_allowed_origins: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenancySection {
    base_domain: Option<String>,
    resolution_order: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitSection {
    ip: Option<String>,
    ip_auth: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSection {
    allow_private_targets: Option<bool>,
    max_attempts: Option<u32>,
    #[serde(default, with = "opt_duration")]
    backoff: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    max_backoff: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    timeout: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    poll_interval: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    lease: Option<Duration>,
}

impl FileConfig {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_input(format!(
                "cannot read the config file `{}`: {e}",
                path.display()
            ))
        })?;
        Self::parse(&text).map_err(|e| {
            Error::invalid_input(format!("config file `{}`: {}", path.display(), e.message()))
        })
    }

    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::invalid_input(e.to_string().trim().to_owned()))
    }

    /// Writes every setting the file has over `config`.
    pub fn apply(self, config: &mut ServeConfig) -> Result<()> {
        set(&mut config.listen, self.listen);
        config.platform.database_url = self.database_url.or(config.platform.database_url.take());
        config.platform.database_schema = self
            .database_schema
            .or(config.platform.database_schema.take());
        set(&mut config.platform.data_dir, self.data_dir);
        config.platform.redis_url = self.redis_url.or(config.platform.redis_url.take());
        if let Some(prefix) = self.redis_prefix {
            caas_core::RedisConfig::check_prefix(&prefix)?;
            config.platform.redis_prefix = prefix;
        }
        set(&mut config.platform.migrate, self.migrate);
        config.admin_key = self.admin_key.or(config.admin_key.take());
        config.platform.master_key_file = self
            .master_key_file
            .or(config.platform.master_key_file.take());
        set(&mut config.platform.production, self.production);
        if let Some(url) = self.public_url {
            config.public_url = Some(url::Url::parse(&url).map_err(|e| {
                Error::invalid_input(format!("setting `public_url`: `{url}` is not a URL: {e}"))
            })?);
        }

        set(&mut config.http.body_limit, self.http.body_limit_bytes);
        set(&mut config.http.request_timeout, self.http.request_timeout);
        set(
            &mut config.http.cors_allowed_origins,
            self.http.cors_allowed_origins,
        );

        config.tenancy.base_domain = self
            .tenancy
            .base_domain
            .or(config.tenancy.base_domain.take());
        if let Some(order) = self.tenancy.resolution_order {
            config.tenancy.order = order
                .iter()
                .map(|s| parse_source(s))
                .collect::<Result<_>>()?;
        }

        if let Some(ip) = self.rate_limits.ip {
            config.ip_limits.all = parse_limit(&ip).map_err(|e| in_setting("rate_limits.ip", e))?;
        }
        if let Some(ip) = self.rate_limits.ip_auth {
            config.ip_limits.auth =
                parse_limit(&ip).map_err(|e| in_setting("rate_limits.ip_auth", e))?;
        }
        if !self.plans.is_empty() {
            config.plans = Plans::new(self.plans);
        }

        let (w, c) = (self.webhooks, &mut config.platform.webhooks);
        set(&mut c.allow_private_targets, w.allow_private_targets);
        set(&mut c.max_attempts, w.max_attempts);
        set(&mut c.backoff, w.backoff);
        set(&mut c.max_backoff, w.max_backoff);
        set(&mut c.timeout, w.timeout);
        set(&mut c.poll_interval, w.poll_interval);
        set(&mut c.lease, w.lease);
        set(
            &mut config.platform.auth.password_hash_memory_kib,
            self.auth.password_hash_memory_kib,
        );
        set(
            &mut config.platform.auth.federation_allow_private_issuers,
            self.auth.federation_allow_private_issuers,
        );
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn in_setting(name: &str, e: Error) -> Error {
    Error::invalid_input(format!("setting `{name}`: {}", e.message()))
}

/// `header`, `token_claim`, `subdomain` or `path`.
pub(crate) fn parse_source(s: &str) -> Result<TenantSource> {
    match s {
        "header" => Ok(TenantSource::Header),
        "token_claim" => Ok(TenantSource::TokenClaim),
        "subdomain" => Ok(TenantSource::Subdomain),
        "path" => Ok(TenantSource::PathPrefix),
        other => Err(Error::invalid_input(format!(
            "setting `tenancy.resolution_order`: `{other}` is not a tenant source; \
             expected `header`, `token_claim`, `subdomain` or `path`"
        ))),
    }
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Some).map_err(|e| {
            serde::de::Error::custom(format!(
                "`{s}` is not a duration ({e}); write e.g. `30s`, `5m`"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_applies_over_the_defaults() {
        let file = FileConfig::parse(
            r#"
            listen = "0.0.0.0:9000"
            public_url = "https://api.example.com"
            [http]
            body_limit_bytes = 2048
            request_timeout = "5s"
            [tenancy]
            base_domain = "caas.example.com"
            resolution_order = ["subdomain", "header"]
            [rate_limits]
            ip = "off"
            [plans.pro]
            requests = "100/s"
            monthly_requests = 1000
            [webhooks]
            allow_private_targets = true
            backoff = "100ms"
            "#,
        )
        .unwrap();
        let mut config = ServeConfig::default();
        file.apply(&mut config).unwrap();
        config.validate().unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert!(config.tls());
        assert_eq!(config.http.body_limit, 2048);
        assert_eq!(config.http.request_timeout, Duration::from_secs(5));
        assert_eq!(config.tenancy.order[0], TenantSource::Subdomain);
        assert_eq!(config.ip_limits.all, None);
        assert!(
            config.ip_limits.auth.is_some(),
            "untouched settings keep their default"
        );
        assert_eq!(config.plans.get(Some("pro")).monthly_requests, Some(1000));
        assert!(config.plans.check("default").is_ok());
        assert_eq!(config.platform.webhooks.backoff, Duration::from_millis(100));
    }

    #[test]
    fn the_example_file_is_valid() {
        let file = FileConfig::parse(include_str!("../../../caas-server.example.toml")).unwrap();
        let mut config = ServeConfig::default();
        file.apply(&mut config).unwrap();
        config.validate().unwrap();
        assert_eq!(
            config.plans.get(Some("free")).monthly_requests,
            Some(100_000)
        );
    }

    #[test]
    fn mistakes_are_reported_with_their_place() {
        let e = FileConfig::parse("lisen = \"0.0.0.0:1\"").unwrap_err();
        assert!(e.message().contains("lisen"), "{e}");
        let e = FileConfig::parse("[webhooks]\nbackoff = \"soon\"").unwrap_err();
        assert!(e.message().contains("soon"), "{e}");
        let e = FileConfig::parse("[plans.x]\nrequests = \"many\"").unwrap_err();
        assert!(e.message().contains("many"), "{e}");
        let file = FileConfig::parse("[tenancy]\nresolution_order = [\"cookie\"]").unwrap();
        let e = file.apply(&mut ServeConfig::default()).unwrap_err();
        assert!(e.message().contains("cookie"), "{e}");
    }
}
