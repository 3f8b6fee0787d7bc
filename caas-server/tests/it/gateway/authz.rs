//! The tenant's Cedar policies over HTTP: strict validation with Cedar's
//! diagnostics in the problem's `errors`, versions, conflicts, rollback,
//! administrators only.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";
const SCHEMA: &str =
    "entity User; entity Doc; action read appliesTo { principal: User, resource: Doc };";

async fn policies_are_versioned_and_validated(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug, "name": "Authz",
                       "admin": { "email": "boss@example.com", "password": PASSWORD } }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let login: Value = gw
        .anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", &slug)
        .json(&json!({ "login": "boss@example.com", "password": PASSWORD }))
        .go()
        .await
        .json()
        .await
        .unwrap();
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let call = |method: Method, path: &str| {
        gw.anon(method, path)
            .header("x-tenant-id", &slug)
            .bearer_auth(&admin)
    };
    let r = call(Method::GET, "/v1/authz/policies").go().await;
    assert_eq!(r.status(), 404);
    // Against the schema, in strict mode: an unknown action, with its place.
    let r = call(Method::PUT, "/v1/authz/policies")
        .json(&json!({ "schema": SCHEMA,
                       "policies": "permit(principal,\n action == Action::\"raed\", resource);" }))
        .go()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "policy_validation_failed");
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    let good = "permit(principal, action == Action::\"read\", resource);";
    let r = call(Method::PUT, "/v1/authz/policies")
        .json(&json!({ "schema": SCHEMA, "policies": good, "note": "first" }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let v1: Value = r.json().await.unwrap();
    assert_eq!(
        (v1["version"].clone(), v1["policy_count"].clone()),
        (json!(1), json!(1))
    );
    // A writer that did not see version 1.
    let r = call(Method::PUT, "/v1/authz/policies")
        .json(&json!({ "schema": SCHEMA, "policies": good }))
        .go()
        .await;
    assert_eq!(r.status(), 409);
    let r = call(Method::PUT, "/v1/authz/policies")
        .json(&json!({ "schema": SCHEMA, "policies": "", "replaces": 1 }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let r = call(Method::POST, "/v1/authz/policies/rollback")
        .json(&json!({ "to": 1 }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let current: Value = call(Method::GET, "/v1/authz/policies")
        .go()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (current["version"].clone(), current["policies"].clone()),
        (json!(3), json!(good))
    );
    let versions: Value = call(Method::GET, "/v1/authz/policies/versions?limit=2")
        .go()
        .await
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2]);
    // Only administrators.
    let tenant_id = gw.tenant_id(&slug).await;
    let r = gw
        .as_user(&tenant_id, &slug, Method::GET, "/v1/authz/policies")
        .go()
        .await;
    assert_eq!(r.status(), 403);
    gw.stop().await;
}

on_both_stacks!(policies_are_versioned_and_validated);
