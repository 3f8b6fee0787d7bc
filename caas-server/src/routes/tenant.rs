//! The tenant-scoped API: `/v1/tenant…`, acting in the request's tenant.

use axum::extract::State;
use caas::openapi::TenantSettingsSchema;
use caas_core::{Error, Period, TenantSettings, TenantUpdate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::TenantView;
use crate::extract::TenantAccess;
use crate::json::Json;
use crate::middleware::quota::REQUESTS;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use utoipa_axum::routes;

use super::declare::{Anyone, Routes, either};

/// `PUT /v1/tenant`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTenant {
    /// Display name (1–200 characters).
    pub name: String,
}

/// The tenant of the request.
#[utoipa::path(get, path = "/v1/tenant", operation_id = "get_tenant", tag = "tenant",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug (or use `/t/{slug}` or a subdomain)")),
    responses(
        (status = 200, description = "The tenant", body = TenantView),
        (status = 400, description = "No tenant named", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No or bad credentials", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Suspended, or credentials of another tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Unknown tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(access: TenantAccess) -> Json<TenantView> {
    Json(access.tenant.into())
}

/// Rename the tenant.
#[utoipa::path(put, path = "/v1/tenant", operation_id = "rename_tenant", tag = "tenant",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = PutTenant,
    responses(
        (status = 200, description = "The tenant", body = TenantView),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put(
    State(state): State<AppState>,
    access: TenantAccess,
    Json(body): Json<PutTenant>,
) -> Result<Json<TenantView>, Problem> {
    let update = TenantUpdate {
        name: Some(body.name),
        settings: None,
    };
    let tenant = state.update_tenant(&access.tenant, &update).await?;
    Ok(Json(tenant.into()))
}

/// The tenant's settings.
#[utoipa::path(get, path = "/v1/tenant/settings", operation_id = "get_tenant_settings", tag = "tenant",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The settings", body = TenantSettingsSchema)))]
pub async fn get_settings(access: TenantAccess) -> Json<TenantSettings> {
    Json(access.tenant.settings)
}

/// Replace the tenant's settings. Only the platform admin may change the plan.
#[utoipa::path(put, path = "/v1/tenant/settings", operation_id = "replace_tenant_settings", tag = "tenant",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = TenantSettingsSchema,
    responses(
        (status = 200, description = "The settings", body = TenantSettingsSchema),
        (status = 400, description = "Invalid settings; `field` names the setting", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Changing the plan needs the platform admin", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn put_settings(
    State(state): State<AppState>,
    access: TenantAccess,
    Json(settings): Json<TenantSettings>,
) -> Result<Json<TenantSettings>, Problem> {
    write_settings(&state, &access, settings).await
}

/// Change part of the tenant's settings: a JSON merge patch (RFC 7396) —
/// objects merge, `null` removes a key, anything else replaces. The result
/// is checked as a whole document; only the platform admin may change the plan.
#[utoipa::path(patch, path = "/v1/tenant/settings", operation_id = "patch_tenant_settings", tag = "tenant",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = TenantSettingsSchema, content_type = "application/merge-patch+json",
        description = "The changes, in the shape of the settings (`null` removes a key), e.g. `{\"extensions\": {\"auth\": {\"allow_guests\": true}}}`"),
    responses(
        (status = 200, description = "The settings after the change", body = TenantSettingsSchema),
        (status = 400, description = "Invalid settings; `field` names the setting", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Changing the plan needs the platform admin", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn patch_settings(
    State(state): State<AppState>,
    access: TenantAccess,
    Json(patch): Json<serde_json::Value>,
) -> Result<Json<TenantSettings>, Problem> {
    let settings = access.tenant.settings.merged(&patch)?;
    write_settings(&state, &access, settings).await
}

async fn write_settings(
    state: &AppState,
    access: &TenantAccess,
    settings: TenantSettings,
) -> Result<Json<TenantSettings>, Problem> {
    if settings.plan != access.tenant.settings.plan {
        if !access.by_admin() {
            return Err(Problem(
                Error::forbidden("only the platform admin may change the plan").with_field("plan"),
            ));
        }
        if let Some(plan) = &settings.plan {
            state.config.plans.check(plan)?;
        }
    }
    let update = TenantUpdate {
        name: None,
        settings: Some(settings),
    };
    let tenant = state.update_tenant(&access.tenant, &update).await?;
    Ok(Json(tenant.settings))
}

/// Request counts and quota use.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    /// The plan in force.
    pub plan: String,
    /// Requests counted today (UTC).
    pub requests_today: u64,
    /// Requests counted this calendar month (UTC).
    pub requests_this_month: u64,
    /// The monthly request quota, if the plan has one.
    pub monthly_request_quota: Option<u64>,
    /// What is left of it.
    pub monthly_requests_remaining: Option<u64>,
    /// Requests per minute allowed by the plan (`600/min`), if limited.
    pub rate_limit: Option<String>,
}

/// The tenant's usage against its plan.
#[utoipa::path(get, path = "/v1/tenant/usage", operation_id = "get_tenant_usage", tag = "tenant",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Usage", body = Usage)))]
pub async fn usage(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Usage>, Problem> {
    let id = &access.tenant.id;
    let plan_name = access
        .tenant
        .settings
        .plan
        .clone()
        .filter(|p| state.config.plans.check(p).is_ok())
        .unwrap_or_else(|| crate::config::DEFAULT_PLAN.to_owned());
    let plan = state.config.plans.get(Some(&plan_name));
    let today = state.usage.usage(id, REQUESTS, Period::Day).await?;
    let month = state.usage.usage(id, REQUESTS, Period::Month).await?;
    Ok(Json(Usage {
        plan: plan_name.clone(),
        requests_today: today,
        requests_this_month: month,
        monthly_request_quota: plan.monthly_requests,
        monthly_requests_remaining: plan.monthly_requests.map(|q| q.saturating_sub(month)),
        rate_limit: plan.requests.map(|l| l.to_string()),
    }))
}

/// The tenant's own API and who may call it.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(Anyone, routes!(get))
        .add(either("tenant:write"), routes!(put))
        .add(either("tenant:read"), routes!(get_settings))
        .add(
            either("tenant:write"),
            routes!(put_settings, patch_settings),
        )
        .add(either("tenant:read"), routes!(usage))
}
