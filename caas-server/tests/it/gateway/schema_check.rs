//! Real answers checked against `/openapi.json`: every key an answer has is
//! a documented property, every required one is there, and each value has
//! the documented type — so a client generated from the document reads what
//! the server sends. Also: no request body or success answer of a JSON
//! route is a bare `{"type": "object"}`.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";

/// `schema` with its `$ref` followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

/// `schema` and every `allOf` part below it, resolved.
fn parts<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut all = vec![schema];
    for part in schema["allOf"].as_array().into_iter().flatten() {
        all.extend(parts(doc, resolve(doc, part)));
    }
    all
}

/// Why `value` does not match `schema` (empty: it matches).
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            if options
                .iter()
                .any(|o| mismatches(doc, o, value, at).is_empty())
            {
                return Vec::new();
            }
            return vec![format!("{at}: {value} matches none of {key}")];
        }
    }
    // An object schema: its own properties and those of every allOf part,
    // nested ones too (serde's `flatten`).
    let parts = parts(doc, schema);
    let mut problems = Vec::new();
    let types: Vec<&str> = parts
        .iter()
        .flat_map(|p| match &p["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        return vec![format!("{at}: {value} is not {types:?}")];
    }
    if let Some(items) = schema.get("items")
        && let Some(values) = value.as_array()
    {
        for (i, v) in values.iter().enumerate() {
            problems.extend(mismatches(doc, items, v, &format!("{at}[{i}]")));
        }
    }
    if let Some(object) = value.as_object() {
        let free = parts.iter().any(|p| {
            p["additionalProperties"].is_object() || p["additionalProperties"] == json!(true)
        }) || parts.iter().all(|p| p.get("properties").is_none());
        for part in &parts {
            for required in part["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap();
                if !object.contains_key(name) {
                    problems.push(format!("{at}: required `{name}` is missing"));
                }
            }
        }
        for (key, v) in object {
            match parts.iter().find_map(|p| p["properties"].get(key)) {
                Some(property) => {
                    problems.extend(mismatches(doc, property, v, &format!("{at}.{key}")));
                }
                None if free => {}
                None => problems.push(format!("{at}: `{key}` is not documented")),
            }
        }
    }
    problems
}

/// Asserts that `body`, answered with `status` by `method path`, is what the
/// document says that operation answers.
fn assert_documented(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method.to_ascii_lowercase()];
    assert!(op.is_object(), "{method} {path} is not documented");
    let content = &op["responses"][status.to_string()]["content"];
    let schema = content
        .as_object()
        .and_then(|c| c.iter().find(|(ct, _)| ct.contains("json")))
        .map(|(_, c)| &c["schema"])
        .unwrap_or_else(|| panic!("{method} {path} documents no JSON {status} answer"));
    let problems = mismatches(doc, schema, body, "$");
    assert!(
        problems.is_empty(),
        "{method} {path} {status} differs from its schema:\n{}\nanswer: {body}",
        problems.join("\n")
    );
}

fn is_bare(doc: &Value, schema: &Value) -> bool {
    let s = resolve(doc, schema);
    if s["type"] == "array" {
        return is_bare(doc, &s["items"]);
    }
    s["type"] == "object"
        && s.get("properties").is_none()
        && s.get("additionalProperties").is_none()
        && ["allOf", "oneOf", "anyOf"]
            .iter()
            .all(|k| s.get(k).is_none())
}

async fn every_json_body_and_success_answer_has_a_schema(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let doc: Value = gw.anon(Method::GET, "/openapi.json").value().await;
    let mut bare = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let bodies = op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(ct, c)| (format!("request {ct}"), &c["schema"]));
            let answers = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(status, _)| status.starts_with('2'))
                .flat_map(|(status, r)| {
                    r["content"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(move |(ct, c)| (format!("{status} {ct}"), &c["schema"]))
                });
            for (what, schema) in bodies.chain(answers) {
                if what.contains("json") && is_bare(&doc, schema) {
                    bare.push(format!("{method} {path}: {what}"));
                }
            }
        }
    }
    assert!(bare.is_empty(), "bare objects:\n{}", bare.join("\n"));
    gw.stop().await;
}

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
    let doc: Value = gw.anon(Method::GET, "/openapi.json").value().await;
    let slug = slug();
    let (admin, client_id, secret) = provider(&gw, &slug).await;
    let t = |p: &str| format!("/t/{slug}{p}");
    let check = |method: &str, path: &str, status: u16, body: &Value| {
        assert_documented(&doc, method, path, status, body);
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

    // And the check itself fails on an answer that differs.
    let mut wrong = tokens.clone();
    wrong["surprise"] = json!(1);
    assert!(
        !mismatches(
            &doc,
            &doc["paths"]["/t/{slug}/oauth2/token"]["post"]["responses"]["200"]["content"]
                ["application/json"]["schema"],
            &wrong,
            "$"
        )
        .is_empty()
    );
    gw.stop().await;
}

on_both_stacks!(
    every_json_body_and_success_answer_has_a_schema,
    answers_match_their_documented_schemas,
);
