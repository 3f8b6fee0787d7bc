//! Rate limits per tenant plan, per client IP and route class; quotas.

use std::collections::BTreeMap;

use caas_server::config::{Plan, Plans};
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks};

fn plans() -> Plans {
    let mut map = BTreeMap::new();
    map.insert(
        "tiny".to_owned(),
        Plan {
            requests: "4/min".parse().ok(),
            auth_requests: None,
            monthly_requests: None,
        },
    );
    map.insert(
        "metered".to_owned(),
        Plan {
            requests: None,
            auth_requests: None,
            monthly_requests: Some(5),
        },
    );
    Plans::new(map)
}

async fn tenant_plans_limit_requests(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| c.plans = plans()).await else {
        return;
    };
    let tiny = gw.tenant(json!({ "plan": "tiny" })).await;
    let other = gw.tenant(json!({})).await;
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..6 {
        let r = gw.in_tenant(&tiny, Method::GET, "/v1/tenant").go().await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            refused = Some(r);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    let r = refused.unwrap();
    let h = r.headers();
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let policy = h["ratelimit-policy"].to_str().unwrap();
    assert!(
        policy.contains("\"tenant\";q=4;w=60") && policy.contains("\"ip\";"),
        "{policy}"
    );
    assert!(
        h["ratelimit"].to_str().unwrap().contains("\"tenant\";r=0;"),
        "{:?}",
        h["ratelimit"]
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Another tenant, on the default plan, is unaffected.
    let r = gw.in_tenant(&other, Method::GET, "/v1/tenant").go().await;
    assert_eq!(r.status(), 200);
    gw.stop().await;
}

async fn auth_routes_are_limited_harder_per_ip(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| {
        c.ip_limits.all = "100/min".parse().ok();
        c.ip_limits.auth = "2/min".parse().ok();
    })
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = gw.anon(Method::POST, "/v1/auth/login").go().await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            let policy = r.headers()["ratelimit-policy"].to_str().unwrap().to_owned();
            assert!(policy.contains("\"ip-auth\";q=2"), "{policy}");
        }
    }
    // Two reach the route (no tenant named: 400), the third is refused.
    assert_eq!(statuses, [400, 400, 429]);
    // Other routes still have their budget.
    assert_eq!(gw.anon(Method::GET, "/").go().await.status(), 200);
    gw.stop().await;
}

async fn monthly_quotas_are_enforced_and_reported(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| c.plans = plans()).await else {
        return;
    };
    let metered = gw.tenant(json!({ "plan": "metered" })).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            gw.in_tenant(&metered, Method::GET, "/v1/tenant/usage")
                .go()
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200; 5]);
    let r = gw
        .in_tenant(&metered, Method::GET, "/v1/tenant/usage")
        .go()
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "quota_exceeded");
    // The admin lifts the plan; usage shows what was counted.
    let r = gw
        .admin(Method::PATCH, &format!("/v1/admin/tenants/{metered}"))
        .json(&json!({ "settings": { "plan": "default" } }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let usage: Value = gw
        .in_tenant(&metered, Method::GET, "/v1/tenant/usage")
        .value()
        .await;
    assert_eq!(usage["requests_this_month"], 6, "{usage}");
    assert_eq!(usage["monthly_request_quota"], Value::Null);
    gw.stop().await;
}

async fn tenant_principals_act_only_in_their_tenant_and_cannot_change_their_plan(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| c.plans = plans()).await else {
        return;
    };
    let mine = gw.tenant(json!({})).await;
    let theirs = gw.tenant(json!({})).await;
    let my_id = gw.tenant_id(&mine).await;
    let r = gw
        .as_user(&my_id, &mine, Method::GET, "/v1/tenant")
        .go()
        .await;
    assert_eq!(r.status(), 200);
    // The same credentials aimed at another tenant are refused outright.
    let r = gw
        .as_user(&my_id, &theirs, Method::GET, "/v1/tenant")
        .go()
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_token");
    // A tenant principal is no platform admin.
    let r = gw
        .as_user(&my_id, &mine, Method::GET, "/v1/admin/tenants")
        .go()
        .await;
    assert_eq!(r.status(), 403);
    // A member without a role may not change its settings (the route
    // declares scope_or_role(tenant:write, admin)); once it is an admin of
    // the tenant it may, but not its plan; the platform admin may.
    let r = gw
        .as_user(&my_id, &mine, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "extensions": { "branding": {} } }))
        .go()
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "insufficient_scope_or_role"
    );
    let r = gw
        .in_tenant(&mine, Method::POST, "/v1/authz/roles/admin/holders")
        .json(&json!({ "principal": { "type": "User", "id": "user-1" } }))
        .go()
        .await;
    assert_eq!(r.status(), 204);
    let r = gw
        .as_user(&my_id, &mine, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "extensions": { "branding": {} } }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let r = gw
        .as_user(&my_id, &mine, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "plan": "tiny" }))
        .go()
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "plan");
    let r = gw
        .in_tenant(&mine, Method::PUT, "/v1/tenant/settings")
        .json(&json!({ "plan": "tiny" }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    gw.stop().await;
}

async fn guessing_credentials_is_rate_limited(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| c.ip_limits.auth = "3/min".parse().ok()).await else {
        return;
    };
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = gw
            .anon(Method::GET, "/v1/admin/tenants")
            .bearer_auth(format!("caas_admin_guess{i}"))
            .go()
            .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    // The right key still works: only failures spend the budget.
    assert_eq!(
        gw.admin(Method::GET, "/v1/admin/tenants")
            .go()
            .await
            .status(),
        200
    );
    gw.stop().await;
}

on_both_stacks!(
    guessing_credentials_is_rate_limited,
    tenant_plans_limit_requests,
    auth_routes_are_limited_harder_per_ip,
    monthly_quotas_are_enforced_and_reported,
    tenant_principals_act_only_in_their_tenant_and_cannot_change_their_plan,
);
