//! The per-IP rate limit, alone and shared by two instances.

use caas_core::testkit::{DATABASE_URL_VAR, RedisServer, backend_url};

use crate::{Server, client};

#[tokio::test]
async fn the_limit_answers_429_with_retry_after_and_ratelimit_headers() {
    let server = Server::start(&["--rate-limit", "2/min"]).await;
    for remaining in [1, 0] {
        let r = client().get(server.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["ratelimit-policy"], "\"ip\";q=2;w=60");
        let rl = r.headers()["ratelimit"].to_str().unwrap().to_owned();
        assert!(rl.starts_with(&format!("\"ip\";r={remaining};t=")), "{rl}");
    }
    let r = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "retry after {retry}s");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");

    // Probes are never limited.
    for _ in 0..5 {
        assert_eq!(
            client()
                .get(server.url("/health"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            client()
                .get(server.url("/ready"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn the_limit_can_be_turned_off() {
    let server = Server::start(&["--rate-limit", "off"]).await;
    for _ in 0..20 {
        let r = client().get(server.url("/")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("ratelimit").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_and_redis_share_the_limit() {
    let Some(database_url) = backend_url(DATABASE_URL_VAR) else {
        return;
    };
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let redis_url = redis.url();
    let flags = [
        "--master-key",
        crate::MASTER_KEY,
        "--database-url",
        &database_url,
        "--redis-url",
        &redis_url,
        "--rate-limit",
        "3/min",
    ];
    let one = Server::start(&flags).await;
    let two = Server::start(&flags).await;

    for _ in 0..3 {
        assert_eq!(
            client().get(one.url("/")).send().await.unwrap().status(),
            200
        );
    }
    // The limit spent through the first instance is seen by the second.
    let r = client().get(two.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        client().get(one.url("/")).send().await.unwrap().status(),
        429
    );
}
