//! Webhook endpoints and deliveries as the API shows them.

use caas_core::{Error, EventCatalogue, Result, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most event types (or patterns) one webhook may list.
pub const MAX_EVENT_TYPES: usize = 50;

/// A webhook endpoint of a tenant. The signing secret is shown only when
/// created or rotated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    /// Id.
    pub id: Uuid,
    /// The tenant.
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
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A webhook as written: `POST /v1/webhooks` and `PUT /v1/webhooks/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Checks description and event types against `catalogue` (the URL is
    /// checked by the outbound policy).
    pub fn validate(&self, catalogue: &EventCatalogue) -> Result<()> {
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
            catalogue.check_pattern(t).map_err(|e| {
                Error::invalid_input(format!("{}; see GET /v1/webhooks/event-types", e.message()))
                    .with_field("event_types")
            })?;
        }
        Ok(())
    }
}

/// A webhook with its signing secret: the answer to create and rotate.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret (`whsec_…`); store it now, it is not shown again.
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Id; sent as `X-CAAS-Delivery`.
    pub id: Uuid,
    /// The webhook.
    pub webhook_id: Uuid,
    /// The event's id (receivers de-duplicate by it).
    pub event_id: Uuid,
    /// The event type.
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due (pending) or the lease ends (delivering).
    pub next_attempt_at: Timestamp,
    /// The HTTP status of the last attempt, if one was received.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it succeeded.
    pub delivered_at: Option<Timestamp>,
    /// When it was enqueued.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_validated_against_the_catalogue() {
        let catalogue = EventCatalogue::new()
            .with(caas_core::EVENTS)
            .unwrap()
            .with(crate::EVENTS)
            .unwrap();
        let input = |types: &[&str]| WebhookInput {
            url: "https://example.com".into(),
            description: String::new(),
            event_types: types.iter().map(|s| (*s).to_owned()).collect(),
            enabled: true,
        };
        input(&["tenant.updated", "webhook.*", "*"])
            .validate(&catalogue)
            .unwrap();
        assert!(input(&[]).validate(&catalogue).is_err());
        let e = input(&["tenant.exploded"])
            .validate(&catalogue)
            .unwrap_err();
        assert_eq!(e.field(), Some("event_types"));
        assert!(input(&["nothing.*"]).validate(&catalogue).is_err());
        let mut long = input(&["*"]);
        long.description = "x".repeat(501);
        assert_eq!(
            long.validate(&catalogue).unwrap_err().field(),
            Some("description")
        );
    }
}
