//! What every request gets: request ids, problem+json, body limits, JSON
//! errors, security headers, CORS.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks};

async fn errors_are_problem_json_with_the_request_id(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| c.http.body_limit = 2048).await else {
        return;
    };
    // A generated request id, echoed in the body.
    let r = gw.anon(Method::GET, "/no/such/route").go().await;
    assert_eq!(r.status(), 404);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());
    assert_eq!(body["instance"], "/no/such/route");
    assert_eq!(body["type"], "urn:caas:problem:not_found");
    for key in [
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "code",
        "request_id",
    ] {
        assert!(body.get(key).is_some(), "{key} missing in {body}");
    }
    // A caller's id is propagated; a hostile one replaced.
    let r = gw
        .anon(Method::GET, "/health")
        .header("x-request-id", "trace-123")
        .go()
        .await;
    assert_eq!(r.headers()["x-request-id"], "trace-123");
    let r = gw
        .anon(Method::GET, "/health")
        .header("x-request-id", "a b\tc")
        .go()
        .await;
    assert_ne!(r.headers()["x-request-id"], "a b\tc");

    // 405 with Allow.
    let r = gw.anon(Method::DELETE, "/v1/admin/tenants").go().await;
    assert_eq!(r.status(), 405);
    assert!(r.headers().contains_key("allow"));
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "method_not_allowed"
    );

    // Malformed JSON, a mistyped field, the wrong media type, too large a body.
    let bad = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .header("content-type", "application/json")
        .body("{\"slug\": \"x\", ")
        .go()
        .await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );
    let typed = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({"slug": "abc", "name": 7}))
        .go()
        .await;
    let body: Value = typed.json().await.unwrap();
    assert_eq!(
        (body["status"].as_u64(), body["field"].as_str()),
        (Some(400), Some("name"))
    );
    let unknown = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({"slug": "abc", "name": "x", "owner": 1}))
        .go()
        .await;
    assert_eq!(unknown.status(), 400);
    let text = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .body("slug=abc")
        .go()
        .await;
    assert_eq!(text.status(), 415);
    assert_eq!(
        text.json::<Value>().await.unwrap()["code"],
        "unsupported_media_type"
    );
    let big = json!({ "slug": "abc", "name": "x".repeat(4096) });
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&big)
        .go()
        .await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "payload_too_large"
    );
    // Nothing was created by any of them.
    let r = gw.admin(Method::GET, "/v1/admin/tenants/abc").go().await;
    assert_eq!(r.status(), 404);
    gw.stop().await;
}

async fn security_headers_are_on_every_response(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| {
        c.public_url = Some("https://api.example.com".parse().unwrap())
    })
    .await
    else {
        return;
    };
    for path in ["/health", "/no/such/route", "/docs/"] {
        let r = gw.anon(Method::GET, path).go().await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(
            h["strict-transport-security"]
                .to_str()
                .unwrap()
                .starts_with("max-age="),
            "{path}"
        );
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        if path == "/docs/" {
            assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
                "{csp}"
            );
        }
    }
    gw.stop().await;
    // Without TLS in front, no HSTS.
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let r = gw.anon(Method::GET, "/health").go().await;
    assert!(!r.headers().contains_key("strict-transport-security"));
    gw.stop().await;
}

async fn cors_follows_each_tenants_origins(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let open = gw
        .tenant(json!({ "cors": { "allowed_origins": ["https://app.acme.test"] } }))
        .await;
    let star = gw
        .tenant(json!({ "cors": { "allowed_origins": ["*"] } }))
        .await;
    let closed = gw.tenant(json!({})).await;
    let preflight = |tenant: &str, origin: &str, method: &str, headers: &str| {
        gw.anon(Method::OPTIONS, "/v1/tenant")
            .header("origin", origin)
            .header("x-tenant-id", tenant)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
            .send()
    };
    // Allowed origin: 204 with the origin echoed, methods and headers allowed.
    let r = preflight(
        &open,
        "https://app.acme.test",
        "PUT",
        "authorization, content-type",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.acme.test"
    );
    assert!(
        r.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT")
    );
    assert!(
        r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    assert!(!r.headers().contains_key("access-control-allow-credentials"));
    // Another origin, a tenant with no origins, a header not allowed: 403.
    for r in [
        preflight(&open, "https://evil.test", "GET", "")
            .await
            .unwrap(),
        preflight(&closed, "https://app.acme.test", "GET", "")
            .await
            .unwrap(),
        preflight(&open, "https://app.acme.test", "GET", "x-evil")
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 403);
        assert!(!r.headers().contains_key("access-control-allow-origin"));
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "cors_denied");
    }
    // `*` only where configured.
    let r = preflight(&star, "https://anyone.test", "GET", "")
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // Actual requests: allowed origins may read the answer (and its headers).
    let r = gw
        .in_tenant(&open, Method::GET, "/v1/tenant")
        .header("origin", "https://app.acme.test")
        .go()
        .await;
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.acme.test"
    );
    assert!(
        r.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-request-id")
    );
    let r = gw
        .in_tenant(&open, Method::GET, "/v1/tenant")
        .header("origin", "https://evil.test")
        .go()
        .await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    gw.stop().await;
}

on_both_stacks!(
    errors_are_problem_json_with_the_request_id,
    security_headers_are_on_every_response,
    cors_follows_each_tenants_origins,
);
