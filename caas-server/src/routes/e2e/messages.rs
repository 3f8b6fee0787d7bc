//! The mailbox: `/v1/messages…` — opaque ciphertexts to a user's devices,
//! each kept until its recipient device acknowledges it or it expires.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use caas_core::{Error, Result};
use caas_crypto::mailbox::{Address, StoredMessage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{decode, encode};
use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// How long a message waits when the sender does not say (7 days).
const DEFAULT_TTL: u64 = 7 * 24 * 3600;

/// One ciphertext for one device.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outgoing {
    /// The recipient user.
    pub user_id: String,
    /// The recipient device.
    pub device_id: String,
    /// The `caas-e2e-v1` message for that device, base64url (at most 64 KiB + 1 KiB).
    pub ciphertext: String,
}

/// `POST /v1/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessages {
    /// My device that sent them (it must have published keys).
    pub sender_device_id: String,
    /// Seconds the messages wait unread (default 604800, 7 days; 1 to
    /// 2592000, 30 days).
    pub ttl_seconds: Option<u64>,
    /// One ciphertext per recipient device (1 to 100): stored all or none.
    pub messages: Vec<Outgoing>,
}

/// The ids of the stored messages, in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Sent {
    /// Ids.
    #[schema(value_type = Vec<String>)]
    pub ids: Vec<Uuid>,
}

/// A user's device.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceAddress {
    /// The user.
    pub user_id: String,
    /// The device.
    pub device_id: String,
}

/// A message waiting for my device.
#[derive(Debug, Serialize, ToSchema)]
pub struct Incoming {
    /// Id: acknowledge with `DELETE /v1/messages/{id}`.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// Who sent it.
    pub sender: DeviceAddress,
    /// The ciphertext, base64url.
    pub ciphertext: String,
    /// Arrived (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Dropped unread after (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// My inbox: a page of messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    /// The messages.
    pub items: Vec<Incoming>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// Which inbox, and where to start.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// My device.
    pub device_id: String,
    /// Messages after this id.
    pub after: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// Which device acknowledges.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AckParams {
    /// My device whose inbox holds the message.
    pub device_id: String,
}

fn incoming(m: StoredMessage) -> Incoming {
    Incoming {
        id: m.id,
        sender: DeviceAddress {
            user_id: m.sender.user,
            device_id: m.sender.device,
        },
        ciphertext: encode(&m.ciphertext),
        created_at: m.created_at.to_string(),
        expires_at: m.expires_at.to_string(),
    }
}

fn message_id(s: &str, field: &'static str) -> Result<Uuid> {
    s.parse::<Uuid>().map_err(|_| {
        Error::invalid_input(format!("`{field}` is not a message id")).with_field(field)
    })
}

/// Send ciphertexts to devices (mine or another user's).
#[utoipa::path(post, path = "/v1/messages", operation_id = "send_messages", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = SendMessages,
    responses(
        (status = 201, description = "Stored", body = Sent),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "A device published no keys", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn send(
    State(state): State<AppState>,
    access: UserAccess,
    Json(body): Json<SendMessages>,
) -> Result<(StatusCode, Json<Sent>), Problem> {
    let ttl = caas_crypto::mailbox::ttl_seconds(body.ttl_seconds.unwrap_or(DEFAULT_TTL))?;
    let to = body
        .messages
        .into_iter()
        .map(|m| {
            Ok((
                Address {
                    user: m.user_id,
                    device: m.device_id,
                },
                decode(&m.ciphertext, "messages.ciphertext")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let from = Address {
        user: access.principal.subject.clone(),
        device: body.sender_device_id,
    };
    let ids = state
        .mailbox
        .send(&access.tenant.id, &from, &to, ttl)
        .await?;
    Ok((StatusCode::CREATED, Json(Sent { ids })))
}

/// My device's inbox: unexpired, unacknowledged messages, oldest first.
#[utoipa::path(get, path = "/v1/messages", operation_id = "list_messages", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), InboxParams),
    responses(
        (status = 200, description = "A page of messages", body = Inbox),
        (status = 400, description = "Invalid parameters", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn inbox(
    State(state): State<AppState>,
    access: UserAccess,
    Query(params): Query<InboxParams>,
) -> Result<Json<Inbox>, Problem> {
    let limit = match params.limit {
        None => 100,
        Some(n) if (1..=500).contains(&n) => n,
        Some(_) => {
            return Err(Problem(
                Error::invalid_input("`limit` must be 1 to 500").with_field("limit"),
            ));
        }
    };
    let after = params
        .after
        .as_deref()
        .map(|a| message_id(a, "after"))
        .transpose()?;
    let me = Address {
        user: access.principal.subject,
        device: params.device_id,
    };
    let items = state
        .mailbox
        .inbox(&access.tenant.id, &me, after, limit)
        .await?;
    let next_after = (items.len() == limit as usize)
        .then(|| items.last().map(|m| m.id.to_string()))
        .flatten();
    Ok(Json(Inbox {
        items: items.into_iter().map(incoming).collect(),
        next_after,
    }))
}

/// Acknowledge (delete) a message of my device's inbox.
#[utoipa::path(delete, path = "/v1/messages/{id}", operation_id = "ack_message", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "Message id"), AckParams),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Not in this device's inbox", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn ack(
    State(state): State<AppState>,
    access: UserAccess,
    Path(id): Path<String>,
    Query(params): Query<AckParams>,
) -> Result<StatusCode, Problem> {
    let id = id.parse::<Uuid>().map_err(|_| {
        Error::not_found(format!(
            "message `{}` is not in this inbox",
            id.chars().take(64).collect::<String>()
        ))
    })?;
    let me = Address {
        user: access.principal.subject,
        device: params.device_id,
    };
    state.mailbox.ack(&access.tenant.id, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
