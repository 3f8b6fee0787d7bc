//! Killing the server between two attempts of a delivery loses nothing: the
//! outbox is in the SQLite file, and the next start delivers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::gateway::harness::{ADMIN_KEY, Go, Receiver, slug};
use crate::{Server, client};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_attempts_loses_no_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "admin_key = \"{ADMIN_KEY}\"\n\
         [webhooks]\n\
         allow_private_targets = true\n\
         backoff = \"1500ms\"\n\
         max_backoff = \"1500ms\"\n\
         timeout = \"1s\"\n\
         lease = \"2s\"\n\
         poll_interval = \"100ms\"\n"
    );
    std::fs::write(dir.path().join("caas.toml"), config).unwrap();
    let server = Server::start_in(dir, &["--config", "caas.toml"]).await;
    let receiver = Receiver::start(1).await;
    let tenant = slug();
    let c = client();
    let r = c
        .post(server.url("/v1/admin/tenants"))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "slug": tenant, "name": "Kill test" }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let hook: Value = c
        .post(server.url("/v1/webhooks"))
        .bearer_auth(ADMIN_KEY)
        .header("x-tenant-id", &tenant)
        .json(&json!({ "url": receiver.url(), "event_types": ["webhook.ping"] }))
        .value()
        .await;
    let hook = hook["id"].as_str().unwrap().to_owned();
    let r = c
        .post(server.url(&format!("/v1/webhooks/{hook}/ping")))
        .bearer_auth(ADMIN_KEY)
        .header("x-tenant-id", &tenant)
        .go()
        .await;
    assert_eq!(r.status(), 202);
    crate::gateway::webhooks::until("the first (failing) attempt", async || {
        !receiver.received().is_empty()
    })
    .await;
    // Killed only once the failure is recorded (the delivery waits for its
    // backoff), so the kill lands between two attempts: a kill during the
    // attempt would leave it to its lease, which the short lease also covers.
    crate::gateway::webhooks::until("the failure to be recorded", async || {
        let page: Value = c
            .get(server.url(&format!("/v1/webhooks/{hook}/deliveries")))
            .bearer_auth(ADMIN_KEY)
            .header("x-tenant-id", &tenant)
            .value()
            .await;
        page["items"][0]["state"] == "pending" && page["items"][0]["attempts"] == 1
    })
    .await;

    // Dead at once, mid-backoff; a new process on the same files takes over.
    let dir = server.kill();
    assert_eq!(receiver.received().len(), 1);
    let server = Server::start_in(dir, &["--config", "caas.toml"]).await;
    crate::gateway::webhooks::until("the retry after the restart", async || {
        receiver.received().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let answered: Vec<u16> = receiver.received().iter().map(|r| r.answered).collect();
    assert_eq!(answered, [500, 204]);
    let page: Value = c
        .get(server.url(&format!("/v1/webhooks/{hook}/deliveries")))
        .bearer_auth(ADMIN_KEY)
        .header("x-tenant-id", &tenant)
        .value()
        .await;
    assert_eq!(page["items"][0]["state"], "succeeded");
    assert_eq!(page["items"][0]["attempts"], 2);
}
