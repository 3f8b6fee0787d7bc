//! `GET /v1/auth/sessions`, `DELETE /v1/auth/sessions/{id}`: my sessions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_auth::sessions::{EndReason, Session};
use caas_core::{Error, Result};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A session as its user sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Whether the request was made with this session's token.
    pub current: bool,
    /// The device's user agent.
    pub user_agent: String,
    /// Its network (`192.0.2.0/24`).
    pub ip_prefix: String,
    /// How the user authenticated.
    pub amr: Vec<String>,
    /// Opened (RFC 3339).
    pub created_at: String,
    /// Last used (RFC 3339).
    pub last_seen_at: String,
    /// Ends at the latest (RFC 3339).
    pub expires_at: String,
}

fn view(s: Session, current: Option<&str>) -> SessionView {
    let id = s.id.to_string();
    SessionView {
        current: current == Some(id.as_str()),
        id,
        user_agent: s.fingerprint.user_agent,
        ip_prefix: s.fingerprint.ip_prefix,
        amr: s.amr,
        created_at: s.created_at.to_string(),
        last_seen_at: s.last_seen_at.to_string(),
        expires_at: s.expires_at.to_string(),
    }
}

fn current(access: &UserAccess) -> Option<String> {
    access.principal.text_attribute("sid").map(str::to_owned)
}

/// My active sessions, newest first.
#[utoipa::path(get, path = "/v1/auth/sessions", operation_id = "list_sessions", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The sessions", body = Vec<SessionView>)))]
pub async fn list(
    State(state): State<AppState>,
    access: UserAccess,
) -> Result<Json<Vec<SessionView>>, Problem> {
    let sessions = state
        .auth
        .parts()
        .sessions
        .list(&access.tenant.id, &access.principal.subject)
        .await?;
    let current = current(&access);
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| view(s, current.as_deref()))
            .collect(),
    ))
}

/// End one of my sessions (`current` for this one, `others` for all but
/// this one, `all` for every one).
#[utoipa::path(delete, path = "/v1/auth/sessions/{id}", operation_id = "end_session", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "A session id, or `current`, `others`, `all`")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such active session of mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn end(
    State(state): State<AppState>,
    access: UserAccess,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let sessions = &state.auth.parts().sessions;
    let (tenant, user) = (&access.tenant.id, access.principal.subject.as_str());
    let current = current(&access).and_then(|s| s.parse::<Uuid>().ok());
    match id.as_str() {
        "others" | "all" => {
            let keep = if id == "others" { current } else { None };
            let ended = sessions
                .end_all(tenant, user, keep, EndReason::Terminated)
                .await?;
            state
                .audit(
                    &access.tenant,
                    user,
                    "auth.sessions_revoked",
                    user,
                    serde_json::json!({ "which": id, "ended": ended }),
                )
                .await?;
            return Ok(StatusCode::NO_CONTENT);
        }
        _ => {}
    }
    let missing = || Problem(Error::not_found("no such active session of yours"));
    let target = if id == "current" {
        current.ok_or_else(missing)?
    } else {
        id.parse::<Uuid>().map_err(|_| missing())?
    };
    // Only the caller's own sessions.
    let owned = sessions
        .get(tenant, target)
        .await?
        .is_some_and(|s| s.user_id == user);
    if !owned || !sessions.end(tenant, target, EndReason::Terminated).await? {
        return Err(missing());
    }
    state
        .audit(
            &access.tenant,
            user,
            "auth.session_revoked",
            &target.to_string(),
            serde_json::json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
