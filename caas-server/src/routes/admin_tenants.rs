//! The platform admin's tenant API: `/v1/admin/tenants…`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use caas_core::{
    Error, NewTenant, Page, Result, Tenant, TenantSettings, TenantSlug, TenantStatus, TenantUpdate,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{ListResponse, PageParams, TenantView};
use crate::extract::Admin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// `POST /v1/admin/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// 3–63 of `a-z`, `0-9`, `-`; not starting or ending with `-`; never reused.
    pub slug: String,
    /// Display name (1–200 characters).
    pub name: String,
    /// Initial settings.
    #[serde(default)]
    #[schema(value_type = Option<caas::openapi::TenantSettingsSchema>)]
    pub settings: Option<TenantSettings>,
    /// The tenant's first administrator (a user with the role `admin`).
    #[serde(default)]
    pub admin: Option<FirstAdmin>,
}

/// The first administrator of a new tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstAdmin {
    /// Email (the login).
    pub email: String,
    /// Password (the tenant's password policy applies).
    #[schema(value_type = String, format = Password)]
    pub password: caas_core::SecretString,
}

/// `PATCH /v1/admin/tenants/{slug}`: any of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTenant {
    /// New display name.
    pub name: Option<String>,
    /// `active` (resume) or `suspended`; delete with `DELETE`.
    pub status: Option<String>,
    /// New settings (replace the old ones).
    #[schema(value_type = Option<caas::openapi::TenantSettingsSchema>)]
    pub settings: Option<TenantSettings>,
}

fn slug(s: &str) -> Result<TenantSlug> {
    s.parse::<TenantSlug>().map_err(|e| e.with_field("slug"))
}

/// The tenant with slug `s`; 404 if none.
pub(crate) async fn by_slug(state: &AppState, s: &str) -> Result<Tenant> {
    state
        .tenants
        .get_by_slug(&slug(s)?)
        .await?
        .ok_or_else(|| Error::not_found(format!("tenant `{s}` not found")))
}

/// Checks what only the server knows: the plan is one it configures (the
/// platform checks the crates' sections).
fn check_plan(state: &AppState, settings: Option<&TenantSettings>) -> Result<()> {
    let Some(settings) = settings else {
        return Ok(());
    };
    match settings.plan.as_deref() {
        Some(plan) => state.config.plans.check(plan),
        None => Ok(()),
    }
}

/// Create a tenant and provision it.
///
/// If provisioning fails the tenant stays, suspended; resuming it retries.
#[utoipa::path(post, path = "/v1/admin/tenants", operation_id = "admin_create_tenant", tag = "admin",
    security(("admin_key" = [])),
    request_body = CreateTenant,
    responses(
        (status = 201, description = "Created", body = TenantView,
            headers(("location" = String, description = "The tenant's URL"))),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "No or bad admin key", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _: Admin,
    Json(body): Json<CreateTenant>,
) -> Result<(StatusCode, HeaderMap, Json<TenantView>), Problem> {
    check_plan(&state, body.settings.as_ref())?;
    let mut new = NewTenant::new(slug(&body.slug)?, body.name);
    if let Some(settings) = body.settings {
        new = new.with_settings(settings);
    }
    let admin = body.admin.map(|a| caas::FirstAdmin {
        email: a.email,
        password: a.password,
    });
    let tenant = state.create_tenant(new, admin.as_ref()).await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/admin/tenants/{}", tenant.slug)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, Json(tenant.into())))
}

/// List tenants (every status), by id.
#[utoipa::path(get, path = "/v1/admin/tenants", operation_id = "admin_list_tenants", tag = "admin",
    security(("admin_key" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of tenants", body = ListResponse<TenantView>),
        (status = 401, description = "No or bad admin key", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _: Admin,
    Query(params): Query<PageParams>,
) -> Result<Json<ListResponse<TenantView>>, Problem> {
    let limit = params.limit()?;
    let after = params
        .after
        .as_deref()
        .map(|a| a.parse().map_err(|e: Error| e.with_field("after")))
        .transpose()?;
    let tenants = state.tenants.list(&Page { after, limit }).await?;
    let next_after = (tenants.len() == limit as usize)
        .then(|| tenants.last().map(|t| t.id.to_string()))
        .flatten();
    Ok(Json(ListResponse {
        items: tenants.into_iter().map(TenantView::from).collect(),
        next_after,
    }))
}

/// One tenant (also deleted ones).
#[utoipa::path(get, path = "/v1/admin/tenants/{slug}", operation_id = "admin_get_tenant", tag = "admin",
    security(("admin_key" = [])),
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The tenant", body = TenantView),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _: Admin,
    Path(s): Path<String>,
) -> Result<Json<TenantView>, Problem> {
    Ok(Json(by_slug(&state, &s).await?.into()))
}

/// Rename, suspend, resume or change the settings of a tenant.
#[utoipa::path(patch, path = "/v1/admin/tenants/{slug}", operation_id = "admin_update_tenant", tag = "admin",
    security(("admin_key" = [])),
    params(("slug" = String, Path, description = "The tenant's slug")),
    request_body = PatchTenant,
    responses(
        (status = 200, description = "The changed tenant", body = TenantView),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The tenant is deleted", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    _: Admin,
    Path(s): Path<String>,
    Json(body): Json<PatchTenant>,
) -> Result<Json<TenantView>, Problem> {
    let mut tenant = by_slug(&state, &s).await?;
    let status = match body.status.as_deref() {
        None => None,
        Some("deleted") => {
            return Err(Problem(
                Error::invalid_input("delete a tenant with `DELETE`").with_field("status"),
            ));
        }
        Some(other) => Some(other.parse::<TenantStatus>()?),
    };
    check_plan(&state, body.settings.as_ref())?;
    if tenant.status == TenantStatus::Deleted {
        return Err(Problem(Error::conflict(format!(
            "tenant `{s}` is deleted and cannot be changed"
        ))));
    }
    if let Some(settings) = &body.settings {
        state.check_settings(settings)?;
    }
    if body.name.is_some() || body.settings.is_some() {
        let update = TenantUpdate {
            name: body.name,
            settings: body.settings,
        };
        tenant = state.update_tenant(&tenant, &update).await?;
    }
    if let Some(status) = status {
        tenant = state.set_tenant_status(&tenant, status).await?;
    }
    Ok(Json(tenant.into()))
}

/// Delete a tenant: it stops serving at once; its slug stays reserved.
#[utoipa::path(delete, path = "/v1/admin/tenants/{slug}", operation_id = "admin_delete_tenant", tag = "admin",
    security(("admin_key" = [])),
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _: Admin,
    Path(s): Path<String>,
) -> Result<StatusCode, Problem> {
    let tenant = by_slug(&state, &s).await?;
    state.delete_tenant(&tenant).await?;
    Ok(StatusCode::NO_CONTENT)
}
