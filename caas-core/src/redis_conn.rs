//! Connecting to Redis: URL validation, a self-reconnecting connection, errors.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::validate::truncate;
use crate::{Error, Result};

/// How to reach Redis, and the prefix of every key and channel.
#[derive(Clone)]
pub struct RedisConfig {
    url: url::Url,
    prefix: String,
    timeout: Duration,
}

impl RedisConfig {
    /// Validates `url` (`redis://[user:password@]host[:port][/db]`); the key prefix is `caas`.
    pub fn new(url: &str) -> Result<Self> {
        let invalid = |why: String| {
            Error::invalid_input(format!("invalid Redis URL: {why}")).with_field("redis_url")
        };
        let parsed = url::Url::parse(url.trim()).map_err(|e| invalid(e.to_string()))?;
        match parsed.scheme() {
            "redis" => {}
            "rediss" => {
                return Err(invalid(
                    "TLS (`rediss://`) is not supported by this build; use `redis://`".to_owned(),
                ));
            }
            other => {
                return Err(invalid(format!(
                    "unsupported scheme `{}`; use `redis://`",
                    truncate(other)
                )));
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL names no host".to_owned()));
        }
        Ok(RedisConfig {
            url: parsed,
            prefix: "caas".to_owned(),
            timeout: Duration::from_secs(2),
        })
    }

    /// Sets the prefix of keys and channels (1–32 of a-z, 0-9, `-`, `_`), so
    /// several deployments can share one Redis.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self> {
        Self::check_prefix(prefix)?;
        self.prefix = prefix.to_owned();
        Ok(self)
    }

    /// Checks a key prefix without connecting (see [`with_prefix`](Self::with_prefix)).
    pub fn check_prefix(prefix: &str) -> Result<()> {
        crate::validate::check_identifier(prefix, "Redis key prefix", 32, &['-', '_'])
    }

    /// Sets how long one command or connection attempt may take (default 2 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn client(&self) -> Result<redis::Client> {
        redis::Client::open(self.url.as_str()).map_err(|e| {
            Error::invalid_input(format!("invalid Redis URL `{self}`: {e}")).with_field("redis_url")
        })
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Connects, failing with `Unavailable` if Redis does not answer now;
    /// afterwards the connection re-establishes itself whenever it drops.
    pub(crate) async fn connect(&self) -> Result<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1))
            .set_number_of_retries(3);
        ConnectionManager::new_with_config(self.client()?, config)
            .await
            .map_err(|e| {
                Error::unavailable(format!("cannot connect to Redis at `{self}`: {e}"))
                    .with_source(e)
            })
    }
}

impl fmt::Display for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &self.to_string())
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// Maps a Redis error: connection trouble is `Unavailable`, a wrong value
/// type `InvalidInput`, anything else `Internal`.
pub(crate) fn from_redis(e: redis::RedisError) -> Error {
    if e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
    {
        return Error::unavailable(format!("Redis unavailable: {e}")).with_source(e);
    }
    let text = e.to_string();
    if text.contains("not an integer") || text.contains("overflow") || text.contains("WRONGTYPE") {
        return Error::invalid_input(format!("the stored value has the wrong type: {text}"))
            .with_source(e);
    }
    Error::internal(format!("Redis error: {text}")).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn urls_are_validated_and_redacted() {
        let c = RedisConfig::new("redis://:hunter2@cache:6379/2").unwrap();
        assert!(!c.to_string().contains("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
        for bad in ["cache:6379", "http://cache", "rediss://cache", "redis://"] {
            let e = RedisConfig::new(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(e.field(), Some("redis_url"));
        }
    }

    #[test]
    fn prefixes_are_validated() {
        let c = RedisConfig::new("redis://localhost").unwrap();
        assert!(c.clone().with_prefix("caas-staging").is_ok());
        assert!(c.clone().with_prefix("").is_err());
        assert!(c.with_prefix("a:b").is_err());
    }
}
