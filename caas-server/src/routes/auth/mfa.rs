//! MFA management for the signed-in user: `POST /v1/auth/mfa/totp` (enroll),
//! `…/totp/confirm`, `DELETE /v1/auth/mfa/totp`, `POST /v1/auth/mfa/backup-codes`.
//! Removing the authenticator or replacing backup codes needs a session that
//! itself passed MFA (`amr` contains `mfa`).

use axum::extract::State;
use axum::http::StatusCode;
use caas_core::{Error, Principal, Result, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// What an authenticator app needs (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrollment {
    /// The secret, base32.
    pub secret: String,
    /// The `otpauth://totp/…` URI.
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

/// `POST /v1/auth/mfa/totp/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// The app's current code.
    #[schema(value_type = String)]
    pub code: SecretString,
}

/// Single-use backup codes (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCodes {
    /// Ten codes, `xxxx-xxxx-xxxx-xxxx`.
    pub backup_codes: Vec<String>,
}

fn passed_mfa(p: &Principal) -> Result<()> {
    if p.amr().iter().any(|m| m == "mfa") {
        Ok(())
    } else {
        Err(Error::forbidden("log in with your second factor first").with_code("mfa_required"))
    }
}

/// Start TOTP enrollment: a new secret, its URI and QR code.
#[utoipa::path(post, path = "/v1/auth/mfa/totp", operation_id = "enroll_totp", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 201, description = "Scan it, then confirm with a code", body = Enrollment),
        (status = 409, description = "An authenticator is already confirmed", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn enroll(
    State(state): State<AppState>,
    access: UserAccess,
) -> Result<(StatusCode, Json<Enrollment>), Problem> {
    let totp = state
        .auth
        .parts()
        .mfa
        .enroll(&access.tenant.id, &access.principal.subject)
        .await?;
    // The account label authenticator apps show: the email or username.
    let user = match access.principal.subject.parse() {
        Ok(id) => state.auth.parts().users.get(&access.tenant.id, id).await?,
        Err(_) => None,
    };
    let account = user
        .and_then(|u| u.email.or(u.username))
        .unwrap_or_else(|| access.principal.subject.clone());
    Ok((
        StatusCode::CREATED,
        Json(Enrollment {
            secret: totp.secret_base32().to_string(),
            otpauth_uri: totp.uri(&access.tenant.name, &account).to_string(),
            qr_svg: totp.qr_svg(&access.tenant.name, &account)?.to_string(),
        }),
    ))
}

/// Confirm enrollment with a current code; answers the backup codes.
#[utoipa::path(post, path = "/v1/auth/mfa/totp/confirm", operation_id = "confirm_totp", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = Confirm,
    responses(
        (status = 200, description = "Confirmed", body = BackupCodes),
        (status = 400, description = "The code does not match", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Nothing is being enrolled", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    access: UserAccess,
    Json(body): Json<Confirm>,
) -> Result<Json<BackupCodes>, Problem> {
    let codes = state
        .auth
        .confirm_totp(
            &access.tenant,
            &access.principal.subject,
            body.code.expose(),
        )
        .await?;
    Ok(Json(BackupCodes {
        backup_codes: codes.into_iter().map(|c| c.expose().clone()).collect(),
    }))
}

/// Remove the authenticator and the backup codes.
#[utoipa::path(delete, path = "/v1/auth/mfa/totp", operation_id = "remove_totp", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "The session did not pass MFA", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    access: UserAccess,
) -> Result<StatusCode, Problem> {
    passed_mfa(&access.principal)?;
    state
        .auth
        .remove_totp(&access.tenant, &access.principal.subject)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the backup codes with ten new ones.
#[utoipa::path(post, path = "/v1/auth/mfa/backup-codes", operation_id = "regenerate_backup_codes", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 200, description = "The new codes", body = BackupCodes),
        (status = 403, description = "The session did not pass MFA", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn backup_codes(
    State(state): State<AppState>,
    access: UserAccess,
) -> Result<Json<BackupCodes>, Problem> {
    passed_mfa(&access.principal)?;
    let codes = state
        .auth
        .parts()
        .mfa
        .regenerate_backup_codes(&access.tenant.id, &access.principal.subject)
        .await?;
    Ok(Json(BackupCodes {
        backup_codes: codes.into_iter().map(|c| c.expose().clone()).collect(),
    }))
}
