//! The gateway's cost per request: the whole middleware chain and a handler,
//! in-process (no TCP), on SQLite in memory and in-process KV.
//!
//! `cargo bench -p caas-benches --bench gateway`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use caas_server::{ServeConfig, Server};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::Service;

const ADMIN_KEY: &str = "caas_admin_bench-key-0123456789abcdefghijkl";

fn request(path: &str, admin: bool) -> Request<Body> {
    let mut builder = Request::get(path);
    if admin {
        builder = builder
            .header("authorization", format!("Bearer {ADMIN_KEY}"))
            .header("x-tenant-id", "bench");
    }
    let mut r = builder.body(Body::empty()).unwrap();
    // The rate limiter still runs; the limits are off so it never refuses.
    r.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 1))));
    r
}

fn chain(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        platform: caas::PlatformConfig {
            database_url: Some("sqlite::memory:".into()),
            ..caas::PlatformConfig::default()
        },
        admin_key: Some(ADMIN_KEY.into()),
        ..ServeConfig::default()
    };
    config.ip_limits.all = None;
    config.ip_limits.auth = None;
    let mut plans = std::collections::BTreeMap::new();
    plans.insert(
        "default".to_owned(),
        caas_server::config::Plan {
            requests: None,
            auth_requests: None,
            monthly_requests: None,
        },
    );
    config.plans = caas_server::config::Plans::new(plans);
    let mut server = rt.block_on(Server::bind(config)).unwrap();
    let state = caas_server::AppState::from(server.state_mut().clone());
    let mut app = caas_server::app(state);
    let created = rt.block_on(app.call({
        let mut r = Request::post("/v1/admin/tenants")
            .header("authorization", format!("Bearer {ADMIN_KEY}"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"slug":"bench","name":"Bench"}"#))
            .unwrap();
        r.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 1))));
        r
    }));
    assert_eq!(created.unwrap().status(), 201);

    let mut group = c.benchmark_group("gateway");
    for (name, path, admin, status) in [
        ("GET /health", "/health", false, 200),
        ("GET /no/route (404 problem+json)", "/no/route", false, 404),
        (
            "GET /v1/tenant (admin key, tenant, usage)",
            "/v1/tenant",
            true,
            200,
        ),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let mut app = app.clone();
                async move {
                    let response = app.call(request(path, admin)).await.unwrap();
                    assert_eq!(response.status(), status);
                    black_box(response)
                }
            });
        });
    }
    group.finish();
}

fn signature(c: &mut Criterion) {
    let body = vec![b'x'; 1024];
    c.bench_function("webhook signature, 1 KiB body", |b| {
        b.iter(|| {
            caas_webhooks::signature::sign("whsec_bench", 1_700_000_000, black_box(&body)).unwrap()
        });
    });
}

criterion_group!(benches, chain, signature);
criterion_main!(benches);
