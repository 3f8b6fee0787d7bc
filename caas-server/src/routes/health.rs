//! `GET /health` (the process runs) and `GET /ready` (its backends answer).

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use caas_core::Result;
use serde::Serialize;

use crate::state::AppState;

/// How long one backend check may take before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: 200 while the process runs.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// One backend in the readiness report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BackendStatus {
    /// `database`, `cache` or `events`.
    pub name: &'static str,
    /// `sqlite`, `postgres`, `memory` or `redis`.
    pub kind: &'static str,
    /// `up` or `down`.
    pub status: &'static str,
    /// How long the check took.
    pub latency_ms: f64,
}

/// The readiness report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// Every backend.
    pub backends: Vec<BackendStatus>,
}

/// Readiness: 200 when every backend answers, 503 otherwise.
///
/// Errors are logged, not returned: the report names backends and their
/// state, never hosts or messages.
#[utoipa::path(get, path = "/ready", operation_id = "ready", tag = "operations",
    responses(
        (status = 200, description = "Every backend answers", body = Readiness),
        (status = 503, description = "A backend is down", body = Readiness),
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let backends = check_all(&state).await;
    let all_up = backends.iter().all(|s| s.status == "up");
    let status = if all_up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let report = Readiness {
        status: if all_up { "ready" } else { "unavailable" },
        backends,
    };
    (status, Json(report))
}

/// Checks every backend at once.
pub async fn check_all(state: &AppState) -> Vec<BackendStatus> {
    let b = &state.backends;
    let (db, kv, events) = tokio::join!(
        check("database", b.db.dialect().as_str(), b.db.ping()),
        check("cache", b.kv.backend(), b.kv.ping()),
        check("events", b.events.backend(), b.events.ping()),
    );
    vec![db, kv, events]
}

async fn check(
    name: &'static str,
    kind: &'static str,
    probe: impl std::future::Future<Output = Result<()>>,
) -> BackendStatus {
    let started = Instant::now();
    let up = match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(backend = name, kind, error = %e, "backend check failed");
            false
        }
        Err(_) => {
            tracing::warn!(backend = name, kind, "backend check timed out");
            false
        }
    };
    BackendStatus {
        name,
        kind,
        status: if up { "up" } else { "down" },
        latency_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
    }
}
