//! `GET /`: what this service is.

use axum::Json;

/// The service name and version, and where to look next.
#[utoipa::path(get, path = "/", operation_id = "service_info", tag = "operations",
    responses((status = 200, description = "Service name, version and links", body = Object)))]
pub async fn index() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "service": "caas",
        "version": env!("CARGO_PKG_VERSION"),
        "health": "/health",
        "ready": "/ready",
        "metrics": "/metrics",
        "openapi": "/openapi.json",
        "docs": "/docs/",
    }))
}
