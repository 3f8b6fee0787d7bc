//! Sign-up, login (with the MFA step), refresh, logout, guests, the current
//! principal, and the API-key exchange.

use axum::extract::State;
use axum::http::StatusCode;
use caas_auth::users::{NewUser, User};
use caas_auth::{Login, LoginOutcome};
use caas_core::{Error, Result, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ClientInfo, Tokens};
use crate::extract::{PublicTenant, TenantAccess};
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// `POST /v1/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Email (this or a username).
    pub email: Option<String>,
    /// Username (3–64 letters, digits, `.`, `_`, `-`).
    pub username: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// At least 8 characters, not a common password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id (the `sub` of the user's tokens).
    #[schema(format = Uuid)]
    pub id: String,
    /// Email.
    pub email: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Display name.
    pub display_name: String,
    /// `active`, `locked` or `disabled`.
    pub status: String,
    /// Whether a password is set.
    pub has_password: bool,
    /// Attributes.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id.to_string(),
            email: u.email,
            username: u.username,
            display_name: u.display_name,
            status: u.status.to_string(),
            has_password: u.has_password,
            attributes: u.attributes,
            created_at: u.created_at.to_string(),
        }
    }
}

/// `POST /v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Email or username.
    pub login: String,
    /// The password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// A trusted-device token from an earlier MFA login (skips MFA).
    #[schema(value_type = Option<String>)]
    pub trusted_device_token: Option<SecretString>,
}

/// What a login answers: tokens, or the MFA step.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    /// Logged in.
    Tokens(Tokens),
    /// A second factor is needed.
    Mfa(MfaRequired),
}

/// The MFA step of a login.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaRequired {
    /// Always `true`.
    pub mfa_required: bool,
    /// Answer with `POST /v1/auth/mfa/verify` within five minutes.
    pub challenge_id: String,
    /// `totp`, `backup_code`.
    pub methods: Vec<String>,
}

/// `POST /v1/auth/mfa/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaVerify {
    /// From the login's answer.
    pub challenge_id: String,
    /// A TOTP code or a backup code.
    #[schema(value_type = String)]
    pub code: SecretString,
    /// Trust this device: skip MFA here for the tenant's configured days.
    #[serde(default)]
    pub trust_device: bool,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// The current refresh token (it is used up).
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
}

/// `POST /v1/auth/sdk/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SdkToken {
    /// An API key (`caas_<prefix>_<secret>`).
    #[schema(value_type = String)]
    pub api_key: SecretString,
}

/// The principal of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Subject.
    pub subject: String,
    /// Tenant id.
    pub tenant_id: Option<String>,
    /// `user`, `service` or `guest`.
    pub kind: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// The session id, if any.
    pub session_id: Option<String>,
    /// Authentication methods (`pwd`, `otp`, `mfa`).
    pub amr: Vec<String>,
}

/// Sign up (when the tenant's settings allow it: `extensions.auth.allow_registration`).
#[utoipa::path(post, path = "/v1/auth/register", operation_id = "register", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = Register,
    responses(
        (status = 201, description = "Signed up; log in next", body = UserView),
        (status = 400, description = "Invalid input or a weak password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Sign-up is closed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The email or username is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    Json(body): Json<Register>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let new = NewUser {
        email: body.email,
        username: body.username,
        display_name: body.display_name,
        attributes: serde_json::Map::new(),
    };
    let user = state.auth.register(&tenant, &new, &body.password).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Log in with a password: tokens, or the MFA step.
///
/// An unknown login and a wrong password get the same answer (401
/// `invalid_credentials`) after the same work; repeated failures lock the
/// account and the client IP (429 `locked_out`).
#[utoipa::path(post, path = "/v1/auth/login", operation_id = "login", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Tokens, or `mfa_required` with a challenge", body = LoginAnswer),
        (status = 401, description = "Wrong login or password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "The account is locked or disabled", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    client: ClientInfo,
    Json(body): Json<LoginBody>,
) -> Result<Json<LoginAnswer>, Problem> {
    let login = Login {
        login: body.login,
        password: body.password,
        fingerprint: client.fingerprint,
        ip: client.ip,
        trusted_device: body.trusted_device_token.map(|t| t.expose().clone()),
    };
    Ok(Json(match state.auth.login(&tenant, &login).await? {
        LoginOutcome::Tokens(pair) => LoginAnswer::Tokens(pair.into()),
        LoginOutcome::MfaRequired {
            challenge_id,
            methods,
        } => LoginAnswer::Mfa(MfaRequired {
            mfa_required: true,
            challenge_id,
            methods: methods.into_iter().map(str::to_owned).collect(),
        }),
    }))
}

/// Answer the MFA step of a login with a TOTP or backup code.
#[utoipa::path(post, path = "/v1/auth/mfa/verify", operation_id = "verify_mfa", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = MfaVerify,
    responses(
        (status = 200, description = "Logged in", body = Tokens),
        (status = 400, description = "Unknown or expired challenge", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or used code", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn verify_mfa(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    client: ClientInfo,
    Json(body): Json<MfaVerify>,
) -> Result<Json<Tokens>, Problem> {
    let pair = state
        .auth
        .verify_mfa(
            &tenant,
            &body.challenge_id,
            body.code.expose(),
            body.trust_device,
            client.ip,
        )
        .await?;
    Ok(Json(pair.into()))
}

/// Exchange a refresh token for a new pair. Presenting a used refresh
/// token ends its session (reuse detection).
#[utoipa::path(post, path = "/v1/auth/refresh", operation_id = "refresh", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = Refresh,
    responses(
        (status = 200, description = "A new pair", body = Tokens),
        (status = 401, description = "Unknown, expired, revoked or reused", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    Json(body): Json<Refresh>,
) -> Result<Json<Tokens>, Problem> {
    Ok(Json(
        state
            .auth
            .refresh(&tenant, body.refresh_token.expose())
            .await?
            .into(),
    ))
}

/// End the current session: its access and refresh tokens stop working on
/// every instance.
#[utoipa::path(post, path = "/v1/auth/logout", operation_id = "logout", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 204, description = "Logged out"),
        (status = 400, description = "Not a session token", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<StatusCode, Problem> {
    let Some(jti) = access.principal.text_attribute("jti").map(str::to_owned) else {
        return Err(Problem(Error::invalid_input(
            "log out with the access token of a session",
        )));
    };
    let sid = access.principal.text_attribute("sid").map(str::to_owned);
    state
        .auth
        .logout(&access.tenant, &jti, sid.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A guest token (when the tenant's settings allow guests).
#[utoipa::path(post, path = "/v1/auth/guest", operation_id = "guest_token", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 200, description = "A short-lived guest token", body = Tokens),
        (status = 403, description = "Guests are not allowed", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn guest(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
) -> Result<Json<Tokens>, Problem> {
    Ok(Json(state.auth.guest(&tenant).await?.into()))
}

/// The principal of the request.
#[utoipa::path(get, path = "/v1/auth/me", operation_id = "me", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Who is calling", body = Me)))]
pub async fn me(access: TenantAccess) -> Json<Me> {
    let p = access.principal;
    let amr = p.amr();
    Json(Me {
        session_id: p.text_attribute("sid").map(str::to_owned),
        subject: p.subject,
        tenant_id: p.tenant.map(|t| t.to_string()),
        kind: serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        roles: p.roles.into_iter().collect(),
        scopes: p.scopes.into_iter().collect(),
        amr,
    })
}

/// Exchange an API key for a short-lived access token with its scopes.
#[utoipa::path(post, path = "/v1/auth/sdk/token", operation_id = "sdk_token", tag = "auth",
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = SdkToken,
    responses(
        (status = 200, description = "An access token", body = Tokens),
        (status = 401, description = "Unknown, wrong or expired key", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn sdk_token(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
    Json(body): Json<SdkToken>,
) -> Result<Json<Tokens>, Problem> {
    Ok(Json(
        state
            .auth
            .exchange_api_key(&tenant, body.api_key.expose())
            .await?
            .into(),
    ))
}
