//! Bounds over HTTP (security finding 4, "a number crashes the server for
//! good"): every duration and date a request body carries has a documented
//! maximum; above it the answer is 400 problem+json naming the field, and
//! what the tenant had before still reads. A row stored out of range before
//! the bounds existed still lists, exports, and is repaired at the next start.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";

/// The number of the report: `u64::MAX`.
const HUGE: u64 = u64::MAX;

/// How every out-of-range timestamp is written: the end of RFC 3339's range.
const LAST: &str = "9999-12-31T23:59:59.999Z";

on_both_stacks!(
    api_key_lifetimes_are_bounded,
    a_poisoned_api_key_still_reads_and_is_repaired_at_start,
    tenant_settings_durations_are_bounded,
    oauth_client_lifetimes_are_bounded,
    mailbox_times_to_live_are_bounded,
    move_timeouts_are_bounded,
    privacy_durations_and_dates_are_bounded,
);

/// A tenant with a first admin `boss@example.com`; its slug and the
/// admin's access token.
async fn tenant_with_admin(gw: &Gateway) -> (String, String) {
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug, "name": "Bounds",
                       "admin": { "email": "boss@example.com", "password": PASSWORD } }))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let token = login(gw, &slug).await;
    (slug, token)
}

/// The access token of `boss@example.com` in `slug`.
async fn login(gw: &Gateway, slug: &str) -> String {
    let r = gw
        .anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", slug)
        .json(&json!({ "login": "boss@example.com", "password": PASSWORD }))
        .go()
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let pair: Value = r.json().await.unwrap();
    pair["access_token"].as_str().unwrap().to_owned()
}

fn bearer(
    gw: &Gateway,
    slug: &str,
    token: &str,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    gw.anon(method, path)
        .header("x-tenant-id", slug)
        .bearer_auth(token)
}

/// Asserts a 400 problem+json naming `field`.
async fn refused(r: reqwest::Response, field: &str) {
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = r.text().await.unwrap();
    assert_eq!(status, 400, "{field}: {text}");
    assert!(
        content_type.starts_with("application/problem+json"),
        "{field}: {content_type}"
    );
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["field"], field, "{text}");
}

/// Asserts `status` and returns the JSON body.
async fn ok(r: reqwest::Response, status: u16) -> Value {
    let got = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn api_key_lifetimes_are_bounded(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let (slug, boss) = tenant_with_admin(&gw).await;
    let keys = |m: Method, p: &str| bearer(&gw, &slug, &boss, m, p);
    for expires_in in [json!(HUGE), json!(0), json!(10 * 366 * 24 * 3600 + 1)] {
        let r = keys(Method::POST, "/v1/auth/api-keys")
            .json(&json!({ "name": "ci", "expires_in": expires_in }))
            .go()
            .await;
        refused(r, "expires_in").await;
    }
    // Larger than any JSON number a u64 holds: still named.
    let r = keys(Method::POST, "/v1/auth/api-keys")
        .header("content-type", "application/json")
        .body(r#"{"name":"ci","expires_in":184467440737095516150}"#)
        .go()
        .await;
    refused(r, "expires_in").await;
    let key = ok(
        keys(Method::POST, "/v1/auth/api-keys")
            .json(&json!({ "name": "ci", "expires_in": 10 * 366 * 24 * 3600 }))
            .go()
            .await,
        201,
    )
    .await;
    let path = format!("/v1/auth/api-keys/{}", key["id"].as_str().unwrap());
    let r = keys(Method::PUT, &path)
        .json(&json!({ "name": "ci", "expires_in": HUGE }))
        .go()
        .await;
    refused(r, "expires_in").await;
    let listed = ok(keys(Method::GET, "/v1/auth/api-keys").go().await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["expires_at"], key["expires_at"], "unchanged");
    ok(keys(Method::GET, &path).go().await, 200).await;
    gw.stop().await;
}

async fn a_poisoned_api_key_still_reads_and_is_repaired_at_start(stack: Stack) {
    let dir = tempfile::tempdir().unwrap();
    let Some(gw) = Gateway::start(stack, |c| {
        if stack == Stack::Embedded {
            // The restart needs the same database: a file, not memory.
            c.platform.data_dir = dir.path().to_owned();
            c.platform.database_url =
                Some(format!("sqlite://{}", dir.path().join("caas.db").display()));
        }
    })
    .await
    else {
        return;
    };
    let (slug, boss) = tenant_with_admin(&gw).await;
    let key = ok(
        bearer(&gw, &slug, &boss, Method::POST, "/v1/auth/api-keys")
            .json(&json!({ "name": "far", "expires_in": 60 }))
            .go()
            .await,
        201,
    )
    .await;
    let api_key = key["api_key"].as_str().unwrap().to_owned();
    // The row `expires_in: 18446744073709551615` stored before the bound.
    let tenant: caas_core::TenantId = gw.tenant_id(&slug).await.parse().unwrap();
    let stored = async |db: &caas_core::Db, set: Option<i64>| -> i64 {
        let mut tx = db.tenant_tx(&tenant).await.unwrap();
        if let Some(at) = set {
            caas_core::sql::query("UPDATE auth_api_keys SET expires_at = $2 WHERE tenant_id = $1")
                .bind(tenant)
                .bind(at)
                .execute(&mut tx)
                .await
                .unwrap();
        }
        let caas_core::sql::Scalar(at): caas_core::sql::Scalar<i64> =
            caas_core::sql::query("SELECT expires_at FROM auth_api_keys WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&mut tx)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        at
    };
    assert_eq!(stored(&gw.db, Some(i64::MAX)).await, i64::MAX);

    // The list, the key itself and the key as a credential all still work.
    let listed = ok(
        bearer(&gw, &slug, &boss, Method::GET, "/v1/auth/api-keys")
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(listed[0]["expires_at"], LAST, "{listed}");
    let path = format!("/v1/auth/api-keys/{}", key["id"].as_str().unwrap());
    let one = ok(
        bearer(&gw, &slug, &boss, Method::GET, &path).go().await,
        200,
    )
    .await;
    assert_eq!(one["expires_at"], LAST);
    ok(
        bearer(&gw, &slug, &api_key, Method::GET, "/v1/auth/me")
            .go()
            .await,
        200,
    )
    .await;

    // A data-subject export that includes the key.
    let me = ok(
        bearer(&gw, &slug, &boss, Method::GET, "/v1/auth/me")
            .go()
            .await,
        200,
    )
    .await;
    let subject = me["subject"].as_str().unwrap();
    let admin = |m: Method, p: &str| gw.in_tenant(&slug, m, p);
    let request = ok(
        admin(
            Method::POST,
            &format!("/v1/privacy/requests?subject={subject}"),
        )
        .json(&json!({ "kind": "access" }))
        .go()
        .await,
        201,
    )
    .await;
    let id = request["id"].as_str().unwrap();
    ok(
        admin(Method::POST, &format!("/v1/privacy/requests/{id}/verify"))
            .json(&json!({}))
            .go()
            .await,
        200,
    )
    .await;
    ok(
        admin(Method::POST, &format!("/v1/privacy/requests/{id}/approve"))
            .go()
            .await,
        200,
    )
    .await;
    let export = ok(
        admin(Method::GET, &format!("/v1/privacy/requests/{id}/export"))
            .go()
            .await,
        200,
    )
    .await;
    assert!(export.to_string().contains(LAST), "{export}");

    // The next start moves the stored value into range.
    let gw = gw.restart().await;
    // The issuer follows the port, which a restart changes: log in again.
    let boss = login(&gw, &slug).await;
    assert_eq!(
        stored(&gw.db, None).await,
        caas_core::Timestamp::MAX_RFC3339.as_millis()
    );
    let listed = ok(
        bearer(&gw, &slug, &boss, Method::GET, "/v1/auth/api-keys")
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(listed[0]["expires_at"], LAST, "{listed}");
    gw.stop().await;
}

async fn tenant_settings_durations_are_bounded(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = gw.tenant(json!({})).await;
    let settings = |auth: Value| json!({ "extensions": { "auth": auth } });
    let cases = [
        (
            json!({ "guest_ttl_secs": HUGE }),
            "settings.extensions.auth.guest_ttl_secs",
        ),
        (
            json!({ "guest_ttl_secs": 86_401 }),
            "settings.extensions.auth.guest_ttl_secs",
        ),
        (
            json!({ "guest_ttl_secs": 59 }),
            "settings.extensions.auth.guest_ttl_secs",
        ),
        (
            json!({ "trusted_device_days": 366 }),
            "settings.extensions.auth.trusted_device_days",
        ),
        (
            json!({ "trusted_device_days": HUGE }),
            "settings.extensions.auth",
        ),
    ];
    for (auth, field) in &cases {
        let r = gw
            .in_tenant(&slug, Method::PUT, "/v1/tenant/settings")
            .json(&settings(auth.clone()))
            .go()
            .await;
        refused(r, field).await;
        let r = gw
            .admin(Method::PATCH, &format!("/v1/admin/tenants/{slug}"))
            .json(&json!({ "settings": settings(auth.clone()) }))
            .go()
            .await;
        refused(r, field).await;
        let r = gw
            .admin(Method::POST, "/v1/admin/tenants")
            .json(&json!({ "slug": super::harness::slug(), "name": "Bounds", "settings": settings(auth.clone()) }))
            .go()
            .await;
        refused(r, field).await;
    }
    // Nothing was stored; the settings still read, and the maxima are accepted.
    let got = ok(
        gw.in_tenant(&slug, Method::GET, "/v1/tenant/settings")
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(got, json!({}));
    let most = settings(json!({ "guest_ttl_secs": 86_400, "trusted_device_days": 365 }));
    let put = ok(
        gw.in_tenant(&slug, Method::PUT, "/v1/tenant/settings")
            .json(&most)
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(put["extensions"]["auth"]["guest_ttl_secs"], 86_400);
    gw.stop().await;
}

async fn oauth_client_lifetimes_are_bounded(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let (slug, boss) = tenant_with_admin(&gw).await;
    let client = |extra: Value| {
        let mut c = json!({ "name": "Machine", "client_type": "confidential",
                            "grant_types": ["client_credentials"] });
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    for (extra, field) in [
        (
            json!({ "access_token_ttl_secs": HUGE }),
            "access_token_ttl_secs",
        ),
        (
            json!({ "access_token_ttl_secs": 86_401 }),
            "access_token_ttl_secs",
        ),
        (
            json!({ "refresh_token_ttl_secs": HUGE }),
            "refresh_token_ttl_secs",
        ),
        (
            json!({ "refresh_token_ttl_secs": 7_776_001 }),
            "refresh_token_ttl_secs",
        ),
    ] {
        let r = bearer(&gw, &slug, &boss, Method::POST, "/v1/oauth/clients")
            .json(&client(extra))
            .go()
            .await;
        refused(r, field).await;
    }
    let created = ok(
        bearer(&gw, &slug, &boss, Method::POST, "/v1/oauth/clients")
            .json(&client(json!({ "access_token_ttl_secs": 86_400 })))
            .go()
            .await,
        201,
    )
    .await;
    let path = format!("/v1/oauth/clients/{}", created["id"].as_str().unwrap());
    let r = bearer(&gw, &slug, &boss, Method::PUT, &path)
        .json(&client(json!({ "access_token_ttl_secs": HUGE })))
        .go()
        .await;
    refused(r, "access_token_ttl_secs").await;
    let listed = ok(
        bearer(&gw, &slug, &boss, Method::GET, "/v1/oauth/clients")
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(listed[0]["access_token_ttl_secs"], 86_400, "{listed}");
    gw.stop().await;
}

async fn mailbox_times_to_live_are_bounded(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = gw.tenant(json!({})).await;
    let id = gw.tenant_id(&slug).await;
    for ttl in [json!(HUGE), json!(0), json!(30 * 24 * 3600 + 1)] {
        let r = gw
            .as_named(&id, &slug, "alice", Method::POST, "/v1/messages")
            .json(&json!({ "sender_device_id": "phone", "ttl_seconds": ttl,
                           "messages": [{ "user_id": "bob", "device_id": "phone", "ciphertext": "AAAA" }] }))
            .go()
            .await;
        refused(r, "ttl_seconds").await;
    }
    let inbox = ok(
        gw.as_named(
            &id,
            &slug,
            "alice",
            Method::GET,
            "/v1/messages?device_id=phone",
        )
        .go()
        .await,
        200,
    )
    .await;
    assert_eq!(inbox["items"], json!([]));
    gw.stop().await;
}

async fn move_timeouts_are_bounded(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = gw.tenant(json!({})).await;
    let id = gw.tenant_id(&slug).await;
    let games = |m: Method, p: &str| gw.as_named(&id, &slug, "ana", m, p);
    for timeout in [json!(HUGE), json!(0), json!(86_401)] {
        let r = games(Method::POST, "/v1/games")
            .json(&json!({ "ruleset": "ksp", "opponent": "player", "move_timeout_secs": timeout }))
            .go()
            .await;
        let body = ok(r, 400).await;
        assert_eq!(
            (body["field"].as_str(), body["code"].as_str()),
            (Some("move_timeout_secs"), Some("invalid_move_timeout")),
            "{body}"
        );
    }
    let started = ok(
        games(Method::POST, "/v1/games")
            .json(&json!({ "ruleset": "ksp", "opponent": "player", "move_timeout_secs": 86_400 }))
            .go()
            .await,
        201,
    )
    .await;
    let path = format!("/v1/games/{}", started["game"]["id"].as_str().unwrap());
    ok(games(Method::GET, &path).go().await, 200).await;
    gw.stop().await;
}

async fn privacy_durations_and_dates_are_bounded(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let (slug, boss) = tenant_with_admin(&gw).await;
    let admin = |m: Method, p: &str| gw.in_tenant(&slug, m, p);
    let call = |m: Method, p: &str| bearer(&gw, &slug, &boss, m, p);

    // Retention: 1 to 36500 days.
    for days in [json!(HUGE), json!(u32::MAX), json!(36_501), json!(0)] {
        let r = admin(Method::POST, "/v1/privacy/retention-policies")
            .json(&json!({ "category": "game_history", "max_age_days": days, "action": "delete" }))
            .go()
            .await;
        refused(r, "max_age_days").await;
    }
    ok(
        admin(Method::POST, "/v1/privacy/retention-policies")
            .json(
                &json!({ "category": "game_history", "max_age_days": 36_500, "action": "delete" }),
            )
            .go()
            .await,
        200,
    )
    .await;
    ok(
        admin(Method::GET, "/v1/privacy/retention-policies")
            .go()
            .await,
        200,
    )
    .await;

    // Consent: 1 to 3650 days.
    ok(
        admin(Method::POST, "/v1/privacy/purposes")
            .json(&json!({ "id": "newsletter", "description": "a monthly newsletter",
                "legal_basis": "consent", "categories": ["account"], "retention": "until withdrawn" }))
            .go()
            .await,
        200,
    )
    .await;
    for days in [json!(HUGE), json!(u32::MAX), json!(3_651), json!(0)] {
        let r = call(Method::POST, "/v1/privacy/consents")
            .json(&json!({ "purpose": "newsletter", "notice_version": "v1", "valid_days": days }))
            .go()
            .await;
        refused(r, "valid_days").await;
    }
    ok(
        call(Method::POST, "/v1/privacy/consents")
            .json(&json!({ "purpose": "newsletter", "notice_version": "v1", "valid_days": 3_650 }))
            .go()
            .await,
        201,
    )
    .await;
    ok(call(Method::GET, "/v1/privacy/consents").go().await, 200).await;

    // A data-subject request's extension: 1 or 2 months.
    let request = ok(
        call(Method::POST, "/v1/privacy/requests")
            .json(&json!({ "kind": "access" }))
            .go()
            .await,
        201,
    )
    .await;
    let id = request["id"].as_str().unwrap();
    for months in [json!(HUGE), json!(u32::MAX), json!(3), json!(0)] {
        let r = admin(Method::POST, &format!("/v1/privacy/requests/{id}/extend"))
            .json(&json!({ "months": months, "reason": "complex" }))
            .go()
            .await;
        refused(r, "months").await;
    }
    let extended = ok(
        admin(Method::POST, &format!("/v1/privacy/requests/{id}/extend"))
            .json(&json!({ "months": 2, "reason": "complex" }))
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(extended["state"], "extended");
    ok(
        admin(Method::GET, &format!("/v1/privacy/requests/{id}"))
            .go()
            .await,
        200,
    )
    .await;

    // Breaches: dates are RFC 3339 within year 9999, detection not in the future.
    for detected_at in [
        "10000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
        "18446744073709551615",
    ] {
        let r = admin(Method::POST, "/v1/privacy/breaches")
            .json(&json!({ "detected_at": detected_at, "nature": "misdirected email" }))
            .go()
            .await;
        refused(r, "detected_at").await;
    }
    let r = admin(Method::POST, "/v1/privacy/breaches")
        .json(&json!({ "detected_at": HUGE, "nature": "misdirected email" }))
        .go()
        .await;
    refused(r, "detected_at").await;
    let breach = ok(
        admin(Method::POST, "/v1/privacy/breaches")
            .json(&json!({ "detected_at": "2026-01-10T08:00:00Z", "nature": "misdirected email" }))
            .go()
            .await,
        201,
    )
    .await;
    let path = format!("/v1/privacy/breaches/{}", breach["id"].as_str().unwrap());
    for field in ["authority_notified_at", "subjects_notified_at"] {
        for at in [json!("10000-01-01T00:00:00Z"), json!(LAST)] {
            let r = admin(Method::PATCH, &path)
                .json(&json!({ field: at, "delay_reason": "found late" }))
                .go()
                .await;
            refused(r, field).await;
        }
    }
    let listed = ok(admin(Method::GET, "/v1/privacy/breaches").go().await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    gw.stop().await;
}
