//! Webhooks: registry, signed delivery, retries, dead letters, replay, SSRF.

use std::time::Duration;

use caas_webhooks::signature;
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Receiver, Stack, on_both_stacks};

pub(crate) fn fast(c: &mut caas_server::ServeConfig) {
    c.platform.webhooks.backoff = Duration::from_millis(50);
    c.platform.webhooks.max_backoff = Duration::from_millis(200);
    c.platform.webhooks.poll_interval = Duration::from_millis(50);
}

pub(crate) async fn create(
    gw: &Gateway,
    tenant: &str,
    url: &str,
    types: &[&str],
) -> (String, String) {
    let r = gw
        .in_tenant(tenant, Method::POST, "/v1/webhooks")
        .json(&json!({ "url": url, "event_types": types, "description": "test" }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (body["id"].as_str().unwrap().to_owned(), secret)
}

async fn deliveries(gw: &Gateway, tenant: &str, hook: &str) -> Vec<Value> {
    let page: Value = gw
        .in_tenant(
            tenant,
            Method::GET,
            &format!("/v1/webhooks/{hook}/deliveries"),
        )
        .value()
        .await;
    page["items"].as_array().unwrap().clone()
}

pub(crate) async fn until(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !f().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn events_arrive_signed_and_retries_end_in_one_success(stack: Stack) {
    let Some(gw) = Gateway::start(stack, fast).await else {
        return;
    };
    let receiver = Receiver::start(3).await;
    let tenant = gw.tenant(json!({})).await;
    let (hook, secret) = create(&gw, &tenant, &receiver.url(), &["tenant.*"]).await;

    // A change to the tenant is an event on the bus, delivered to the hook.
    let r = gw
        .in_tenant(&tenant, Method::PUT, "/v1/tenant")
        .json(&json!({ "name": "Renamed" }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    until("a successful delivery", async || {
        receiver.received().iter().any(|r| r.answered == 204)
    })
    .await;
    // Nothing more arrives after the success.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 500, 204]
    );
    let delivery = got[0].headers["x-caas-delivery"].clone();
    for (i, r) in got.iter().enumerate() {
        assert_eq!(
            r.headers["x-caas-delivery"], delivery,
            "one delivery, retried"
        );
        assert_eq!(r.headers["x-caas-attempt"], (i + 1).to_string().as_str());
        assert_eq!(r.headers["x-caas-event"], "tenant.updated");
        let header = r.headers[signature::HEADER].to_str().unwrap();
        let now = caas_core::Clock::now(&caas_core::SystemClock).as_millis() / 1000;
        signature::verify(&secret, header, &r.body, now, 300).unwrap();
        assert!(signature::verify("whsec_wrong", header, &r.body, now, 300).is_err());
    }
    let event: Value = serde_json::from_slice(&got[3].body).unwrap();
    assert_eq!(event["type"], "tenant.updated");
    assert_eq!(event["data"]["slug"], tenant.as_str());

    let list = deliveries(&gw, &tenant, &hook).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0]["state"].as_str(), list[0]["attempts"].as_i64()),
        (Some("succeeded"), Some(4))
    );
    assert_eq!(list[0]["id"], delivery.to_str().unwrap());
    gw.stop().await;
}

async fn a_receiver_that_keeps_failing_ends_dead_and_can_be_replayed(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| {
        fast(c);
        c.platform.webhooks.max_attempts = 3;
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start(3).await;
    let tenant = gw.tenant(json!({})).await;
    let (hook, _) = create(&gw, &tenant, &receiver.url(), &["webhook.ping"]).await;
    let r = gw
        .in_tenant(&tenant, Method::POST, &format!("/v1/webhooks/{hook}/ping"))
        .go()
        .await;
    assert_eq!(r.status(), 202);
    until("the dead letter", async || {
        deliveries(&gw, &tenant, &hook)
            .await
            .first()
            .is_some_and(|d| d["state"] == "dead")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3, "no attempt after the last");
    let dead = deliveries(&gw, &tenant, &hook).await.remove(0);
    assert_eq!(dead["attempts"], 3);
    assert_eq!(dead["last_status"], 500);
    let page: Value = gw
        .in_tenant(
            &tenant,
            Method::GET,
            &format!("/v1/webhooks/{hook}/deliveries?state=dead"),
        )
        .value()
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let page: Value = gw
        .in_tenant(
            &tenant,
            Method::GET,
            &format!("/v1/webhooks/{hook}/deliveries?state=succeeded"),
        )
        .value()
        .await;
    assert!(page["items"].as_array().unwrap().is_empty());

    // Replay: the receiver now answers, and the delivery succeeds.
    let id = dead["id"].as_str().unwrap();
    let path = format!("/v1/webhooks/{hook}/deliveries/{id}/replay");
    let r = gw.in_tenant(&tenant, Method::POST, &path).go().await;
    assert_eq!(r.status(), 202);
    until("the replayed delivery", async || {
        deliveries(&gw, &tenant, &hook)
            .await
            .first()
            .is_some_and(|d| d["state"] == "succeeded")
    })
    .await;
    assert_eq!(receiver.received().len(), 4);
    let unknown = format!(
        "/v1/webhooks/{hook}/deliveries/{}/replay",
        caas_core::new_id(&caas_core::SystemClock)
    );
    assert_eq!(
        gw.in_tenant(&tenant, Method::POST, &unknown)
            .go()
            .await
            .status(),
        404
    );
    gw.stop().await;
}

async fn webhooks_are_managed_per_tenant_and_targets_checked(stack: Stack) {
    let Some(gw) =
        Gateway::start(stack, |c| c.platform.webhooks.allow_private_targets = false).await
    else {
        return;
    };
    let tenant = gw.tenant(json!({})).await;
    let other = gw.tenant(json!({})).await;
    let post = |body: Value| {
        gw.in_tenant(&tenant, Method::POST, "/v1/webhooks")
            .json(&body)
            .send()
    };
    // Private, loopback and metadata targets are refused; so are unknown events.
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://localhost/x",
        "file:///etc/passwd",
    ] {
        let r = post(json!({ "url": url, "event_types": ["*"] }))
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{url}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "url", "{url}");
    }
    let r =
        post(json!({ "url": "https://hooks.example.com/a", "event_types": ["tenant.exploded"] }))
            .await
            .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "event_types");
    let types: Value = gw
        .anon(Method::GET, "/v1/webhooks/event-types")
        .value()
        .await;
    assert!(
        types
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "tenant.updated")
    );

    let (hook, secret) = create(
        &gw,
        &tenant,
        "https://hooks.example.com/a",
        &["tenant.updated"],
    )
    .await;
    let got: Value = gw
        .in_tenant(&tenant, Method::GET, &format!("/v1/webhooks/{hook}"))
        .value()
        .await;
    assert_eq!(got["url"], "https://hooks.example.com/a");
    assert!(got.get("secret").is_none(), "the secret is shown only once");
    let list: Value = gw
        .in_tenant(&tenant, Method::GET, "/v1/webhooks")
        .value()
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Another tenant sees none of it.
    assert_eq!(
        gw.in_tenant(&other, Method::GET, &format!("/v1/webhooks/{hook}"))
            .go()
            .await
            .status(),
        404
    );
    let list: Value = gw
        .in_tenant(&other, Method::GET, "/v1/webhooks")
        .value()
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(
        gw.in_tenant(&other, Method::DELETE, &format!("/v1/webhooks/{hook}"))
            .go()
            .await
            .status(),
        404
    );

    let r = gw
        .in_tenant(&tenant, Method::PUT, &format!("/v1/webhooks/{hook}"))
        .json(&json!({ "url": "https://hooks.example.com/b", "event_types": ["*"], "enabled": false }))
        .go().await;
    let put: Value = r.json().await.unwrap();
    assert_eq!(
        (put["url"].as_str(), put["enabled"].as_bool()),
        (Some("https://hooks.example.com/b"), Some(false))
    );
    let r = gw
        .in_tenant(&tenant, Method::POST, &format!("/v1/webhooks/{hook}/ping"))
        .go()
        .await;
    assert_eq!(r.status(), 409, "a disabled webhook is not pinged");
    let rotated: Value = gw
        .in_tenant(
            &tenant,
            Method::POST,
            &format!("/v1/webhooks/{hook}/rotate-secret"),
        )
        .value()
        .await;
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    assert_eq!(
        gw.in_tenant(&tenant, Method::DELETE, &format!("/v1/webhooks/{hook}"))
            .go()
            .await
            .status(),
        204
    );
    assert_eq!(
        gw.in_tenant(&tenant, Method::GET, &format!("/v1/webhooks/{hook}"))
            .go()
            .await
            .status(),
        404
    );
    assert_eq!(
        gw.in_tenant(&tenant, Method::GET, "/v1/webhooks/not-an-id")
            .go()
            .await
            .status(),
        404
    );
    let r = gw
        .anon(Method::GET, "/v1/webhooks")
        .header("x-tenant-id", &tenant)
        .go()
        .await;
    assert_eq!(r.status(), 401);
    gw.stop().await;
}

/// Two instances share the outbox: both hear every event on Redis and both
/// workers claim, yet each event reaches the receiver exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_event_exactly_once() {
    let Some(first) = Gateway::start(Stack::Production, fast).await else {
        return;
    };
    let second = first.another().await;
    let receiver = Receiver::start(0).await;
    let tenant = first.tenant(json!({})).await;
    let (hook, _) = create(&first, &tenant, &receiver.url(), &["tenant.updated"]).await;
    const EVENTS: usize = 20;
    for i in 0..EVENTS {
        let gw = if i % 2 == 0 { &first } else { &second };
        let r = gw
            .in_tenant(&tenant, Method::PUT, "/v1/tenant")
            .json(&json!({ "name": format!("name {i}") }))
            .go()
            .await;
        assert_eq!(r.status(), 200);
    }
    until("every event", async || receiver.received().len() >= EVENTS).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert_eq!(got.len(), EVENTS, "duplicates or losses");
    let mut ids: Vec<String> = got
        .iter()
        .map(|r| {
            assert_eq!(r.headers["x-caas-attempt"], "1");
            let event: Value = serde_json::from_slice(&r.body).unwrap();
            event["id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), EVENTS, "an event was delivered twice");
    let page: Value = first
        .in_tenant(
            &tenant,
            Method::GET,
            &format!("/v1/webhooks/{hook}/deliveries?limit=1000"),
        )
        .value()
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), EVENTS);
    assert!(
        items
            .iter()
            .all(|d| d["state"] == "succeeded" && d["attempts"] == 1)
    );
    let mut second = second;
    second.shutdown().await;
    first.stop().await;
}

/// A restart on PostgreSQL + Redis (the SQLite file case, with SIGKILL, is
/// in `webhook_kill.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_attempts_loses_nothing_on_postgres_redis() {
    let Some(gw) = Gateway::start(Stack::Production, |c| {
        fast(c);
        c.platform.webhooks.backoff = Duration::from_millis(700);
        c.platform.webhooks.max_backoff = Duration::from_millis(700);
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start(1).await;
    let tenant = gw.tenant(json!({})).await;
    let (hook, _) = create(&gw, &tenant, &receiver.url(), &["webhook.ping"]).await;
    gw.in_tenant(&tenant, Method::POST, &format!("/v1/webhooks/{hook}/ping"))
        .go()
        .await;
    until("the first attempt", async || {
        !receiver.received().is_empty()
    })
    .await;
    let gw = gw.restart().await;
    until("the retry after the restart", async || {
        receiver.received().len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver
            .received()
            .iter()
            .map(|r| r.answered)
            .collect::<Vec<_>>(),
        [500, 204]
    );
    assert_eq!(
        deliveries(&gw, &tenant, &hook).await[0]["state"],
        "succeeded"
    );
    gw.stop().await;
}

/// The identity event stream reaches a webhook: one subscribed to `auth.*`
/// and `user.created` gets signed deliveries for the sign-up, the failed
/// login and the session the right password opened, each naming the user
/// and never the password or the address.
async fn identity_events_reach_a_webhook_signed(stack: Stack) {
    let Some(gw) = Gateway::start(stack, fast).await else {
        return;
    };
    let receiver = Receiver::start(0).await;
    let tenant = gw
        .tenant(json!({ "extensions": { "auth": { "allow_registration": true } } }))
        .await;
    let (_, secret) = create(
        &gw,
        &tenant,
        &receiver.url(),
        &["auth.*", "user.created", "session.created"],
    )
    .await;
    const PASSWORD: &str = "a long and unusual passphrase";
    let r = gw
        .anon(Method::POST, "/v1/auth/register")
        .header("x-tenant-id", &tenant)
        .json(&json!({ "email": "ann@example.com", "password": PASSWORD }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let user: Value = r.json().await.unwrap();
    for (password, status) in [("not the passphrase", 401), (PASSWORD, 200)] {
        let r = gw
            .anon(Method::POST, "/v1/auth/login")
            .header("x-tenant-id", &tenant)
            .json(&json!({ "login": "ann@example.com", "password": password }))
            .go()
            .await;
        assert_eq!(r.status(), status);
    }
    let wanted = ["user.created", "auth.login_failed", "session.created"];
    until("the three identity events", async || {
        let got = receiver.received();
        wanted
            .iter()
            .all(|t| got.iter().any(|r| r.headers["x-caas-event"] == *t))
    })
    .await;
    let now = caas_core::Clock::now(&caas_core::SystemClock).as_millis() / 1000;
    for t in wanted {
        let got = receiver.received();
        let r = got.iter().find(|r| r.headers["x-caas-event"] == t).unwrap();
        let header = r.headers[signature::HEADER].to_str().unwrap();
        signature::verify(&secret, header, &r.body, now, 300).unwrap();
        let event: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(event["type"], t);
        assert_eq!(event["data"]["user_id"], user["id"], "{t}: {event}");
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            !text.contains("passphrase") && !text.contains("ann@"),
            "{t}: {text}"
        );
    }
    // Only subscribed types arrive: user.updated etc. were not asked for.
    assert!(receiver.received().iter().all(|r| {
        let t = r.headers["x-caas-event"].to_str().unwrap();
        t.starts_with("auth.") || t == "user.created" || t == "session.created"
    }));
    gw.stop().await;
}

on_both_stacks!(
    events_arrive_signed_and_retries_end_in_one_success,
    a_receiver_that_keeps_failing_ends_dead_and_can_be_replayed,
    webhooks_are_managed_per_tenant_and_targets_checked,
    identity_events_reach_a_webhook_signed,
);
