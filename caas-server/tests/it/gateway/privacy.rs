//! GDPR over HTTP, end to end: a registered user with a profile, a
//! session, an API key, an E2E device with prekeys, consent and audit
//! entries asks for an export (every crate's data in one document), then
//! for erasure — afterwards no store returns anything about them, their
//! token is dead, their old audit entries read as erased, the audit tree
//! still verifies (consistency from before to after, signed checkpoints)
//! and the deletion log holds no personal data. Plus who may do what.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_core::Timestamp;
use caas_crypto::e2e::{Device, IdentityKeyPair};
use caas_privacy::audit::checkpoint::verify_signed;
use caas_privacy::audit::merkle::verify_consistency;
use reqwest::Method;
use serde_json::{Value, json};

use super::e2e::publish_body;
use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";

fn call(
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

async fn login(gw: &Gateway, slug: &str, who: &str) -> reqwest::Response {
    gw.anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", slug)
        .json(&json!({ "login": who, "password": PASSWORD }))
        .go()
        .await
}

async fn token(gw: &Gateway, slug: &str, who: &str) -> String {
    let r = login(gw, slug, who).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ok(r: reqwest::Response, status: u16) -> Value {
    let got = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Verifies, as a third party would, that the tree of `after` extends the
/// tree of `before` (both signed checkpoints from the API).
async fn check_consistency(gw: &Gateway, slug: &str, boss: &str, before: &Value, after: &Value) {
    let key = after["verifier_key"].as_str().unwrap();
    assert_eq!(before["verifier_key"], after["verifier_key"]);
    let old = verify_signed(before["note"].as_str().unwrap(), key).unwrap();
    let new = verify_signed(after["note"].as_str().unwrap(), key).unwrap();
    let proof = ok(
        call(
            gw,
            slug,
            boss,
            Method::GET,
            &format!(
                "/v1/audit/proofs/consistency?from={}&to={}",
                old.size, new.size
            ),
        )
        .go()
        .await,
        200,
    )
    .await;
    let hashes: Vec<Vec<u8>> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect();
    verify_consistency(old.size, new.size, &hashes, &old.root, &new.root).unwrap();
}

/// The administrator verifies request `id` and carries it out; the
/// completed request.
async fn verify_and_approve(gw: &Gateway, slug: &str, boss: &str, id: &str) -> Value {
    let path = format!("/v1/privacy/requests/{id}/verify");
    let body = json!({});
    ok(
        call(gw, slug, boss, Method::POST, &path)
            .json(&body)
            .go()
            .await,
        200,
    )
    .await;
    let path = format!("/v1/privacy/requests/{id}/approve");
    ok(call(gw, slug, boss, Method::POST, &path).go().await, 200).await
}

async fn export_and_erasure_reach_every_crate(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug, "name": "GDPR",
            "settings": { "extensions": { "auth": { "allow_registration": true } } },
            "admin": { "email": "boss@example.com", "password": PASSWORD } }))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let boss = token(&gw, &slug, "boss@example.com").await;
    for who in ["ana@example.com", "bob@example.com"] {
        let r = gw
            .anon(Method::POST, "/v1/auth/register")
            .header("x-tenant-id", &slug)
            .json(&json!({ "email": who, "password": PASSWORD, "display_name": "Ana Lopez" }))
            .go()
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let ana = token(&gw, &slug, "ana@example.com").await;
    let bob = token(&gw, &slug, "bob@example.com").await;
    let me = ok(
        call(&gw, &slug, &ana, Method::GET, "/v1/auth/me")
            .go()
            .await,
        200,
    )
    .await;
    let ana_id = me["subject"].as_str().unwrap().to_owned();

    // Ana's data in every crate: an API key, an E2E device, an
    // authorization entity, consent (and the audit entries it makes).
    ok(
        call(&gw, &slug, &ana, Method::POST, "/v1/auth/api-keys")
            .json(&json!({ "name": "laptop script", "scopes": ["read"] }))
            .go()
            .await,
        201,
    )
    .await;
    let mut device = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    ok(
        call(&gw, &slug, &ana, Method::PUT, "/v1/keys/devices/phone")
            .json(&publish_body(&mut device, 5))
            .go()
            .await,
        201,
    )
    .await;
    ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::PUT,
            &format!("/v1/authz/entities/User/{ana_id}"),
        )
        .json(&json!({ "attrs": { "department": "sales" } }))
        .go()
        .await,
        200,
    )
    .await;
    let purpose = json!({ "id": "newsletter", "description": "a monthly newsletter",
        "legal_basis": "consent", "categories": ["account"], "retention": "until withdrawn" });
    // Only administrators register purposes; anyone reads them.
    let r = call(&gw, &slug, &ana, Method::POST, "/v1/privacy/purposes")
        .json(&purpose)
        .go()
        .await;
    assert_eq!(r.status(), 403);
    ok(
        call(&gw, &slug, &boss, Method::POST, "/v1/privacy/purposes")
            .json(&purpose)
            .go()
            .await,
        200,
    )
    .await;
    let purposes = ok(
        call(&gw, &slug, &ana, Method::GET, "/v1/privacy/purposes")
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(purposes[0]["id"], "newsletter");
    let consent = ok(
        call(&gw, &slug, &ana, Method::POST, "/v1/privacy/consents")
            .json(&json!({ "purpose": "newsletter", "notice_version": "v3", "language": "sl" }))
            .go()
            .await,
        201,
    )
    .await;
    assert_eq!(
        (consent["state"].as_str(), consent["language"].as_str()),
        (Some("given"), Some("sl"))
    );
    let r = call(
        &gw,
        &slug,
        &ana,
        Method::POST,
        "/v1/privacy/consents/nothing/withdraw",
    )
    .go()
    .await;
    assert_eq!(r.status(), 404);
    // Bob cannot act for Ana; an administrator can read her consents.
    let r = call(
        &gw,
        &slug,
        &bob,
        Method::GET,
        &format!("/v1/privacy/consents?subject={ana_id}"),
    )
    .go()
    .await;
    assert_eq!(r.status(), 403);
    let hers = ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::GET,
            &format!("/v1/privacy/consents?subject={ana_id}"),
        )
        .go()
        .await,
        200,
    )
    .await;
    assert_eq!(hers.as_array().unwrap().len(), 1);

    // Export: filed by Ana, verified and approved by the administrator.
    let request = ok(
        call(&gw, &slug, &ana, Method::POST, "/v1/privacy/requests")
            .json(&json!({ "kind": "access" }))
            .go()
            .await,
        201,
    )
    .await;
    let id = request["id"].as_str().unwrap().to_owned();
    assert_eq!(request["state"], "received");
    let r = call(
        &gw,
        &slug,
        &ana,
        Method::POST,
        &format!("/v1/privacy/requests/{id}/approve"),
    )
    .go()
    .await;
    assert_eq!(
        r.status(),
        403,
        "subjects do not approve their own requests"
    );
    let r = call(
        &gw,
        &slug,
        &bob,
        Method::GET,
        &format!("/v1/privacy/requests/{id}"),
    )
    .go()
    .await;
    assert_eq!(r.status(), 404, "another user's request is not found");
    let r = call(
        &gw,
        &slug,
        &boss,
        Method::POST,
        &format!("/v1/privacy/requests/{id}/approve"),
    )
    .go()
    .await;
    assert_eq!(ok(r, 409).await["code"], "invalid_state");
    ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::POST,
            &format!("/v1/privacy/requests/{id}/verify"),
        )
        .json(&json!({ "note": "email confirmed" }))
        .go()
        .await,
        200,
    )
    .await;
    let done = ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::POST,
            &format!("/v1/privacy/requests/{id}/approve"),
        )
        .go()
        .await,
        200,
    )
    .await;
    assert_eq!(done["state"], "completed");
    let doc = ok(
        call(
            &gw,
            &slug,
            &ana,
            Method::GET,
            &format!("/v1/privacy/requests/{id}/export"),
        )
        .go()
        .await,
        200,
    )
    .await;
    let data = &doc["data"];
    let sources: Vec<&str> = doc["manifest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "caas-privacy.records",
            "caas-auth.accounts",
            "caas-crypto.e2e",
            "caas-authz.entities",
            "caas-game.history",
            "caas-privacy.audit"
        ]
    );
    assert_eq!(
        data["caas-auth.accounts"]["account"]["email"],
        "ana@example.com"
    );
    assert!(
        data["caas-auth.accounts"]["account"]
            .get("password_hash")
            .is_none()
    );
    assert_eq!(
        data["caas-auth.accounts"]["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        data["caas-auth.accounts"]["api_keys"][0]["name"],
        "laptop script"
    );
    assert!(!doc.to_string().contains("secret_hash"));
    let devices = &data["caas-crypto.e2e"]["e2e_devices"];
    assert_eq!(
        (
            devices[0]["device_id"].as_str(),
            devices[0]["one_time_prekeys"].as_i64()
        ),
        (Some("phone"), Some(5))
    );
    assert_eq!(
        devices[0]["identity_key"].as_str().unwrap(),
        B64.encode(device.identity().public().to_bytes())
    );
    assert_eq!(
        data["caas-authz.entities"]["authz_entity"]["attrs"]["department"],
        "sales"
    );
    assert_eq!(
        data["caas-privacy.records"]["consent"]["records"][0]["purpose"],
        "newsletter"
    );
    assert!(
        data["caas-game.history"]["game_history"]["items"].is_array()
            || data["caas-game.history"]["game_history"].is_array()
    );
    let events = data["caas-privacy.audit"]["security_events"]
        .as_array()
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "privacy.consent_given" && e["actor"] == ana_id)
    );
    for action in ["auth.login", "auth.api_key_created"] {
        assert!(
            events
                .iter()
                .any(|e| e["action"] == action && e["actor"] == ana_id),
            "{action} is not in her audit entries: {events:?}"
        );
    }

    // Erasure.
    let before = ok(
        call(&gw, &slug, &boss, Method::GET, "/v1/audit/checkpoint")
            .go()
            .await,
        200,
    )
    .await;
    let erase = ok(
        call(&gw, &slug, &ana, Method::POST, "/v1/privacy/requests")
            .json(&json!({ "kind": "erasure" }))
            .go()
            .await,
        201,
    )
    .await;
    let eid = erase["id"].as_str().unwrap().to_owned();
    let done = verify_and_approve(&gw, &slug, &boss, &eid).await;
    let report = &done["result"]["erasure"];
    assert_eq!(report["keys_shredded"], true);
    assert!(done["subject"].is_null());

    // Ana's token is dead and she cannot log in; nothing is left about her.
    assert_eq!(
        call(&gw, &slug, &ana, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status(),
        401
    );
    assert_eq!(login(&gw, &slug, "ana@example.com").await.status(), 401);
    let again = ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::POST,
            &format!("/v1/privacy/requests?subject={ana_id}"),
        )
        .json(&json!({ "kind": "access" }))
        .go()
        .await,
        201,
    )
    .await;
    let aid = again["id"].as_str().unwrap().to_owned();
    verify_and_approve(&gw, &slug, &boss, &aid).await;
    let after_doc = ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::GET,
            &format!("/v1/privacy/requests/{aid}/export"),
        )
        .go()
        .await,
        200,
    )
    .await;
    let d = &after_doc["data"];
    assert!(d["caas-auth.accounts"]["account"].is_null(), "{d}");
    for (source, category) in [
        ("caas-auth.accounts", "sessions"),
        ("caas-auth.accounts", "api_keys"),
        ("caas-auth.accounts", "federated_links"),
        ("caas-auth.accounts", "oauth_consents"),
        ("caas-crypto.e2e", "e2e_devices"),
        ("caas-authz.entities", "access_entries"),
        ("caas-privacy.audit", "security_events"),
    ] {
        assert_eq!(d[source][category], json!([]), "{source}/{category}: {d}");
    }
    assert!(d["caas-authz.entities"]["authz_entity"].is_null());
    assert_eq!(d["caas-crypto.e2e"]["e2e_messages"]["inbox"], json!([]));
    assert_eq!(d["caas-privacy.records"]["consent"]["records"], json!([]));
    assert_eq!(d["caas-privacy.records"]["consent"]["history"], json!([]));
    let requests = d["caas-privacy.records"]["privacy_requests"]
        .as_array()
        .unwrap();
    assert_eq!(requests.len(), 1, "only the request just filed names her");
    assert_eq!(d["caas-auth.accounts"]["mfa"]["totp"], false);
    // Her first export went with her key.
    assert_eq!(
        call(
            &gw,
            &slug,
            &boss,
            Method::GET,
            &format!("/v1/privacy/requests/{id}/export")
        )
        .go()
        .await
        .status(),
        404
    );

    // The audit log: her old entries read as erased, the tree still verifies
    // and extends what was signed before.
    let entries = ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::GET,
            "/v1/audit/entries?limit=1000",
        )
        .go()
        .await,
        200,
    )
    .await;
    let entries = entries.as_array().unwrap();
    let erased: Vec<&Value> = entries.iter().filter(|e| e["erased"] == true).collect();
    assert!(!erased.is_empty());
    assert!(
        erased
            .iter()
            .all(|e| e["actor"].is_null() && e["details"].is_null())
    );
    assert!(!serde_json::to_string(entries).unwrap().contains(&ana_id));
    let after = ok(
        call(&gw, &slug, &boss, Method::GET, "/v1/audit/checkpoint")
            .go()
            .await,
        200,
    )
    .await;
    check_consistency(&gw, &slug, &boss, &before, &after).await;
    let size = after["checkpoint"]["size"].as_u64().unwrap();
    let proof = ok(
        call(
            &gw,
            &slug,
            &boss,
            Method::GET,
            &format!("/v1/audit/proofs/inclusion?index=0&size={size}"),
        )
        .go()
        .await,
        200,
    )
    .await;
    assert_eq!(proof["size"].as_u64(), Some(size));
    let r = call(
        &gw,
        &slug,
        &boss,
        Method::GET,
        &format!("/v1/audit/proofs/inclusion?index={size}&size={size}"),
    )
    .go()
    .await;
    assert_eq!(ok(r, 400).await["field"], "index");
    // The deletion log says what was erased, never whom.
    let log = ok(
        call(&gw, &slug, &boss, Method::GET, "/v1/privacy/deletion-log")
            .go()
            .await,
        200,
    )
    .await;
    let text = log.to_string();
    assert_eq!(log[0]["request_id"], eid.as_str());
    assert!(
        !text.contains(&ana_id) && !text.contains("ana@example.com") && !text.contains("Ana"),
        "{text}"
    );
    // Ordinary users do not read the audit log.
    assert_eq!(
        call(&gw, &slug, &bob, Method::GET, "/v1/audit/checkpoint")
            .go()
            .await
            .status(),
        403
    );
    gw.stop().await;
}

async fn holds_breaches_and_processing_over_http(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = gw.tenant(json!({})).await;
    let admin = |m: Method, p: &str| gw.in_tenant(&slug, m, p);
    let hold = ok(
        admin(Method::POST, "/v1/privacy/legal-holds")
            .json(&json!({ "scope": "category", "category": "game_history", "reason": "dispute", "case_reference": "C-1" }))
            .go()
            .await,
        201,
    )
    .await;
    let hid = hold["id"].as_str().unwrap();
    let r = admin(Method::POST, "/v1/privacy/legal-holds")
        .json(&json!({ "scope": "planet", "reason": "x", "case_reference": "y" }))
        .go()
        .await;
    assert_eq!(r.status(), 400);
    ok(
        admin(
            Method::POST,
            &format!("/v1/privacy/legal-holds/{hid}/release"),
        )
        .json(&json!({ "reason": "settled" }))
        .go()
        .await,
        200,
    )
    .await;
    assert_eq!(
        admin(
            Method::POST,
            &format!("/v1/privacy/legal-holds/{hid}/release")
        )
        .json(&json!({ "reason": "again" }))
        .go()
        .await
        .status(),
        409
    );
    let holds = ok(
        admin(Method::GET, "/v1/privacy/legal-holds").go().await,
        200,
    )
    .await;
    assert_eq!(holds[0]["released"]["reason"], "settled");

    ok(
        admin(Method::POST, "/v1/privacy/retention-policies")
            .json(
                &json!({ "category": "game_history", "max_age_days": 365, "action": "anonymize" }),
            )
            .go()
            .await,
        200,
    )
    .await;
    let r = admin(Method::POST, "/v1/privacy/retention-policies")
        .json(&json!({ "category": "game_history", "max_age_days": 0, "action": "delete" }))
        .go()
        .await;
    assert_eq!(ok(r, 400).await["field"], "max_age_days");
    let policies = ok(
        admin(Method::GET, "/v1/privacy/retention-policies")
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(
        policies,
        json!([{ "category": "game_history", "max_age_days": 365, "action": "anonymize" }])
    );

    let breach = ok(
        admin(Method::POST, "/v1/privacy/breaches")
            .json(&json!({ "detected_at": "2026-01-10T08:00:00Z", "nature": "misdirected email", "categories": ["account"], "approx_subjects": 3, "approx_records": 3 }))
            .go()
            .await,
        201,
    )
    .await;
    assert_eq!(breach["authority_deadline"], "2026-01-13T08:00:00.000Z");
    let bid = breach["id"].as_str().unwrap();
    let r = admin(Method::PATCH, &format!("/v1/privacy/breaches/{bid}"))
        .json(&json!({ "authority_notified_at": "2026-01-20T08:00:00Z" }))
        .go()
        .await;
    assert_eq!(ok(r, 400).await["field"], "delay_reason");
    let b = ok(
        admin(Method::PATCH, &format!("/v1/privacy/breaches/{bid}"))
            .json(&json!({ "authority_notified_at": "2026-01-20T08:00:00Z", "delay_reason": "found late" }))
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(b["delay_reason"], "found late");

    let ropa = ok(
        admin(Method::GET, "/v1/privacy/processing-activities")
            .go()
            .await,
        200,
    )
    .await;
    let names: Vec<&str> = ropa["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    let records = json!({ "controller": { "name": "Example", "contact": "dpo@example.com" },
        "activities": [{ "name": "Games", "purposes": ["play"], "subject_categories": ["players"],
            "data_categories": ["game_history"], "retention": "1 year", "security_measures": "RLS, encryption" }] });
    let saved = ok(
        admin(Method::PUT, "/v1/privacy/processing-activities")
            .json(&records)
            .go()
            .await,
        200,
    )
    .await;
    assert_eq!(
        saved["records"],
        records
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o["controller"]["joint_controller"] = Value::Null;
                o["controller"]["representative"] = Value::Null;
                o["controller"]["dpo"] = Value::Null;
                o["activities"][0]["recipients"] = json!([]);
                o["activities"][0]["transfers"] = json!([]);
                Value::Object(o)
            })
            .unwrap()
    );
    gw.stop().await;
}

/// A legal hold names its scope: unknown (misspelled) fields are refused
/// and create nothing, a hold that names nothing is not tenant-wide, and a
/// tenant-wide hold says so with `"tenant_wide": true`.
async fn legal_holds_must_name_their_scope(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = gw.tenant(json!({})).await;
    let admin = |m: Method, p: &str| gw.in_tenant(&slug, m, p);
    let place = |body: Value| {
        admin(Method::POST, "/v1/privacy/legal-holds")
            .json(&body)
            .go()
    };
    let held = || async {
        ok(
            admin(Method::GET, "/v1/privacy/legal-holds").go().await,
            200,
        )
        .await
    };
    // A misspelled subject, with or without `scope`: 400, nothing held.
    for body in [
        json!({ "subjct": "ana", "reason": "dispute", "case_reference": "C-1" }),
        json!({ "scope": "tenant", "subjct": "ana", "reason": "dispute", "case_reference": "C-1" }),
        json!({ "subject": "ana", "reason": "dispute", "case_reference": "C-1", "ends": "2099-01-01T00:00:00Z" }),
    ] {
        let e = ok(place(body.clone()).await, 400).await;
        assert!(
            e["detail"].as_str().unwrap().contains("unknown field"),
            "{body}: {e}"
        );
        assert_eq!(held().await, json!([]), "{body}");
    }
    // Naming no scope at all names the field to set.
    let e = ok(
        place(json!({ "reason": "dispute", "case_reference": "C-1" })).await,
        400,
    )
    .await;
    assert_eq!(e["field"], "subject", "{e}");
    let e = ok(
        place(json!({ "scope": "tenant", "reason": "dispute", "case_reference": "C-1" })).await,
        400,
    )
    .await;
    assert_eq!(e["field"], "tenant_wide", "{e}");
    let e = ok(
        place(json!({ "subject": "ana", "tenant_wide": true, "reason": "dispute", "case_reference": "C-1" })).await,
        400,
    )
    .await;
    assert_eq!(e["field"], "tenant_wide", "{e}");
    // Dates: the end after now, years at most 9999.
    let e = ok(
        place(
            json!({ "subject": "ana", "reason": "dispute", "case_reference": "C-1",
                      "starts_at": "2000-01-01T00:00:00Z", "ends_at": "2001-01-01T00:00:00Z" }),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(e["field"], "ends_at", "{e}");
    let e = ok(
        place(
            json!({ "subject": "ana", "reason": "dispute", "case_reference": "C-1",
                      "ends_at": "10000-01-01T00:00:00Z" }),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(e["field"], "ends_at", "{e}");
    assert_eq!(held().await, json!([]));
    // Explicitly tenant-wide, and a subject hold without `scope`.
    let h = ok(
        place(json!({ "tenant_wide": true, "reason": "litigation", "case_reference": "C-2" }))
            .await,
        201,
    )
    .await;
    assert_eq!(h["scope"], "tenant");
    let h = ok(
        place(
            json!({ "subject": "ana", "reason": "dispute", "case_reference": "C-3",
                      "ends_at": "2999-01-01T00:00:00Z" }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (&h["scope"], &h["subject"]),
        (&json!("subject"), &json!("ana"))
    );
    assert_eq!(held().await.as_array().unwrap().len(), 2);
    // The documented body says so.
    let doc = ok(gw.anon(Method::GET, "/openapi.json").go().await, 200).await;
    let schema = &doc["components"]["schemas"]["PlaceHoldBody"];
    assert!(schema["properties"]["tenant_wide"].is_object(), "{schema}");
    assert_eq!(schema["additionalProperties"], false, "{schema}");
    gw.stop().await;
}

on_both_stacks!(
    export_and_erasure_reach_every_crate,
    holds_breaches_and_processing_over_http,
    legal_holds_must_name_their_scope
);
