//! The CAAS reference server: every CAAS crate behind one HTTP API.
//!
//! The binary is `caas-server`; this library exposes the same pieces so the
//! server can be embedded or started in-process (as the examples do):
//!
//! ```no_run
//! # async fn run() -> caas_core::Result<()> {
//! use caas_server::{ServeConfig, serve};
//!
//! let config = ServeConfig {
//!     listen: "127.0.0.1:8080".parse().expect("an address"),
//!     database_url: Some("sqlite::memory:".into()),
//!     data_dir: "caas-data".into(),
//!     redis_url: None,
//!     redis_prefix: "caas".into(),
//!     rate_limit: Some("600/min".parse()?),
//!     migrate: true,
//! };
//! serve(config, caas_server::shutdown::signal()).await
//! # }
//! ```
//!
//! Handlers stay thin: they parse, call one library function and serialize.

pub mod backends;
pub mod cli;
pub mod config;
pub mod problem;
pub mod rate_limit;
pub mod routes;
pub mod shutdown;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use caas_core::{Error, Result, SharedClock, SystemClock};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use self::config::ServeConfig;
pub use self::state::AppState;

/// The HTTP application over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(routes::root::index))
        .route("/health", get(routes::health::health))
        .route("/ready", get(routes::health::ready))
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit_by_ip,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Opens the backends, binds `config.listen` and serves until `shutdown` resolves.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let clock: SharedClock = SystemClock::shared();
    let backends = backends::open(&config, clock.clone()).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::unavailable(format!("cannot listen on `{}`: {e}", config.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::internal(format!("no local address: {e}")))?;
    tracing::info!(
        address = %local,
        database = %backends.db.url(),
        cache = backends.kv.backend(),
        events = backends.events.backend(),
        rate_limit = %config.rate_limit.map_or_else(|| "off".to_owned(), |l| l.to_string()),
        "caas-server listening on http://{local}"
    );
    let db = backends.db.clone();
    let app = router(AppState::new(backends, clock, config.rate_limit));
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| Error::internal(format!("server error: {e}")));
    db.close().await;
    tracing::info!("stopped");
    result
}

/// Applies pending migrations; returns the versions applied.
pub async fn migrate(database_url: Option<&str>, data_dir: &std::path::Path) -> Result<Vec<i64>> {
    let db = backends::open_database(database_url, data_dir).await?;
    let applied = db.migrate(&backends::migrations()).await;
    db.close().await;
    applied
}
