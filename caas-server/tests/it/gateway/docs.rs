//! `/openapi.json`, `/docs/` and `/metrics`.

use reqwest::Method;
use serde_json::json;

use super::harness::{Gateway, Go, Stack, on_both_stacks};

/// Every route the gateway serves, as (method, OpenAPI path).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("POST", "/v1/admin/tenants"),
    ("GET", "/v1/admin/tenants"),
    ("GET", "/v1/admin/tenants/{slug}"),
    ("PATCH", "/v1/admin/tenants/{slug}"),
    ("DELETE", "/v1/admin/tenants/{slug}"),
    ("GET", "/v1/tenant"),
    ("PUT", "/v1/tenant"),
    ("GET", "/v1/tenant/settings"),
    ("PUT", "/v1/tenant/settings"),
    ("PATCH", "/v1/tenant/settings"),
    ("GET", "/v1/tenant/usage"),
    ("GET", "/v1/webhooks/event-types"),
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks/{id}"),
    ("PUT", "/v1/webhooks/{id}"),
    ("DELETE", "/v1/webhooks/{id}"),
    ("POST", "/v1/webhooks/{id}/rotate-secret"),
    ("POST", "/v1/webhooks/{id}/ping"),
    ("GET", "/v1/webhooks/{id}/deliveries"),
    ("POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/replay"),
    ("POST", "/v1/admin/tenants/{slug}/keys/rotate"),
    ("GET", "/v1/admin/tenants/{slug}/keys/rotations"),
    ("PUT", "/v1/keys/devices/{device_id}"),
    ("DELETE", "/v1/keys/devices/{device_id}"),
    ("POST", "/v1/keys/devices/{device_id}/prekeys"),
    ("GET", "/v1/keys/devices/{device_id}/prekeys/count"),
    ("GET", "/v1/keys/users/{user_id}/bundles"),
    ("POST", "/v1/messages"),
    ("GET", "/v1/messages"),
    ("DELETE", "/v1/messages/{id}"),
    ("GET", "/t/{slug}/.well-known/jwks.json"),
    ("POST", "/v1/tenant/keys/rotate"),
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/mfa/verify"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/guest"),
    ("GET", "/v1/auth/me"),
    ("POST", "/v1/auth/sdk/token"),
    ("GET", "/v1/auth/sessions"),
    ("DELETE", "/v1/auth/sessions/{id}"),
    ("POST", "/v1/auth/mfa/totp"),
    ("DELETE", "/v1/auth/mfa/totp"),
    ("POST", "/v1/auth/mfa/totp/confirm"),
    ("POST", "/v1/auth/mfa/backup-codes"),
    ("GET", "/v1/auth/api-keys"),
    ("POST", "/v1/auth/api-keys"),
    ("GET", "/v1/auth/api-keys/{id}"),
    ("PUT", "/v1/auth/api-keys/{id}"),
    ("DELETE", "/v1/auth/api-keys/{id}"),
    ("POST", "/v1/auth/api-keys/{id}/rotate"),
    ("POST", "/v1/auth/tickets"),
    ("POST", "/v1/auth/tickets/redeem"),
    ("GET", "/v1/users"),
    ("POST", "/v1/users"),
    ("GET", "/v1/users/{id}"),
    ("PATCH", "/v1/users/{id}"),
    ("DELETE", "/v1/users/{id}"),
    ("GET", "/v1/oauth/clients"),
    ("POST", "/v1/oauth/clients"),
    ("GET", "/v1/oauth/clients/{id}"),
    ("PUT", "/v1/oauth/clients/{id}"),
    ("DELETE", "/v1/oauth/clients/{id}"),
    ("POST", "/v1/oauth/clients/{id}/rotate-secret"),
    ("GET", "/t/{slug}/.well-known/openid-configuration"),
    ("GET", "/t/{slug}/oauth2/authorize"),
    ("GET", "/t/{slug}/oauth2/login"),
    ("POST", "/t/{slug}/oauth2/login"),
    ("POST", "/t/{slug}/oauth2/login/mfa"),
    ("POST", "/t/{slug}/oauth2/login/guest"),
    ("GET", "/t/{slug}/oauth2/consent"),
    ("POST", "/t/{slug}/oauth2/consent"),
    ("POST", "/t/{slug}/oauth2/token"),
    ("POST", "/t/{slug}/oauth2/introspect"),
    ("POST", "/t/{slug}/oauth2/revoke"),
    ("GET", "/t/{slug}/oauth2/userinfo"),
    ("POST", "/t/{slug}/oauth2/userinfo"),
    ("GET", "/t/{slug}/oauth2/logout"),
    ("POST", "/t/{slug}/oauth2/logout"),
    ("GET", "/t/{slug}/federation/{provider}/start"),
    ("GET", "/t/{slug}/federation/{provider}/callback"),
    ("GET", "/v1/authz/policies"),
    ("PUT", "/v1/authz/policies"),
    ("GET", "/v1/authz/policies/versions"),
    ("POST", "/v1/authz/policies/rollback"),
    ("POST", "/v1/authz/check"),
    ("POST", "/v1/authz/check/batch"),
    ("POST", "/v1/authz/actions"),
    ("GET", "/v1/authz/schema"),
    ("PUT", "/v1/authz/schema"),
    ("GET", "/v1/authz/entities/{type}/{id}"),
    ("PUT", "/v1/authz/entities/{type}/{id}"),
    ("DELETE", "/v1/authz/entities/{type}/{id}"),
    ("GET", "/v1/authz/roles"),
    ("POST", "/v1/authz/roles"),
    ("DELETE", "/v1/authz/roles/{name}"),
    ("GET", "/v1/authz/roles/{name}/holders"),
    ("POST", "/v1/authz/roles/{name}/holders"),
    ("DELETE", "/v1/authz/roles/{name}/holders/{type}/{id}"),
    ("GET", "/v1/authz/grants"),
    ("POST", "/v1/authz/grants"),
    ("DELETE", "/v1/authz/grants/{id}"),
    ("GET", "/v1/authz/resources/{type}/{id}/acl"),
    ("POST", "/v1/authz/resources/{type}/{id}/acl"),
    ("DELETE", "/v1/authz/resources/{type}/{id}/acl/{entry}"),
    ("GET", "/v1/games/rulesets"),
    ("POST", "/v1/games/rulesets"),
    ("POST", "/v1/games"),
    ("GET", "/v1/games/{id}"),
    ("POST", "/v1/games/{id}/join"),
    ("POST", "/v1/games/{id}/moves"),
    ("GET", "/v1/games/{id}/events"),
    ("GET", "/v1/games/history"),
    ("DELETE", "/v1/games/history"),
    ("GET", "/v1/games/stats"),
    ("GET", "/v1/identity-providers"),
    ("POST", "/v1/identity-providers"),
    ("GET", "/v1/identity-providers/{id}"),
    ("PUT", "/v1/identity-providers/{id}"),
    ("DELETE", "/v1/identity-providers/{id}"),
    ("GET", "/v1/privacy/purposes"),
    ("POST", "/v1/privacy/purposes"),
    ("GET", "/v1/privacy/consents"),
    ("POST", "/v1/privacy/consents"),
    ("POST", "/v1/privacy/consents/{purpose}/withdraw"),
    ("GET", "/v1/privacy/requests"),
    ("POST", "/v1/privacy/requests"),
    ("GET", "/v1/privacy/requests/{id}"),
    ("GET", "/v1/privacy/requests/{id}/export"),
    ("POST", "/v1/privacy/requests/{id}/verify"),
    ("POST", "/v1/privacy/requests/{id}/approve"),
    ("POST", "/v1/privacy/requests/{id}/deny"),
    ("POST", "/v1/privacy/requests/{id}/extend"),
    ("GET", "/v1/privacy/retention-policies"),
    ("POST", "/v1/privacy/retention-policies"),
    ("GET", "/v1/privacy/legal-holds"),
    ("POST", "/v1/privacy/legal-holds"),
    ("POST", "/v1/privacy/legal-holds/{id}/release"),
    ("GET", "/v1/privacy/breaches"),
    ("POST", "/v1/privacy/breaches"),
    ("PATCH", "/v1/privacy/breaches/{id}"),
    ("GET", "/v1/privacy/processing-activities"),
    ("PUT", "/v1/privacy/processing-activities"),
    ("GET", "/v1/privacy/deletion-log"),
    ("GET", "/v1/audit/entries"),
    ("GET", "/v1/audit/checkpoint"),
    ("GET", "/v1/audit/proofs/inclusion"),
    ("GET", "/v1/audit/proofs/consistency"),
];

async fn the_openapi_document_is_3_1_and_lists_every_route(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let r = gw.anon(Method::GET, "/openapi.json").go().await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    spec.validate_version().expect("OpenAPI 3.1");
    let mut operations: Vec<(String, String)> = spec
        .operations()
        .map(|(path, method, op)| {
            assert!(
                !op.responses(&spec).is_empty(),
                "{method} {path} documents no response"
            );
            assert!(
                op.summary.is_some() || op.description.is_some(),
                "{method} {path} is undescribed"
            );
            for p in op.parameters(&spec).unwrap() {
                assert!(
                    p.description.is_some(),
                    "{method} {path}: parameter {} is undescribed",
                    p.name
                );
            }
            (method.as_str().to_owned(), path)
        })
        .collect();
    operations.sort();
    let mut ids: Vec<String> = spec
        .operations()
        .map(|(path, method, op)| {
            op.operation_id
                .clone()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"))
        })
        .collect();
    ids.sort();
    let count = ids.len();
    ids.dedup();
    assert_eq!(
        ids.len(),
        count,
        "operationIds must be unique (OpenAPI 3.1 §4.8.10)"
    );
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(operations, expected);
    // Every documented route is served (not a 404 from the fallback).
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{slug}", "nobody")
            .replace("{id}", "x")
            .replace("{provider}", "p")
            .replace("{delivery_id}", "y");
        let r = gw
            .admin(method.parse().unwrap(), &concrete)
            .header("x-tenant-id", "nobody")
            .go()
            .await;
        if r.status() == 404 {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_ne!(
                body["detail"], "no such route",
                "{method} {path} is documented but not served"
            );
        }
    }
    // Swagger UI serves and points at the document.
    let r = gw.anon(Method::GET, "/docs/").go().await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger-ui"));
    let init = gw
        .anon(Method::GET, "/docs/swagger-initializer.js")
        .go()
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    gw.stop().await;
}

async fn metrics_parse_as_prometheus_text(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let tenant = gw.tenant(json!({})).await;
    gw.in_tenant(&tenant, Method::GET, "/v1/tenant").go().await;
    gw.anon(Method::GET, "/v1/admin/tenants").go().await;
    let r = gw.anon(Method::GET, "/metrics").go().await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let find = |metric: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
    };
    let served = find(
        "caas_http_requests_total",
        &[
            ("route", "/v1/tenant"),
            ("status", "200"),
            ("tenant", tenant.as_str()),
            ("method", "GET"),
        ],
    )
    .unwrap_or_else(|| panic!("no request counter in\n{text}"));
    assert!(
        matches!(served.value, prometheus_parse::Value::Counter(n) if n >= 1.0),
        "{served:?}"
    );
    assert!(
        find(
            "caas_http_requests_total",
            &[("route", "/v1/admin/tenants"), ("status", "401")]
        )
        .is_some()
    );
    let latency = find(
        "caas_http_request_duration_seconds",
        &[("route", "/v1/tenant")],
    )
    .unwrap();
    assert!(matches!(&latency.value, prometheus_parse::Value::Histogram(b) if !b.is_empty()));
    for backend in ["database", "cache", "events"] {
        let up = find("caas_backend_up", &[("backend", backend)]).unwrap();
        assert!(
            matches!(up.value, prometheus_parse::Value::Gauge(v) if v == 1.0),
            "{backend}"
        );
    }
    for family in [
        "caas_rate_limit_rejections_total",
        "caas_webhook_deliveries_total",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} counter")),
            "{family}"
        );
    }
    gw.stop().await;
}

on_both_stacks!(
    the_openapi_document_is_3_1_and_lists_every_route,
    metrics_parse_as_prometheus_text,
);
