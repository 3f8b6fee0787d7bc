//! The tenant's webhooks: `/v1/webhooks…`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use caas_core::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::views::{ListResponse, PageParams};
use crate::extract::TenantAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use caas_webhooks::{Delivery, DeliveryState, Webhook, WebhookInput, WebhookWithSecret};
use utoipa_axum::routes;

use super::declare::{Public, Routes, either};

fn id(s: &str, field: &'static str) -> Result<Uuid> {
    s.parse::<Uuid>().map_err(|_| {
        Error::not_found(format!(
            "`{}` is not a {field} id",
            s.chars().take(64).collect::<String>()
        ))
    })
}

/// One deliverable event type.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventType {
    /// The type, e.g. `tenant.updated`.
    pub name: &'static str,
    /// When it is sent.
    pub description: &'static str,
}

/// The event types webhooks can subscribe to.
#[utoipa::path(get, path = "/v1/webhooks/event-types", operation_id = "list_webhook_event_types", tag = "webhooks",
    responses((status = 200, description = "Every event type", body = Vec<EventType>)))]
pub async fn event_types(State(state): State<AppState>) -> Json<Vec<EventType>> {
    Json(
        state
            .webhooks
            .catalogue
            .types()
            .iter()
            .map(|t| EventType {
                name: t.name,
                description: t.description,
            })
            .collect(),
    )
}

/// Register a webhook. The answer holds its signing secret, shown only now.
#[utoipa::path(post, path = "/v1/webhooks", operation_id = "create_webhook", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = WebhookInput,
    responses(
        (status = 201, description = "Created", body = WebhookWithSecret),
        (status = 400, description = "Invalid input, or a URL on a non-public address", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Too many webhooks", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    access: TenantAccess,
    Json(input): Json<WebhookInput>,
) -> Result<(StatusCode, HeaderMap, Json<WebhookWithSecret>), Problem> {
    let created = state.webhooks.create(&access.tenant.id, &input).await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/webhooks/{}", created.webhook.id)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, Json(created)))
}

/// The tenant's webhooks.
#[utoipa::path(get, path = "/v1/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), PageParams),
    responses((status = 200, description = "A page of webhooks", body = ListResponse<Webhook>)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantAccess,
    Query(params): Query<PageParams>,
) -> Result<Json<ListResponse<Webhook>>, Problem> {
    let limit = params.limit()?;
    let items = state
        .webhooks
        .store
        .list(&access.tenant.id, params.after_id()?, limit)
        .await?;
    Ok(Json(ListResponse::paged(items, limit, |w| {
        w.id.to_string()
    })))
}

/// One webhook.
#[utoipa::path(get, path = "/v1/webhooks/{id}", operation_id = "get_webhook", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 404, description = "No such webhook", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(hook): Path<String>,
) -> Result<Json<Webhook>, Problem> {
    Ok(Json(
        state
            .webhooks
            .store
            .get(&access.tenant.id, id(&hook, "webhook")?)
            .await?,
    ))
}

/// Replace a webhook's URL, description, event types and enabled flag.
#[utoipa::path(put, path = "/v1/webhooks/{id}", operation_id = "replace_webhook", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Webhook id")),
    request_body = WebhookInput,
    responses(
        (status = 200, description = "The webhook", body = Webhook),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(hook): Path<String>,
    Json(input): Json<WebhookInput>,
) -> Result<Json<Webhook>, Problem> {
    let hook = id(&hook, "webhook")?;
    Ok(Json(
        state
            .webhooks
            .update(&access.tenant.id, hook, &input)
            .await?,
    ))
}

/// Delete a webhook and its delivery history.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", operation_id = "delete_webhook", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(hook): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .webhooks
        .store
        .delete(&access.tenant.id, id(&hook, "webhook")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret; the answer holds the new one, shown only now.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", operation_id = "rotate_webhook_secret", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The webhook and its new secret", body = WebhookWithSecret),
        (status = 404, description = "No such webhook", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(hook): Path<String>,
) -> Result<Json<WebhookWithSecret>, Problem> {
    let (webhook, secret) = state
        .webhooks
        .store
        .rotate_secret(&access.tenant.id, id(&hook, "webhook")?)
        .await?;
    Ok(Json(WebhookWithSecret { webhook, secret }))
}

/// Send a `webhook.ping` event to this webhook only.
#[utoipa::path(post, path = "/v1/webhooks/{id}/ping", operation_id = "ping_webhook", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 202, description = "Enqueued"),
        (status = 404, description = "No such webhook", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The webhook is disabled", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn ping(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(hook): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .webhooks
        .ping(&access.tenant.id, id(&hook, "webhook")?)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Filters of the delivery list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only deliveries in this state.
    pub state: Option<DeliveryState>,
    /// Deliveries older than this id (the last of the previous page).
    pub before: Option<String>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// A webhook's deliveries, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", operation_id = "list_webhook_deliveries", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "Webhook id"), DeliveryParams),
    responses(
        (status = 200, description = "Deliveries", body = ListResponse<Delivery>),
        (status = 404, description = "No such webhook", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn deliveries(
    State(state): State<AppState>,
    access: TenantAccess,
    Path(hook): Path<String>,
    Query(params): Query<DeliveryParams>,
) -> Result<Json<ListResponse<Delivery>>, Problem> {
    let limit = PageParams {
        after: None,
        limit: params.limit,
    }
    .limit()?;
    let before = params
        .before
        .as_deref()
        .map(|b| {
            b.parse::<Uuid>()
                .map_err(|_| Error::invalid_input("`before` is not an id").with_field("before"))
        })
        .transpose()?;
    let items = state
        .webhooks
        .store
        .deliveries(
            &access.tenant.id,
            id(&hook, "webhook")?,
            params.state,
            before,
            limit,
        )
        .await?;
    let next_after = (items.len() == limit as usize)
        .then(|| items.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(Json(ListResponse { items, next_after }))
}

/// Deliver a succeeded or dead-lettered delivery again, from attempt 1.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/replay", operation_id = "replay_webhook_delivery", tag = "webhooks",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "Webhook id"),
        ("delivery_id" = String, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Enqueued again", body = Delivery),
        (status = 404, description = "No such delivery", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Still pending", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn replay(
    State(state): State<AppState>,
    access: TenantAccess,
    Path((hook, delivery)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Delivery>), Problem> {
    let delivery = state
        .webhooks
        .replay(
            &access.tenant.id,
            id(&hook, "webhook")?,
            id(&delivery, "delivery")?,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// The webhook API and who may call it.
pub(super) fn routes(r: Routes) -> Routes {
    let read = either("webhooks:read");
    let write = either("webhooks:write");
    r.add(Public, routes!(event_types))
        .add(read, routes!(list))
        .add(write, routes!(create))
        .add(read, routes!(get))
        .add(write, routes!(put, delete))
        .add(write, routes!(rotate_secret))
        .add(write, routes!(ping))
        .add(read, routes!(deliveries))
        .add(write, routes!(replay))
}
