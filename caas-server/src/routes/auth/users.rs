//! User management by the tenant's administrators: `/v1/users…`. Locking,
//! disabling or deleting a user ends every credential they have: sessions,
//! refresh families, OAuth grants, access tokens and API keys.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use caas_auth::UserChange;
use caas_auth::users::{NewUser, UserStatus, UserUpdate};
use caas_core::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::login::UserView;
use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::routes::views::{ListResponse, PageParams};
use crate::state::AppState;

/// `POST /v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Email (this or a username).
    pub email: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Initial password (the policy applies); none: the user cannot log in
    /// with a password until one is set.
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// Attributes (`roles`: an array of role names).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// `PATCH /v1/users/{id}`: any of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    /// New email.
    pub email: Option<String>,
    /// New username.
    pub username: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// `active`, `locked` or `disabled`.
    pub status: Option<String>,
    /// New attributes (replace the old ones).
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// New password (ends the user's sessions).
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    /// Remove the user's authenticator and backup codes.
    #[serde(default)]
    pub reset_mfa: bool,
}

/// The tenant's users, by id.
#[utoipa::path(get, path = "/v1/users", operation_id = "list_users", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), PageParams),
    responses(
        (status = 200, description = "A page of users", body = ListResponse<UserView>),
        (status = 403, description = "Not an administrator of the tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    TenantAdmin(access): TenantAdmin,
    Query(params): Query<PageParams>,
) -> Result<Json<ListResponse<UserView>>, Problem> {
    let limit = params.limit()?;
    let users = state
        .auth
        .parts()
        .users
        .list(&access.tenant.id, params.after_id()?, limit)
        .await?;
    let views = users.into_iter().map(UserView::from).collect();
    Ok(Json(ListResponse::paged(views, limit, |u: &UserView| {
        u.id.clone()
    })))
}

/// Create a user.
#[utoipa::path(post, path = "/v1/users", operation_id = "create_user", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "Invalid input or a weak password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The email or username is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    TenantAdmin(access): TenantAdmin,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let new = NewUser {
        email: body.email,
        username: body.username,
        display_name: body.display_name,
        attributes: body.attributes,
    };
    let user = state
        .auth
        .create_user(&access.tenant, &new, body.password.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One user.
#[utoipa::path(get, path = "/v1/users/{id}", operation_id = "get_user", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    TenantAdmin(access): TenantAdmin,
    Path(id): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(state.auth.user(&access.tenant, &id).await?.into()))
}

/// Change a user: details, status (locking or disabling ends their
/// sessions), password, MFA reset.
#[utoipa::path(patch, path = "/v1/users/{id}", operation_id = "patch_user", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "User id")),
    request_body = PatchUser,
    responses(
        (status = 200, description = "Changed", body = UserView),
        (status = 400, description = "Invalid input", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The email or username is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    TenantAdmin(access): TenantAdmin,
    Path(id): Path<String>,
    Json(body): Json<PatchUser>,
) -> Result<Json<UserView>, Problem> {
    let status = body
        .status
        .as_deref()
        .map(str::parse::<UserStatus>)
        .transpose()?;
    let change = UserChange {
        update: UserUpdate {
            email: body.email,
            username: body.username,
            display_name: body.display_name,
            status,
            attributes: body.attributes,
        },
        password: body.password,
        reset_mfa: body.reset_mfa,
    };
    let changed = state
        .auth
        .update_user(&access.tenant, &access.principal.subject, &id, &change)
        .await?;
    Ok(Json(changed.into()))
}

/// Delete a user (their sessions end, their tokens are revoked).
#[utoipa::path(delete, path = "/v1/users/{id}", operation_id = "delete_user", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    TenantAdmin(access): TenantAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.auth.delete_user(&access.tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
