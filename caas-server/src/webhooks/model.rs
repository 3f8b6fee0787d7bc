//! Webhook endpoints and deliveries as the API shows them.

use caas_core::{Error, Result, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The event types a webhook can subscribe to, with what they mean.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("tenant.updated", "the tenant's name or settings changed"),
    ("tenant.suspended", "the tenant was suspended"),
    ("tenant.resumed", "the tenant was resumed"),
    ("tenant.deleted", "the tenant was deleted"),
    (
        "webhook.ping",
        "a test event sent by `POST /v1/webhooks/{id}/ping`",
    ),
    (
        "keys.rotated",
        "the tenant key was rotated (its data keys are re-wrapped next)",
    ),
    (
        "keys.rewrapped",
        "every data and subject key is wrapped by the current tenant key",
    ),
    (
        "e2e.identity.changed",
        "a device replaced its identity key: its contacts' safety numbers changed",
    ),
    ("e2e.device.reset", "a device's keys were reset"),
    (
        "privacy.breach_overdue",
        "a personal-data breach passed its 72-hour deadline without the authority being notified",
    ),
];

/// The most event types (or patterns) one webhook may list.
pub const MAX_EVENT_TYPES: usize = 50;

/// A webhook endpoint of a tenant. The signing secret is shown only when
/// created or rotated.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    /// Id.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The tenant.
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    /// Where events are POSTed.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Event types or patterns (`tenant.*`, `*`) it receives.
    pub event_types: Vec<String>,
    /// Whether events are delivered to it.
    pub enabled: bool,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A webhook as written: `POST /v1/webhooks` and `PUT /v1/webhooks/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// An `http(s)` URL on a public address.
    pub url: String,
    /// What it is for (at most 500 characters).
    #[serde(default)]
    pub description: String,
    /// Event types (see `GET /v1/webhooks/event-types`), `prefix.*` or `*`.
    pub event_types: Vec<String>,
    /// Default `true`.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl WebhookInput {
    /// Checks description and event types (the URL is checked by the outbound policy).
    pub fn validate(&self) -> Result<()> {
        if self.description.chars().count() > 500 {
            return Err(
                Error::invalid_input("the description is longer than 500 characters")
                    .with_field("description"),
            );
        }
        if self.event_types.is_empty() || self.event_types.len() > MAX_EVENT_TYPES {
            return Err(
                Error::invalid_input(format!("list 1 to {MAX_EVENT_TYPES} event types"))
                    .with_field("event_types"),
            );
        }
        for t in &self.event_types {
            let known = t == "*"
                || EVENT_TYPES.iter().any(|(name, _)| name == t)
                || t.strip_suffix(".*").is_some_and(|prefix| {
                    EVENT_TYPES.iter().any(|(name, _)| {
                        name.strip_prefix(prefix)
                            .is_some_and(|r| r.starts_with('.'))
                    })
                });
            if !known {
                return Err(Error::invalid_input(format!(
                    "`{}` is not an event type; see GET /v1/webhooks/event-types",
                    t.chars().take(64).collect::<String>()
                ))
                .with_field("event_types"));
            }
        }
        Ok(())
    }
}

/// Whether a webhook subscribed to `patterns` receives `event_type`.
pub fn subscribed(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| {
        p == "*"
            || p == event_type
            || p.strip_suffix(".*").is_some_and(|prefix| {
                event_type
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    })
}

/// A webhook with its signing secret: the answer to create and rotate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret (`whsec_…`); store it now, it is not shown again.
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is running (or its worker died and the lease will expire).
    Delivering,
    /// The receiver answered 2xx.
    Succeeded,
    /// Every attempt failed; replay it to try again.
    Dead,
}

impl DeliveryState {
    /// The stored form.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivering => "delivering",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Dead => "dead",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(DeliveryState::Pending),
            "delivering" => Ok(DeliveryState::Delivering),
            "succeeded" => Ok(DeliveryState::Succeeded),
            "dead" => Ok(DeliveryState::Dead),
            other => Err(Error::internal(format!("unknown delivery state `{other}`"))),
        }
    }
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    /// Id; sent as `X-CAAS-Delivery`.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The webhook.
    #[schema(value_type = String, format = Uuid)]
    pub webhook_id: Uuid,
    /// The event's id (receivers de-duplicate by it).
    #[schema(value_type = String, format = Uuid)]
    pub event_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due (pending) or the lease ends (delivering).
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: Timestamp,
    /// The HTTP status of the last attempt, if one was received.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it succeeded.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    /// When it was enqueued.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_by_dotted_prefix() {
        let p = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(subscribed(&p(&["*"]), "tenant.updated"));
        assert!(subscribed(&p(&["tenant.*"]), "tenant.updated"));
        assert!(!subscribed(&p(&["tenant.*"]), "tenantx.updated"));
        assert!(!subscribed(&p(&["tenant.updated"]), "tenant.deleted"));
    }

    #[test]
    fn inputs_are_validated() {
        let input = |types: &[&str]| WebhookInput {
            url: "https://example.com".into(),
            description: String::new(),
            event_types: types.iter().map(|s| (*s).to_owned()).collect(),
            enabled: true,
        };
        input(&["tenant.updated", "webhook.*", "*"])
            .validate()
            .unwrap();
        assert!(input(&[]).validate().is_err());
        assert!(input(&["tenant.exploded"]).validate().is_err());
        assert!(input(&["nothing.*"]).validate().is_err());
    }
}
