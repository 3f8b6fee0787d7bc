//! How deliveries are made: the address policy, retries and the worker's pace.

use std::time::Duration;

use caas_core::{Error, Result};

/// Webhook delivery settings (`[webhooks]` in the server's configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Allow targets on loopback, private, link-local and other
    /// non-public addresses. Off by default: a tenant must not be able to
    /// make the platform call its own network (SSRF).
    pub allow_private_targets: bool,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled per attempt, with jitter.
    pub backoff: Duration,
    /// The longest delay between two attempts.
    pub max_backoff: Duration,
    /// Timeout of one delivery attempt.
    pub timeout: Duration,
    /// How often an idle worker looks for due deliveries.
    pub poll_interval: Duration,
    /// How long a claimed attempt is reserved for its worker; after that
    /// (the worker died) another instance retries it.
    pub lease: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            allow_private_targets: false,
            max_attempts: 8,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
        }
    }
}

fn setting(name: &'static str, why: &str) -> Error {
    Error::invalid_input(format!("setting `{name}` {why}")).with_field(name)
}

impl WebhookConfig {
    /// Checks the settings together; an error names the setting
    /// (`webhooks.lease`, say).
    pub fn validate(&self) -> Result<()> {
        if self.max_attempts == 0 || self.max_attempts > 100 {
            return Err(setting("webhooks.max_attempts", "must be 1 to 100"));
        }
        for (name, d) in [
            ("webhooks.backoff", self.backoff),
            ("webhooks.timeout", self.timeout),
            ("webhooks.poll_interval", self.poll_interval),
            ("webhooks.lease", self.lease),
        ] {
            if d.is_zero() {
                return Err(setting(name, "must be longer than 0s"));
            }
        }
        if self.max_backoff < self.backoff {
            return Err(setting(
                "webhooks.max_backoff",
                "must not be shorter than webhooks.backoff",
            ));
        }
        if self.lease <= self.timeout {
            return Err(setting(
                "webhooks.lease",
                "must be longer than webhooks.timeout, or a slow attempt would be retried while it runs",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_errors_name_the_setting() {
        WebhookConfig::default().validate().unwrap();
        let mut c = WebhookConfig::default();
        c.lease = c.timeout;
        assert_eq!(c.validate().unwrap_err().field(), Some("webhooks.lease"));
        let c = WebhookConfig {
            max_attempts: 0,
            ..WebhookConfig::default()
        };
        assert_eq!(
            c.validate().unwrap_err().field(),
            Some("webhooks.max_attempts")
        );
        let c = WebhookConfig {
            max_backoff: Duration::from_secs(1),
            ..WebhookConfig::default()
        };
        assert_eq!(
            c.validate().unwrap_err().field(),
            Some("webhooks.max_backoff")
        );
    }
}
