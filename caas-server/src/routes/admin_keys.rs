//! The platform admin's tenant-key API: `/v1/admin/tenants/{slug}/keys…`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_core::Error;
use caas_crypto::KeyManager;
use caas_crypto::keys::KeyRotation;
use serde::Serialize;
use utoipa::ToSchema;

use super::admin_tenants::by_slug;
use crate::extract::Admin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// One rotation of a tenant key.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationView {
    /// The version that was current before.
    pub from_version: u32,
    /// The version made current.
    pub to_version: u32,
    /// When (RFC 3339).
    #[schema(format = DateTime)]
    pub rotated_at: String,
    /// Data and subject keys re-wrapped under `to_version` so far.
    pub rewrapped: u64,
    /// When re-wrapping finished (RFC 3339); absent while it runs.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
}

impl From<KeyRotation> for RotationView {
    fn from(r: KeyRotation) -> Self {
        RotationView {
            from_version: r.from_version,
            to_version: r.to_version,
            rotated_at: r.rotated_at.to_string(),
            rewrapped: r.rewrapped,
            completed_at: r.completed_at.map(|t| t.to_string()),
        }
    }
}

/// Rotate a tenant's key-encryption key.
///
/// The new version is current at once; the tenant's data and subject keys
/// are re-wrapped with it in the background (see the history), and the old
/// version keeps opening what it still wraps until then.
#[utoipa::path(post, path = "/v1/admin/tenants/{slug}/keys/rotate", operation_id = "admin_rotate_tenant_key", tag = "admin",
    security(("admin_key" = [])),
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 202, description = "Rotated; re-wrapping runs in the background", body = RotationView),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Another rotation is under way", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rotate(
    State(state): State<AppState>,
    _: Admin,
    Path(slug): Path<String>,
) -> Result<(StatusCode, Json<RotationView>), Problem> {
    let tenant = by_slug(&state, &slug).await?;
    let version = state.keys.rotate_tenant_key(&tenant.id).await?;
    tracing::info!(tenant = %tenant.slug, version, "rotated the tenant key");
    state
        .audit(
            &tenant,
            "platform-admin",
            "keys.tenant_key_rotated",
            tenant.slug.as_ref(),
            serde_json::json!({ "version": version }),
        )
        .await?;
    let rotation = state
        .keys
        .rotations(&tenant.id)
        .await?
        .into_iter()
        .find(|r| r.to_version == version)
        .ok_or_else(|| Error::internal("the rotation is missing from the history"))?;
    Ok((StatusCode::ACCEPTED, Json(rotation.into())))
}

/// A tenant's key rotations, newest first.
#[utoipa::path(get, path = "/v1/admin/tenants/{slug}/keys/rotations", operation_id = "admin_list_key_rotations", tag = "admin",
    security(("admin_key" = [])),
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The history", body = Vec<RotationView>),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rotations(
    State(state): State<AppState>,
    _: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Vec<RotationView>>, Problem> {
    let tenant = by_slug(&state, &slug).await?;
    let history = state.keys.rotations(&tenant.id).await?;
    Ok(Json(history.into_iter().map(RotationView::from).collect()))
}
