//! `GET {issuer}/.well-known/openid-configuration` (OIDC Discovery 1.0,
//! RFC 8414).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};

use crate::extract::PublicTenant;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The tenant's provider metadata.
#[utoipa::path(get, path = "/t/{slug}/.well-known/openid-configuration", operation_id = "openid_configuration", tag = "oauth",
    params(("slug" = String, Path, description = "The tenant's slug")),
    responses(
        (status = 200, description = "The provider metadata", body = super::schemas::ProviderMetadata),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn configuration(
    State(state): State<AppState>,
    PublicTenant(tenant): PublicTenant,
) -> Result<(HeaderMap, Json<serde_json::Value>), Problem> {
    let document = state.oidc.discovery(&tenant).await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok((headers, Json(document)))
}
