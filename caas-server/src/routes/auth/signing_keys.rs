//! The tenant's token-signing keys: the public JWKS
//! (`GET /t/{slug}/.well-known/jwks.json`) and rotation by a tenant admin
//! (`POST /v1/tenant/keys/rotate`).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use caas_core::Result;

use crate::extract::{PublicTenant, TenantAdmin};
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The tenant's JSON Web Key Set (RFC 7517): every key that verifies its
/// access tokens now, including replaced keys during their overlap window.
#[utoipa::path(get, path = "/t/{slug}/.well-known/jwks.json", operation_id = "get_jwks", tag = "auth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The key set", body = crate::routes::oidc::schemas::JwkSet, content_type = "application/json"),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn jwks(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
) -> Result<(HeaderMap, Json<serde_json::Value>), Problem> {
    let set = state.auth.parts().tokens.keys().jwks(&tenant.id).await?;
    let mut headers = HeaderMap::new();
    // Short caching: a rotation shows within five minutes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok((headers, Json(set)))
}

/// A signing key as listed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SigningKeyView {
    /// Key id (`kid`).
    pub kid: String,
    /// `EdDSA`, `ES256` or `HS256`.
    pub algorithm: String,
    /// Whether new tokens are signed with it.
    pub active: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// When it stops verifying (RFC 3339; absent while active).
    pub verify_until: Option<String>,
}

/// Rotate the tenant's signing key now. Tokens signed with the old key keep
/// verifying until they expire; the JWKS lists both meanwhile.
#[utoipa::path(post, path = "/v1/tenant/keys/rotate", operation_id = "rotate_signing_key", tag = "auth",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses(
        (status = 200, description = "The tenant's keys after the rotation, newest first", body = Vec<SigningKeyView>),
        (status = 403, description = "Not an administrator of the tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent rotation", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn rotate(
    State(state): State<AppState>,
    TenantAdmin(access): TenantAdmin,
) -> Result<Json<Vec<SigningKeyView>>, Problem> {
    let keys = state.auth.parts().tokens.keys();
    let rotated = keys.rotate(&access.tenant.id, None).await?;
    tracing::info!(tenant = %access.tenant.slug, kid = %rotated.kid, "rotated the signing key");
    state
        .audit(
            &access.tenant,
            &access.principal.subject,
            "auth.signing_key_rotated",
            &rotated.kid,
            serde_json::json!({}),
        )
        .await?;
    let listed = keys.list(&access.tenant.id).await?;
    Ok(Json(
        listed
            .into_iter()
            .map(|k| SigningKeyView {
                kid: k.kid,
                algorithm: k.algorithm.as_str().to_owned(),
                active: k.active,
                created_at: k.created_at.to_string(),
                verify_until: k.verify_until.map(|t| t.to_string()),
            })
            .collect(),
    ))
}
