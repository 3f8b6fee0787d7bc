//! `/health` and `/ready` on the embedded default and on PostgreSQL + Redis.

use std::time::Duration;

use caas_core::testkit::{DATABASE_URL_VAR, RedisServer, backend_url};
use serde_json::json;

use crate::{Server, get_json, within};

fn kinds(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["kind"].as_str().unwrap().to_owned(),
                b["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
        .collect()
}

#[tokio::test]
async fn the_default_start_serves_health_and_ready_on_sqlite_and_memory() {
    let server = Server::start(&[]).await;
    let (status, body) = get_json(&server.url("/health")).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));

    let (status, report) = get_json(&server.url("/ready")).await;
    assert_eq!(status, 200);
    assert_eq!(report["status"], "ready");
    assert_eq!(
        kinds(&report),
        owned(&[
            ("database", "sqlite", "up"),
            ("cache", "memory", "up"),
            ("events", "memory", "up")
        ])
    );
    assert!(
        server.dir().join("caas-data/caas.sqlite3").exists(),
        "the embedded database lives in ./caas-data"
    );
    let (status, index) = get_json(&server.url("/")).await;
    assert_eq!(status, 200);
    assert_eq!(index["service"], "caas");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problem_json() {
    let server = Server::start(&[]).await;
    let r = crate::client()
        .get(server.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);

    let r = crate::client()
        .delete(server.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["status"].as_u64()),
        (Some("method_not_allowed"), Some(405))
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let server = Server::start(&[]).await;
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_follows_redis_down_and_back_without_a_restart() {
    let Some(database_url) = backend_url(DATABASE_URL_VAR) else {
        return;
    };
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let redis_url = redis.url();
    let mut server = Server::start(&[
        "--master-key",
        crate::MASTER_KEY,
        "--database-url",
        &database_url,
        "--redis-url",
        &redis_url,
    ])
    .await;

    let (status, report) = get_json(&server.url("/ready")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        kinds(&report),
        owned(&[
            ("database", "postgres", "up"),
            ("cache", "redis", "up"),
            ("events", "redis", "up")
        ])
    );

    redis.stop();
    let url = server.url("/ready");
    let took = within(Duration::from_secs(10), || async {
        get_json(&url).await.0 == 503
    })
    .await;
    let took = took.expect("/ready turns 503 when Redis stops");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let (_, report) = get_json(&url).await;
    assert_eq!(report["status"], "unavailable");
    assert!(kinds(&report).contains(&("cache".into(), "redis".into(), "down".into())));

    redis.resume();
    let back = within(Duration::from_secs(15), || async {
        get_json(&url).await.0 == 200
    })
    .await;
    assert!(back.is_some(), "/ready recovers once Redis is back");
    assert!(server.is_running(), "without restarting the server");
}
