//! `GET /`: what this service is.

use axum::Json;

/// The service name and version, and where to look next.
#[utoipa::path(get, path = "/", operation_id = "service_info", tag = "operations",
    responses((status = 200, description = "Service name, version and links", body = ServiceInfo)))]
pub async fn index() -> Json<ServiceInfo> {
    Json(ServiceInfo {
        service: "caas",
        version: env!("CARGO_PKG_VERSION"),
        health: "/health",
        ready: "/ready",
        metrics: "/metrics",
        openapi: "/openapi.json",
        docs: "/docs/",
    })
}

/// The service and where its operational endpoints are.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceInfo {
    /// `caas`.
    pub service: &'static str,
    /// The server's version.
    pub version: &'static str,
    /// Liveness.
    pub health: &'static str,
    /// Readiness (every backend answers).
    pub ready: &'static str,
    /// Prometheus metrics.
    pub metrics: &'static str,
    /// This API's OpenAPI document.
    pub openapi: &'static str,
    /// Swagger UI.
    pub docs: &'static str,
}
