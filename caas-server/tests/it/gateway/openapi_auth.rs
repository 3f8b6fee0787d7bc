//! Real answers of the auth, authorization, tenant and provider routes
//! (and the operational `/`, `/health`) conform to their schemas in
//! `/openapi.json` — so a client generated from the document reads what
//! the server sends. The privacy and game routes are `openapi_answers`.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};
use super::openapi_schemas::{conforms, doc};

const PASSWORD: &str = "kamen-skarje-papir-1";

/// A tenant with an administrator, the password grant on, and a
/// first-party confidential client that may use it: the admin's token, the
/// client's id and secret.
async fn provider(gw: &Gateway, slug: &str) -> (String, String, String) {
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug, "name": "Schemas",
                       "settings": { "extensions": { "auth": { "allow_password_grant": true } } },
                       "admin": { "email": "boss@example.com", "password": PASSWORD } }))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let login: Value = gw
        .anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", slug)
        .json(&json!({ "login": "boss@example.com", "password": PASSWORD }))
        .value()
        .await;
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let client: Value = gw
        .anon(Method::POST, "/v1/oauth/clients")
        .header("x-tenant-id", slug)
        .bearer_auth(&admin)
        .json(
            &json!({ "name": "First party", "client_type": "confidential",
                       "first_party": true,
                       "grant_types": ["password", "refresh_token", "client_credentials"],
                       "scopes": ["orders:read"] }),
        )
        .value()
        .await;
    (
        admin,
        client["id"].as_str().unwrap().to_owned(),
        client["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn answers_match_their_documented_schemas(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let served: Value = gw.anon(Method::GET, "/openapi.json").value().await;
    let doc = doc();
    assert_eq!(served, doc, "the server serves the document");
    let slug = slug();
    let (admin, client_id, secret) = provider(&gw, &slug).await;
    let t = |p: &str| format!("/t/{slug}{p}");
    let check = |method: &str, path: &str, status: u16, body: &Value| {
        conforms(
            &doc,
            &method.to_ascii_lowercase(),
            path,
            &status.to_string(),
            body,
        );
    };

    let root: Value = gw.anon(Method::GET, "/").value().await;
    check("GET", "/", 200, &root);
    let health: Value = gw.anon(Method::GET, "/health").value().await;
    check("GET", "/health", 200, &health);

    // The provider's protocol answers.
    let discovery: Value = gw
        .anon(Method::GET, &t("/.well-known/openid-configuration"))
        .value()
        .await;
    check(
        "GET",
        "/t/{slug}/.well-known/openid-configuration",
        200,
        &discovery,
    );
    let jwks: Value = gw
        .anon(Method::GET, &t("/.well-known/jwks.json"))
        .value()
        .await;
    check("GET", "/t/{slug}/.well-known/jwks.json", 200, &jwks);
    assert!(!jwks["keys"].as_array().unwrap().is_empty());
    let token = |form: Vec<(&'static str, String)>| {
        gw.anon(Method::POST, &t("/oauth2/token"))
            .basic_auth(&client_id, Some(&secret))
            .form(&form)
            .go()
    };
    let r = token(vec![
        ("grant_type", "password".into()),
        ("username", "boss@example.com".into()),
        ("password", PASSWORD.into()),
        ("scope", "openid profile email".into()),
    ])
    .await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    check("POST", "/t/{slug}/oauth2/token", 200, &tokens);
    let r = token(vec![
        ("grant_type", "password".into()),
        ("username", "boss@example.com".into()),
        ("password", "wrong".into()),
    ])
    .await;
    assert_eq!(r.status(), 400);
    let error: Value = r.json().await.unwrap();
    check("POST", "/t/{slug}/oauth2/token", 400, &error);
    let r = gw
        .anon(Method::POST, &t("/oauth2/token"))
        .basic_auth(&client_id, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .go()
        .await;
    assert_eq!(r.status(), 401);
    check(
        "POST",
        "/t/{slug}/oauth2/token",
        401,
        &r.json::<Value>().await.unwrap(),
    );
    let access = tokens["access_token"].as_str().unwrap();
    for token in [access, tokens["refresh_token"].as_str().unwrap(), "junk"] {
        let answer: Value = gw
            .anon(Method::POST, &t("/oauth2/introspect"))
            .basic_auth(&client_id, Some(&secret))
            .form(&[("token", token)])
            .value()
            .await;
        check("POST", "/t/{slug}/oauth2/introspect", 200, &answer);
    }
    let claims: Value = gw
        .anon(Method::GET, &t("/oauth2/userinfo"))
        .bearer_auth(access)
        .value()
        .await;
    assert_eq!(claims["email"], "boss@example.com");
    check("GET", "/t/{slug}/oauth2/userinfo", 200, &claims);

    // Administration.
    let in_tenant = |method: Method, path: &str| {
        gw.anon(method, path)
            .header("x-tenant-id", &slug)
            .bearer_auth(&admin)
    };
    let clients: Value = in_tenant(Method::GET, "/v1/oauth/clients").value().await;
    check("GET", "/v1/oauth/clients", 200, &clients);
    let r = in_tenant(Method::POST, "/v1/oauth/clients")
        .json(&json!({ "name": "SPA", "client_type": "public",
                       "redirect_uris": ["http://localhost:3000/cb"],
                       "grant_types": ["authorization_code", "refresh_token"],
                       "jwks": null }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    check(
        "POST",
        "/v1/oauth/clients",
        201,
        &r.json::<Value>().await.unwrap(),
    );
    let r = in_tenant(Method::POST, "/v1/identity-providers")
        .json(
            &json!({ "kind": "github", "name": "GitHub", "client_id": "gh",
                       "client_secret": "s3cret" }),
        )
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let provider: Value = r.json().await.unwrap();
    assert!(provider.get("client_secret").is_none());
    check("POST", "/v1/identity-providers", 201, &provider);
    let settings: Value = in_tenant(Method::PATCH, "/v1/tenant/settings")
        .json(&json!({ "extensions": { "branding": { "display_name": "Shop" } } }))
        .value()
        .await;
    check("PATCH", "/v1/tenant/settings", 200, &settings);
    let tenant: Value = gw
        .admin(Method::GET, &format!("/v1/admin/tenants/{slug}"))
        .value()
        .await;
    check("GET", "/v1/admin/tenants/{slug}", 200, &tenant);
    let roles: Value = in_tenant(Method::GET, "/v1/authz/roles").value().await;
    check("GET", "/v1/authz/roles", 200, &roles);
    let decision: Value = in_tenant(Method::POST, "/v1/authz/check")
        .json(&json!({ "principal": { "type": "User", "id": "u1" },
                       "action": "read",
                       "resource": { "type": "Doc", "id": "d1" } }))
        .value()
        .await;
    check("POST", "/v1/authz/check", 200, &decision);

    // The audit log and its proofs.
    let entries: Value = in_tenant(Method::GET, "/v1/audit/entries").value().await;
    check("GET", "/v1/audit/entries", 200, &entries);
    let size = entries.as_array().unwrap().len();
    assert!(size >= 2, "{entries}");
    let head: Value = in_tenant(Method::GET, "/v1/audit/checkpoint").value().await;
    check("GET", "/v1/audit/checkpoint", 200, &head);
    let size = head["checkpoint"]["size"].as_u64().unwrap();
    let proof: Value = in_tenant(
        Method::GET,
        &format!("/v1/audit/proofs/inclusion?index=0&size={size}"),
    )
    .value()
    .await;
    check("GET", "/v1/audit/proofs/inclusion", 200, &proof);
    let proof: Value = in_tenant(
        Method::GET,
        &format!("/v1/audit/proofs/consistency?from=1&to={size}"),
    )
    .value()
    .await;
    check("GET", "/v1/audit/proofs/consistency", 200, &proof);

    gw.stop().await;
}

on_both_stacks!(answers_match_their_documented_schemas);
