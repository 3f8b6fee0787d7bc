//! The OpenID Provider's hot endpoints through the whole middleware chain,
//! in-process (no TCP), on SQLite in memory and in-process KV: discovery,
//! the token endpoint (`client_credentials`: client lookup, SHA-256 secret
//! check, an EdDSA-signed token) and introspection of that token.
//!
//! `cargo bench -p caas-benches --bench oidc`

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
const PASSWORD: &str = "kamen-skarje-papir-bench";

fn with_peer(mut r: Request<Body>) -> Request<Body> {
    r.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 1))));
    r
}

fn json(method: &str, path: &str, token: Option<&str>, body: serde_json::Value) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if !path.starts_with("/v1/admin/") {
        b = b.header("x-tenant-id", "bench");
    }
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    with_peer(b.body(Body::from(body.to_string())).unwrap())
}

fn form(path: &str, basic: &str, body: String) -> Request<Body> {
    with_peer(
        Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", format!("Basic {basic}"))
            .body(Body::from(body))
            .unwrap(),
    )
}

async fn body(r: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn provider(c: &mut Criterion) {
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
    let (id, secret) = rt.block_on(async {
        let r = app
            .call(json(
                "POST",
                "/v1/admin/tenants",
                Some(ADMIN_KEY),
                serde_json::json!({ "slug": "bench", "name": "Bench",
                    "admin": { "email": "boss@bench.example", "password": PASSWORD } }),
            ))
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let login = body(
            app.call(json(
                "POST",
                "/v1/auth/login",
                None,
                serde_json::json!({ "login": "boss@bench.example", "password": PASSWORD }),
            ))
            .await
            .unwrap(),
        )
        .await;
        let admin = login["access_token"].as_str().unwrap().to_owned();
        let client = body(
            app.call(json(
                "POST",
                "/v1/oauth/clients",
                Some(&admin),
                serde_json::json!({ "name": "Bench service", "client_type": "confidential",
                    "grant_types": ["client_credentials"], "scopes": ["api:read"],
                    "audiences": ["https://api.bench.example"] }),
            ))
            .await
            .unwrap(),
        )
        .await;
        (
            client["id"].as_str().unwrap().to_owned(),
            client["client_secret"].as_str().unwrap().to_owned(),
        )
    });
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    };
    let token_body = "grant_type=client_credentials&scope=api%3Aread".to_owned();
    let access = rt.block_on(async {
        let r = app
            .call(form("/t/bench/oauth2/token", &basic, token_body.clone()))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        body(r).await["access_token"].as_str().unwrap().to_owned()
    });

    let mut group = c.benchmark_group("oidc");
    group.bench_function("GET /.well-known/openid-configuration", |b| {
        b.iter(|| {
            let r = rt
                .block_on(
                    app.call(with_peer(
                        Request::get("/t/bench/.well-known/openid-configuration")
                            .body(Body::empty())
                            .unwrap(),
                    )),
                )
                .unwrap();
            assert_eq!(r.status(), 200);
            black_box(r);
        });
    });
    group.bench_function("POST /oauth2/token (client_credentials)", |b| {
        b.iter(|| {
            let r = rt
                .block_on(app.call(form("/t/bench/oauth2/token", &basic, token_body.clone())))
                .unwrap();
            assert_eq!(r.status(), 200);
            black_box(r);
        });
    });
    let introspect_body = format!("token={access}");
    group.bench_function("POST /oauth2/introspect (access token)", |b| {
        b.iter(|| {
            let r = rt
                .block_on(app.call(form(
                    "/t/bench/oauth2/introspect",
                    &basic,
                    introspect_body.clone(),
                )))
                .unwrap();
            assert_eq!(r.status(), 200);
            black_box(r);
        });
    });
    group.finish();
}

criterion_group!(benches, provider);
criterion_main!(benches);
