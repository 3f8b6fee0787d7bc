//! End-to-end encryption over HTTP: key distribution, the mailbox, identity
//! pinning, the one-time-prekey claim across two instances, and tenant-key
//! rotation with background re-wrapping.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::Timestamp;
use caas_crypto::e2e::wire::{Message, PrekeyMessage};
use caas_crypto::e2e::{
    Device, IdentityKeyPair, OneTimePrekey, PrekeyBundle, RandomKeys, SignedPrekey, safety,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Receiver, Stack, on_both_stacks};
use super::webhooks::{create, fast, until};

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap()).unwrap()
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    unb64(v).try_into().unwrap()
}

fn prekeys_json(keys: &[OneTimePrekey]) -> Value {
    keys.iter()
        .map(|k| json!({ "id": k.id, "public_key": b64(&k.key) }))
        .collect()
}

pub(crate) fn publish_body(device: &mut Device, one_time: usize) -> Value {
    let spk = device.signed_prekey();
    let opks = device.generate_one_time_prekeys(one_time);
    json!({
        "identity_key": b64(&device.identity().public().to_bytes()),
        "signed_prekey": { "id": spk.id, "public_key": b64(&spk.key), "signature": b64(&spk.signature) },
        "one_time_prekeys": prekeys_json(&opks),
    })
}

fn bundle(v: &Value) -> PrekeyBundle {
    PrekeyBundle {
        identity: caas_crypto::e2e::IdentityKey::from_bytes(&arr(&v["identity_key"])).unwrap(),
        signed_prekey: SignedPrekey {
            id: u32::try_from(v["signed_prekey"]["id"].as_u64().unwrap()).unwrap(),
            key: arr(&v["signed_prekey"]["public_key"]),
            signature: arr(&v["signed_prekey"]["signature"]),
        },
        one_time_prekey: v["one_time_prekey"].as_object().map(|k| OneTimePrekey {
            id: u32::try_from(k["id"].as_u64().unwrap()).unwrap(),
            key: arr(&k["public_key"]),
        }),
    }
}

/// A tenant and a request builder for its users.
struct Users<'a> {
    gw: &'a Gateway,
    slug: String,
    id: String,
}

impl Users<'_> {
    fn req(&self, user: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.gw.as_named(&self.id, &self.slug, user, method, path)
    }

    async fn inbox(&self, user: &str, device: &str) -> Vec<Value> {
        let page = self
            .req(
                user,
                Method::GET,
                &format!("/v1/messages?device_id={device}"),
            )
            .value()
            .await;
        page["items"].as_array().unwrap().clone()
    }
}

async fn users(gw: &Gateway) -> Users<'_> {
    let slug = gw.tenant(json!({})).await;
    let id = gw.tenant_id(&slug).await;
    Users { gw, slug, id }
}

async fn alice_and_bob_talk_through_the_mailbox(stack: Stack) {
    let Some(gw) = Gateway::start(stack, fast).await else {
        return;
    };
    let t = users(&gw).await;
    let receiver = Receiver::start(0).await;
    create(&gw, &t.slug, &receiver.url(), &["e2e.*"]).await;
    let mut alice = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    let mut bob = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    let r = t
        .req("alice", Method::PUT, "/v1/keys/devices/phone")
        .json(&publish_body(&mut alice, 0))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = t
        .req("bob", Method::PUT, "/v1/keys/devices/laptop")
        .json(&publish_body(&mut bob, 2))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let count = t
        .req("bob", Method::GET, "/v1/keys/devices/laptop/prekeys/count")
        .value()
        .await;
    assert_eq!(count["one_time_prekeys"], 2);

    // Alice fetches Bob's bundle (claiming a one-time prekey) and writes.
    let bundles = t
        .req("alice", Method::GET, "/v1/keys/users/bob/bundles")
        .value()
        .await;
    assert_eq!(bundles["devices"].as_array().unwrap().len(), 1);
    let b = bundle(&bundles["devices"][0]);
    assert!(b.one_time_prekey.is_some());
    let (mut a_session, first) = alice.initiate(&b, b"hello bob", &mut RandomKeys).unwrap();
    let r = t
        .req("alice", Method::POST, "/v1/messages")
        .json(&json!({
            "sender_device_id": "phone",
            "ttl_seconds": 3600,
            "messages": [{ "user_id": "bob", "device_id": "laptop", "ciphertext": b64(&first.to_bytes()) }],
        }))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(
        t.req("bob", Method::GET, "/v1/keys/devices/laptop/prekeys/count")
            .value()
            .await["one_time_prekeys"],
        1
    );

    // Bob reads, accepts, replies; each acknowledges.
    let inbox = t.inbox("bob", "laptop").await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        inbox[0]["sender"],
        json!({ "user_id": "alice", "device_id": "phone" })
    );
    let got = PrekeyMessage::from_bytes(&unb64(&inbox[0]["ciphertext"])).unwrap();
    let (mut b_session, plain) = bob.accept(&got, &mut RandomKeys).unwrap();
    assert_eq!(plain, b"hello bob");
    let id = inbox[0]["id"].as_str().unwrap();
    // Only the recipient device acknowledges.
    let path = format!("/v1/messages/{id}?device_id=phone");
    assert_eq!(
        t.req("alice", Method::DELETE, &path).go().await.status(),
        404
    );
    let path = format!("/v1/messages/{id}?device_id=laptop");
    assert_eq!(t.req("bob", Method::DELETE, &path).go().await.status(), 204);
    assert!(t.inbox("bob", "laptop").await.is_empty());
    let (header, ciphertext) = b_session.encrypt(b"hi alice").unwrap();
    let reply = Message { header, ciphertext }.to_bytes();
    let r = t
        .req("bob", Method::POST, "/v1/messages")
        .json(&json!({
            "sender_device_id": "laptop",
            "messages": [{ "user_id": "alice", "device_id": "phone", "ciphertext": b64(&reply) }],
        }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let inbox = t.inbox("alice", "phone").await;
    let m = Message::from_bytes(&unb64(&inbox[0]["ciphertext"])).unwrap();
    assert_eq!(
        a_session.decrypt(&m.header, &m.ciphertext).unwrap(),
        b"hi alice"
    );
    // Both compute the same safety number from the published keys.
    let a_view = safety::safety_number(
        &alice.identity().public().to_bytes(),
        b"alice",
        &b.identity.to_bytes(),
        b"bob",
    );
    let b_view = safety::safety_number(
        &bob.identity().public().to_bytes(),
        b"bob",
        &got.identity.to_bytes(),
        b"alice",
    );
    assert_eq!(a_view, b_view);

    // The identity key is pinned: a new one needs `replace_identity`, which
    // announces the change.
    let mut reinstalled = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    let mut body = publish_body(&mut reinstalled, 0);
    let r = t
        .req("bob", Method::PUT, "/v1/keys/devices/laptop")
        .json(&body)
        .go()
        .await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "identity_key_changed");
    body["replace_identity"] = json!(true);
    let r = t
        .req("bob", Method::PUT, "/v1/keys/devices/laptop")
        .json(&body)
        .go()
        .await;
    assert_eq!(r.status(), 200);
    until("the identity-change event", async || {
        receiver.received().iter().any(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            v["type"] == "e2e.identity.changed"
                && v["data"]["identity_key"] == b64(&reinstalled.identity().public().to_bytes())
                && v["data"]["old_identity_key"] == b64(&bob.identity().public().to_bytes())
        })
    })
    .await;
    gw.stop().await;
}

async fn bad_key_uploads_and_strangers_are_refused(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let t = users(&gw).await;
    let mut device = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    let good = publish_body(&mut device, 1);
    let problem = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        (status, v["field"].as_str().map(str::to_owned))
    };
    // A signature by another identity, bad base64, a short key, unknown fields.
    let mut forged = good.clone();
    forged["signed_prekey"]["signature"] = json!(b64(&IdentityKeyPair::generate().sign(b"x")));
    let mut not_b64 = good.clone();
    not_b64["identity_key"] = json!("***");
    let mut short = good.clone();
    short["signed_prekey"]["public_key"] = json!(b64(&[1; 31]));
    let mut extra = good.clone();
    extra["private_key"] = json!("oops");
    for (body, field) in [
        (forged, "signed_prekey.signature"),
        (not_b64, "identity_key"),
        (short, "signed_prekey.public_key"),
        (extra, ""),
    ] {
        let r = t
            .req("alice", Method::PUT, "/v1/keys/devices/phone")
            .json(&body)
            .go()
            .await;
        let (status, got) = problem(r).await;
        assert_eq!(status, 400, "{field}");
        if !field.is_empty() {
            assert_eq!(got.as_deref(), Some(field));
        }
    }
    let r = t
        .req("alice", Method::PUT, "/v1/keys/devices/bad%20id")
        .json(&good)
        .go()
        .await;
    assert_eq!(problem(r).await, (400, Some("device_id".into())));
    // Nothing was stored by any of those.
    assert!(
        t.req("bob", Method::GET, "/v1/keys/users/alice/bundles")
            .value()
            .await["devices"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The platform admin has no devices (403); another tenant's credentials
    // are refused by the gateway before any route (401).
    let r = gw
        .in_tenant(&t.slug, Method::PUT, "/v1/keys/devices/phone")
        .json(&good)
        .go()
        .await;
    assert_eq!(r.status(), 403);
    let other = users(&gw).await;
    let r = gw
        .as_named(
            &other.id,
            &t.slug,
            "alice",
            Method::GET,
            "/v1/keys/users/alice/bundles",
        )
        .go()
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        gw.anon(Method::GET, "/v1/messages?device_id=phone")
            .header("x-tenant-id", &t.slug)
            .go()
            .await
            .status(),
        401
    );
    // Messages: unknown devices (404), bad TTL, bad base64 (400); replenish
    // an unknown device (404).
    let r = t
        .req("alice", Method::PUT, "/v1/keys/devices/phone")
        .json(&good)
        .go()
        .await;
    assert_eq!(r.status(), 201);
    for (body, status, field) in [
        (
            json!({ "sender_device_id": "phone", "messages": [{ "user_id": "bob", "device_id": "x", "ciphertext": "AAAA" }] }),
            404,
            "messages.device_id",
        ),
        (
            json!({ "sender_device_id": "tablet", "messages": [{ "user_id": "alice", "device_id": "phone", "ciphertext": "AAAA" }] }),
            404,
            "sender_device_id",
        ),
        (
            json!({ "sender_device_id": "phone", "ttl_seconds": 0, "messages": [{ "user_id": "alice", "device_id": "phone", "ciphertext": "AAAA" }] }),
            400,
            "ttl_seconds",
        ),
        (
            json!({ "sender_device_id": "phone", "messages": [{ "user_id": "alice", "device_id": "phone", "ciphertext": "!!" }] }),
            400,
            "messages.ciphertext",
        ),
        (
            json!({ "sender_device_id": "phone", "messages": [] }),
            400,
            "messages",
        ),
    ] {
        let r = t
            .req("alice", Method::POST, "/v1/messages")
            .json(&body)
            .go()
            .await;
        assert_eq!(problem(r).await, (status, Some(field.to_owned())), "{body}");
    }
    assert!(t.inbox("alice", "phone").await.is_empty());
    let r = t
        .req("alice", Method::POST, "/v1/keys/devices/tablet/prekeys")
        .json(&json!({ "one_time_prekeys": prekeys_json(&device.generate_one_time_prekeys(1)) }))
        .go()
        .await;
    assert_eq!(r.status(), 404);
    let r = t
        .req(
            "alice",
            Method::GET,
            "/v1/messages?device_id=phone&after=nope",
        )
        .go()
        .await;
    assert_eq!(problem(r).await, (400, Some("after".into())));
    // Reset forgets the device (and says so for an unknown one).
    assert_eq!(
        t.req("alice", Method::DELETE, "/v1/keys/devices/phone")
            .go()
            .await
            .status(),
        204
    );
    assert_eq!(
        t.req("alice", Method::DELETE, "/v1/keys/devices/phone")
            .go()
            .await
            .status(),
        404
    );
    gw.stop().await;
}

/// 50 parallel bundle fetches, spread over two server instances, for a
/// device with 20 one-time prekeys: 20 distinct prekeys, 30 bundles without.
async fn fifty_parallel_fetches_over_two_instances(stack: Stack) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("caas.db");
    let Some(first) = Gateway::start(stack, |c| {
        if stack == Stack::Embedded {
            // Two instances need one database: a file, not memory.
            c.platform.database_url = Some(format!("sqlite://{}", file.display()));
        }
    })
    .await
    else {
        return;
    };
    let second = first.another().await;
    let t = users(&first).await;
    let mut bob = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    let r = t
        .req("bob", Method::PUT, "/v1/keys/devices/phone")
        .json(&publish_body(&mut bob, 20))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let mut fetches = tokio::task::JoinSet::new();
    for i in 0..50 {
        let gw = if i % 2 == 0 { &first } else { &second };
        let req = gw.as_named(
            &t.id,
            &t.slug,
            "alice",
            Method::GET,
            "/v1/keys/users/bob/bundles",
        );
        fetches.spawn(async move { req.value().await });
    }
    let mut handed = Vec::new();
    let mut without = 0;
    while let Some(done) = fetches.join_next().await {
        let v = done.unwrap();
        match v["devices"][0]["one_time_prekey"]["id"].as_u64() {
            Some(id) => handed.push(id),
            None => without += 1,
        }
    }
    let distinct: BTreeSet<u64> = handed.iter().copied().collect();
    assert_eq!(
        (handed.len(), distinct.len(), without),
        (20, 20, 30),
        "{handed:?}"
    );
    let mut second = second;
    second.shutdown().await;
    first.stop().await;
}

async fn a_tenant_key_rotation_rewraps_in_the_background(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| {
        c.platform.master_key = Some(crate::MASTER_KEY.into());
    })
    .await
    else {
        return;
    };
    let slug = gw.tenant(json!({})).await;
    let tenant: caas_core::TenantId = gw.tenant_id(&slug).await.parse().unwrap();
    // The same master key as the server: the test seals data the way a
    // crate inside the server would.
    let keys = SqlKeyManager::new(
        gw.db.clone(),
        MasterKey::parse(crate::MASTER_KEY).unwrap(),
        caas_core::SystemClock::shared(),
        None,
    );
    let sealed = keys.encrypt(&tenant, "profiles", b"kept").await.unwrap();
    let shredable = keys
        .encrypt_for_subject(&tenant, "user-7", "profiles", b"mine")
        .await
        .unwrap();
    let r = gw
        .admin(
            Method::POST,
            &format!("/v1/admin/tenants/{slug}/keys/rotate"),
        )
        .go()
        .await;
    assert_eq!(r.status(), 202);
    let rotation: Value = r.json().await.unwrap();
    assert_eq!(
        (
            rotation["from_version"].as_u64(),
            rotation["to_version"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let path = format!("/v1/admin/tenants/{slug}/keys/rotations");
    until("the background re-wrap", async || {
        let history = gw.admin(Method::GET, &path).value().await;
        history[0]["completed_at"].is_string()
    })
    .await;
    let history = gw.admin(Method::GET, &path).value().await;
    // The two keys sealed above, and the data key of the tenant's token-signing key.
    assert_eq!(history[0]["rewrapped"], 3);
    assert_eq!(
        &keys.decrypt(&tenant, "profiles", &sealed).await.unwrap()[..],
        b"kept"
    );
    let mine = keys
        .decrypt_for_subject(&tenant, "user-7", "profiles", &shredable)
        .await
        .unwrap();
    assert_eq!(&mine[..], b"mine");
    // Admin only; unknown tenants are 404.
    assert_eq!(
        gw.anon(Method::GET, &path)
            .bearer_auth("nope")
            .go()
            .await
            .status(),
        401
    );
    let id = gw.tenant_id(&slug).await;
    let rotate = format!("/v1/admin/tenants/{slug}/keys/rotate");
    assert_eq!(
        gw.as_user(&id, &slug, Method::POST, &rotate)
            .go()
            .await
            .status(),
        403
    );
    assert_eq!(
        gw.admin(Method::POST, "/v1/admin/tenants/no-such-tenant/keys/rotate")
            .go()
            .await
            .status(),
        404
    );
    gw.stop().await;
}

on_both_stacks!(
    alice_and_bob_talk_through_the_mailbox,
    bad_key_uploads_and_strangers_are_refused,
    fifty_parallel_fetches_over_two_instances,
    a_tenant_key_rotation_rewraps_in_the_background,
);
