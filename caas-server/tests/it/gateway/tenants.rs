//! The admin tenant API and the tenant-scoped API.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{ADMIN_KEY, Gateway, Go, Stack, on_both_stacks, slug};

async fn problem(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "status {status}"
    );
    (status, r.json().await.unwrap())
}

async fn admin_manages_the_tenant_lifecycle(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let s = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": s, "name": "Acme" }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        format!("/v1/admin/tenants/{s}").as_str()
    );
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        (created["slug"].as_str(), created["status"].as_str()),
        (Some(s.as_str()), Some("active"))
    );

    // The same slug again: conflict; a bad slug: the field is named.
    let again = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": s, "name": "B" }))
        .go()
        .await;
    assert_eq!(problem(again).await.0, 409);
    let bad = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": "No Good", "name": "B" }))
        .go()
        .await;
    let (status, body) = problem(bad).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("slug")));
    let plan = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug(), "name": "B", "settings": {"plan": "gold"} }))
        .go()
        .await;
    let (status, body) = problem(plan).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("settings.plan")),
        "{body}"
    );

    // Listing pages through every tenant.
    let other = gw.tenant(json!({})).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = "/v1/admin/tenants?limit=1".to_owned();
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let page: Value = gw.admin(Method::GET, &path).value().await;
        for t in page["items"].as_array().unwrap() {
            seen.push(t["slug"].as_str().unwrap().to_owned());
        }
        match page["next_after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => break,
        }
    }
    assert!(seen.contains(&s) && seen.contains(&other), "{seen:?}");
    let r = gw
        .admin(Method::GET, "/v1/admin/tenants?limit=5000")
        .go()
        .await;
    assert_eq!(problem(r).await.1["field"], "limit");

    // Rename and change settings.
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "name": "Acme Inc.", "settings": { "cors": { "allowed_origins": ["https://app.acme.test"] } } }))
        .go().await;
    assert_eq!(r.status(), 200);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["name"], "Acme Inc.");
    assert_eq!(
        patched["settings"]["cors"]["allowed_origins"][0],
        "https://app.acme.test"
    );

    // Suspend: the tenant's routes answer 403; resume: 200 again.
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "status": "suspended" }))
        .go()
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "suspended");
    let (status, body) = problem(gw.in_tenant(&s, Method::GET, "/v1/tenant").go().await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "status": "active" }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        gw.in_tenant(&s, Method::GET, "/v1/tenant")
            .go()
            .await
            .status(),
        200
    );
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "status": "deleted" }))
        .go()
        .await;
    assert_eq!(problem(r).await.1["field"], "status");

    // Delete: gone for its routes, still visible (and reserved) for the admin.
    let r = gw
        .admin(Method::DELETE, &format!("/v1/admin/tenants/{s}"))
        .go()
        .await;
    assert_eq!(r.status(), 204);
    let (status, _) = problem(gw.in_tenant(&s, Method::GET, "/v1/tenant").go().await).await;
    assert_eq!(status, 404);
    let got: Value = gw
        .admin(Method::GET, &format!("/v1/admin/tenants/{s}"))
        .value()
        .await;
    assert_eq!(got["status"], "deleted");
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "status": "active" }))
        .go()
        .await;
    assert_eq!(problem(r).await.0, 409);
    let r = gw
        .admin(Method::GET, "/v1/admin/tenants/no-such-tenant")
        .go()
        .await;
    assert_eq!(problem(r).await.0, 404);
    gw.stop().await;
}

async fn admin_routes_need_the_admin_key(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let r = gw.anon(Method::GET, "/v1/admin/tenants").go().await;
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"caas\"");
    let (status, body) = problem(r).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("missing_token"))
    );

    let wrong = format!("{ADMIN_KEY}x");
    for credential in [
        format!("Bearer {wrong}"),
        "Bearer caas_admin_nope".into(),
        "Basic dXNlcjpwdw==".into(),
        "Bearer ".into(),
    ] {
        let r = gw
            .anon(Method::GET, "/v1/admin/tenants")
            .header("authorization", credential.as_str())
            .go()
            .await;
        assert_eq!(
            r.headers()["www-authenticate"],
            "Bearer realm=\"caas\", error=\"invalid_token\""
        );
        let (status, body) = problem(r).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_token")),
            "{credential}"
        );
    }
    // Nothing was created by the refused calls.
    let r = gw
        .anon(Method::POST, "/v1/admin/tenants")
        .bearer_auth("caas_admin_nope")
        .json(&json!({ "slug": "sneaky", "name": "S" }))
        .go()
        .await;
    assert_eq!(r.status(), 401);
    let r = gw.admin(Method::GET, "/v1/admin/tenants/sneaky").go().await;
    assert_eq!(r.status(), 404);
    gw.stop().await;
}

async fn tenant_routes_act_in_the_named_tenant(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let s = gw.tenant(json!({})).await;

    // No tenant named, an unknown one, no credentials.
    let (status, body) = problem(gw.admin(Method::GET, "/v1/tenant").go().await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("tenant_required"))
    );
    let (status, _) = problem(
        gw.in_tenant("nobody-here", Method::GET, "/v1/tenant")
            .go()
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let r = gw
        .anon(Method::GET, "/v1/tenant")
        .header("x-tenant-id", &s)
        .go()
        .await;
    assert_eq!(problem(r).await.1["code"], "missing_token");

    // The X-Tenant-ID header names it.
    let t: Value = gw.in_tenant(&s, Method::GET, "/v1/tenant").value().await;
    assert_eq!(t["slug"], s.as_str());
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant")
        .json(&json!({ "name": "Renamed" }))
        .go()
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["name"], "Renamed");
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant")
        .json(&json!({ "name": "" }))
        .go()
        .await;
    assert_eq!(problem(r).await.1["field"], "name");

    // Settings: validated with the field named; the plan must be known.
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "cors": { "allowed_origins": ["https://App.example"] } }))
        .go()
        .await;
    assert_eq!(problem(r).await.1["field"], "settings.cors.allowed_origins");
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "colour": "red" }))
        .go()
        .await;
    assert_eq!(problem(r).await.0, 400);
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "plan": "nope" }))
        .go()
        .await;
    assert_eq!(problem(r).await.1["field"], "settings.plan");
    // A section no crate reads, or a misspelt key in one, is refused (PUT
    // replaces the whole document: a typo would silently turn features off).
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "plan": "default", "extensions": { "game": { "mode": "kspov" } } }))
        .go()
        .await;
    assert_eq!(problem(r).await.1["field"], "settings.extensions.game");
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "extensions": { "auth": { "allow_registrashun": true } } }))
        .go()
        .await;
    let (status, body) = problem(r).await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "settings.extensions.auth", "{body}");
    let r = gw
        .in_tenant(&s, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "plan": "default", "extensions": { "auth": { "allow_registration": true, "allow_guests": true } } }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    // PATCH merges (RFC 7396): `null` removes, the rest stays.
    let r = gw
        .in_tenant(&s, Method::PATCH, "/v1/tenant/settings")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"extensions": {"auth": {"allow_guests": null}}}"#)
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let settings: Value = gw
        .in_tenant(&s, Method::GET, "/v1/tenant/settings")
        .value()
        .await;
    assert_eq!(
        settings["extensions"]["auth"],
        json!({ "allow_registration": true })
    );
    assert_eq!(settings["plan"], "default");
    for (patch, field) in [
        (
            json!({ "extensions": { "auth": { "allow_registrashun": true } } }),
            "settings.extensions.auth",
        ),
        (json!({ "colour": "red" }), "settings"),
        (json!(["not", "an", "object"]), "settings"),
    ] {
        let r = gw
            .in_tenant(&s, Method::PATCH, "/v1/tenant/settings")
            .json(&patch)
            .go()
            .await;
        assert_eq!(problem(r).await.1["field"], field, "{patch}");
    }
    let after: Value = gw
        .in_tenant(&s, Method::GET, "/v1/tenant/settings")
        .value()
        .await;
    assert_eq!(after, settings, "a refused patch changes nothing");

    // Usage counts this tenant's requests.
    let usage: Value = gw
        .in_tenant(&s, Method::GET, "/v1/tenant/usage")
        .value()
        .await;
    assert!(usage["requests_today"].as_u64().unwrap() >= 10, "{usage}");
    assert_eq!(usage["requests_today"], usage["requests_this_month"]);
    assert_eq!(usage["plan"], "default");
    gw.stop().await;
}

async fn subdomains_name_tenants_and_sources_must_agree(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| {
        c.tenancy.base_domain = Some("caas.test".into());
        c.tenancy.order.push(caas_core::TenantSource::Subdomain);
    })
    .await
    else {
        return;
    };
    let a = gw.tenant(json!({})).await;
    let b = gw.tenant(json!({})).await;
    let host = format!("{a}.caas.test");
    let t: Value = gw
        .admin(Method::GET, "/v1/tenant")
        .header("host", &host)
        .value()
        .await;
    assert_eq!(t["slug"], a.as_str());
    // The header and the subdomain name different tenants: refused.
    let r = gw
        .in_tenant(&b, Method::GET, "/v1/tenant")
        .header("host", &host)
        .go()
        .await;
    assert_eq!(problem(r).await.0, 400);
    let r = gw
        .admin(Method::GET, "/v1/tenant")
        .header("host", "nobody.caas.test")
        .go()
        .await;
    assert_eq!(problem(r).await.0, 404);
    gw.stop().await;
}

async fn a_tenant_whose_provisioning_fails_stays_suspended_until_resumed(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    gw.provisioning_fails
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let s = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": s, "name": "Unlucky" }))
        .go()
        .await;
    let (status, body) = problem(r).await;
    assert_eq!(status, 503);
    assert_eq!(
        body["detail"], "Service unavailable",
        "internals stay in the log"
    );
    let t: Value = gw
        .admin(Method::GET, &format!("/v1/admin/tenants/{s}"))
        .value()
        .await;
    assert_eq!(t["status"], "suspended");
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "status": "active" }))
        .go()
        .await;
    assert_eq!(
        problem(r).await.0,
        503,
        "resuming provisions again, and still fails"
    );
    gw.provisioning_fails
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{s}"))
        .json(&json!({ "status": "active" }))
        .go()
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
    assert_eq!(
        gw.in_tenant(&s, Method::GET, "/v1/tenant")
            .go()
            .await
            .status(),
        200
    );
    gw.stop().await;
}

async fn creating_a_tenant_provisions_its_key(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let s = gw.tenant(json!({})).await;
    let id: caas_core::TenantId = gw.tenant_id(&s).await.parse().unwrap();
    let mut tx = gw.db.tenant_tx(&id).await.unwrap();
    let caas_core::sql::Scalar(keys): caas_core::sql::Scalar<i64> = caas_core::sql::query(
        "SELECT COUNT(*) FROM crypto_tenant_keys WHERE tenant_id = $1 AND active",
    )
    .bind(id)
    .fetch_one(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(keys, 1);
    gw.stop().await;
}

/// Every `/v1/…` route also answers under `/t/{slug}/v1/…`, the slug naming
/// the tenant as `X-Tenant-ID` would; the two must agree.
async fn the_api_answers_under_the_tenant_path(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let s = gw.tenant(json!({})).await;
    let other = gw.tenant(json!({})).await;
    let t: Value = gw
        .admin(Method::GET, &format!("/t/{s}/v1/tenant"))
        .value()
        .await;
    assert_eq!(t["slug"], s.as_str());
    let r = gw
        .admin(Method::PUT, &format!("/t/{s}/v1/tenant"))
        .json(&json!({ "name": "By path" }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = gw.in_tenant(&s, Method::GET, "/v1/tenant").value().await;
    assert_eq!(t["name"], "By path");
    // Queries survive the mapping; path parameters too.
    let r = gw
        .admin(Method::GET, &format!("/t/{s}/v1/users?limit=1"))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let r = gw
        .admin(
            Method::GET,
            &format!("/t/{s}/v1/users/00000000-0000-7000-8000-000000000000"),
        )
        .go()
        .await;
    assert_eq!(problem(r).await.0, 404);

    // The path and the header must agree; an unknown slug is 404 and a
    // malformed one 400; the problem names the path the caller used.
    let (status, body) = problem(
        gw.in_tenant(&other, Method::GET, &format!("/t/{s}/v1/tenant"))
            .go()
            .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["instance"], format!("/t/{s}/v1/tenant"));
    let (status, _) = problem(gw.admin(Method::GET, "/t/nobody-here/v1/tenant").go().await).await;
    assert_eq!(status, 404);
    let (status, _) = problem(gw.admin(Method::GET, "/t/NOT_A_SLUG/v1/tenant").go().await).await;
    assert_eq!(status, 400);
    // Credentials are still required, and the route's check still applies.
    let r = gw
        .anon(Method::GET, &format!("/t/{s}/v1/tenant"))
        .go()
        .await;
    assert_eq!(problem(r).await.1["code"], "missing_token");
    let r = gw
        .anon(Method::GET, &format!("/t/{s}/v1/nowhere"))
        .go()
        .await;
    assert_eq!(problem(r).await.0, 404);
    gw.stop().await;
}

on_both_stacks!(
    creating_a_tenant_provisions_its_key,
    a_tenant_whose_provisioning_fails_stays_suspended_until_resumed,
    subdomains_name_tenants_and_sources_must_agree,
    admin_manages_the_tenant_lifecycle,
    admin_routes_need_the_admin_key,
    tenant_routes_act_in_the_named_tenant,
    the_api_answers_under_the_tenant_path,
);
