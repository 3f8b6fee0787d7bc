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

/// The route checks end to end: 401 `missing_token` / `invalid_token`, 403
/// `insufficient_role`, `insufficient_scope_or_role`, `base_role_missing`,
/// `resource_access_denied`; roles assigned over HTTP; an access entry on a
/// folder opening its documents; a cross-tenant grant that works, gives
/// nothing else and is revoked; a change on one instance seen by another.
async fn route_checks_roles_access_and_grants(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let a = gw.tenant(json!({})).await;
    let b = gw.tenant(json!({})).await;
    let (a_id, b_id) = (gw.tenant_id(&a).await, gw.tenant_id(&b).await);
    let admin = |m: Method, p: &str| gw.in_tenant(&a, m, p);
    let ann = |m: Method, p: &str| gw.as_named(&a_id, &a, "ann", m, p);
    let code = |v: Value| v["code"].as_str().unwrap_or_default().to_owned();

    let r = gw
        .anon(Method::GET, "/v1/authz/roles")
        .header("x-tenant-id", &a)
        .go()
        .await;
    assert_eq!(
        (r.status().as_u16(), code(r.json().await.unwrap())),
        (401, "missing_token".into())
    );
    let r = gw
        .anon(Method::GET, "/v1/authz/roles")
        .header("x-tenant-id", &a)
        .bearer_auth("not-a-token")
        .go()
        .await;
    assert_eq!(
        (r.status().as_u16(), code(r.json().await.unwrap())),
        (401, "invalid_token".into())
    );
    let r = ann(Method::GET, "/v1/users").go().await;
    assert_eq!(
        (r.status().as_u16(), code(r.json().await.unwrap())),
        (403, "insufficient_role".into())
    );
    let check = json!({ "principal": { "type": "User", "id": "ann" }, "action": "read",
                        "resource": { "type": "Doc", "id": "d1" } });
    let r = ann(Method::POST, "/v1/authz/check").json(&check).go().await;
    assert_eq!(
        (r.status().as_u16(), code(r.json().await.unwrap())),
        (403, "insufficient_scope_or_role".into())
    );
    let r = ann(Method::GET, "/v1/authz/resources/Doc/d1/acl")
        .go()
        .await;
    assert_eq!(
        (r.status().as_u16(), code(r.json().await.unwrap())),
        (403, "base_role_missing".into())
    );

    // Ann becomes a viewer of the tenant: she reads the ACL, may not share.
    let r = admin(Method::POST, "/v1/authz/roles/viewer/holders")
        .json(&json!({ "principal": { "type": "User", "id": "ann" } }))
        .go()
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        ann(Method::GET, "/v1/authz/resources/Doc/d1/acl")
            .go()
            .await
            .status(),
        200
    );
    let entry = json!({ "principal": { "type": "User", "id": "bob" }, "role": "viewer" });
    let r = ann(Method::POST, "/v1/authz/resources/Doc/d1/acl")
        .json(&entry)
        .go()
        .await;
    assert_eq!(
        (r.status().as_u16(), code(r.json().await.unwrap())),
        (403, "resource_access_denied".into())
    );
    // An admin entry on the folder lets her share the documents in it.
    let r = admin(Method::PUT, "/v1/authz/entities/Doc/d1")
        .json(&json!({ "parents": [{ "type": "Folder", "id": "team" }] }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let r = admin(Method::POST, "/v1/authz/resources/Folder/team/acl")
        .json(&json!({ "principal": { "type": "User", "id": "ann" }, "role": "admin" }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let r = ann(Method::POST, "/v1/authz/resources/Doc/d1/acl")
        .json(&entry)
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let d: Value = admin(Method::POST, "/v1/authz/check")
        .json(
            &json!({ "principal": { "type": "User", "id": "bob" }, "action": "read",
                       "resource": { "type": "Doc", "id": "d1" } }),
        )
        .value()
        .await;
    assert_eq!(
        (d["allow"].clone(), d["reasons"].clone()),
        (json!(true), json!(["caas.role.viewer"]))
    );
    let actions: Value = admin(Method::POST, "/v1/authz/actions")
        .json(&json!({ "principal": { "type": "User", "id": "ann" },
                       "resource": { "type": "Doc", "id": "d1" } }))
        .value()
        .await;
    assert_eq!(
        actions["actions"],
        json!([
            "create", "delete", "list", "manage", "read", "share", "update"
        ])
    );

    // A grant to tenant B's dan: read below the folder, nothing else.
    let r = admin(Method::POST, "/v1/authz/grants")
        .json(
            &json!({ "grantee_tenant": b, "subject": "dan", "role": "viewer",
                       "resource": { "type": "Folder", "id": "team" } }),
        )
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let grant: Value = r.json().await.unwrap();
    let dan = json!({ "type": "ForeignUser", "id": format!("{b_id}/dan") });
    let ask = |action: &str, ty: &str, id: &str| json!({ "principal": dan, "action": action, "resource": { "type": ty, "id": id } });
    let batch: Value = admin(Method::POST, "/v1/authz/check/batch")
        .json(
            &json!({ "requests": [ask("read", "Doc", "d1"), ask("update", "Doc", "d1"),
                                     ask("read", "Doc", "elsewhere")] }),
        )
        .value()
        .await;
    let allows: Vec<bool> = batch["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["allow"].as_bool().unwrap())
        .collect();
    assert_eq!(allows, [true, false, false]);
    // B sees nothing of it, and B's credentials cannot act in A.
    let listed: Value = gw
        .in_tenant(&b, Method::GET, "/v1/authz/grants")
        .value()
        .await;
    assert_eq!(listed, json!([]));
    let r = gw
        .as_named(
            &b_id,
            &a,
            "dan",
            Method::GET,
            "/v1/authz/resources/Doc/d1/acl",
        )
        .go()
        .await;
    assert_eq!(r.status(), 401);
    let r = admin(
        Method::DELETE,
        &format!("/v1/authz/grants/{}", grant["id"].as_str().unwrap()),
    )
    .go()
    .await;
    assert_eq!(r.status(), 204);
    let d: Value = admin(Method::POST, "/v1/authz/check")
        .json(&ask("read", "Doc", "d1"))
        .value()
        .await;
    assert_eq!(d["allow"], false);

    // Two instances: a role given on one opens the route on the other.
    if stack == Stack::Production {
        let other = gw.another().await;
        let carl = |g: &Gateway| g.as_named(&a_id, &a, "carl", Method::GET, "/v1/users");
        assert_eq!(carl(&other).go().await.status(), 403);
        let r = admin(Method::POST, "/v1/authz/roles/admin/holders")
            .json(&json!({ "principal": { "type": "User", "id": "carl" } }))
            .go()
            .await;
        assert_eq!(r.status(), 204);
        let mut status = 0;
        for _ in 0..100 {
            status = carl(&other).go().await.status().as_u16();
            if status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status, 200, "the other instance still refuses");
        other.stop().await;
    }
    gw.stop().await;
}

on_both_stacks!(
    policies_are_versioned_and_validated,
    route_checks_roles_access_and_grants
);
