//! Authentication over HTTP: the tenant's first admin, login, tokens that
//! verify with only the published JWKS, refresh and reuse, logout seen by a
//! second instance, lockout, sessions, guests, sign-up, signing-key rotation.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";

/// A tenant with a first admin `boss@example.com` and `settings`.
async fn tenant_with_admin(gw: &Gateway, settings: Value) -> String {
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug, "name": "Auth", "settings": settings,
                       "admin": { "email": "boss@example.com", "password": PASSWORD } }))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    slug
}

fn in_tenant(gw: &Gateway, slug: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    gw.anon(method, path).header("x-tenant-id", slug)
}

async fn login(gw: &Gateway, slug: &str, who: &str, password: &str) -> reqwest::Response {
    in_tenant(gw, slug, Method::POST, "/v1/auth/login")
        .json(&json!({ "login": who, "password": password }))
        .go()
        .await
}

async fn tokens(gw: &Gateway, slug: &str) -> Value {
    let r = login(gw, slug, "boss@example.com", PASSWORD).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn bearer(
    gw: &Gateway,
    slug: &str,
    token: &str,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    in_tenant(gw, slug, method, path).bearer_auth(token)
}

async fn a_tenant_admin_logs_in_and_tokens_verify_with_the_jwks(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = tenant_with_admin(&gw, json!({})).await;
    let pair = tokens(&gw, &slug).await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(
        (pair["token_type"].as_str(), pair["expires_in"].as_u64()),
        (Some("Bearer"), Some(900))
    );
    let me = bearer(&gw, &slug, access, Method::GET, "/v1/auth/me")
        .value()
        .await;
    assert_eq!(
        (me["kind"].as_str(), me["roles"].clone()),
        (Some("user"), json!(["admin"]))
    );
    assert_eq!(me["amr"], json!(["pwd"]));
    // The token verifies with nothing but the published JWKS.
    let jwks = gw
        .anon(Method::GET, &format!("/t/{slug}/.well-known/jwks.json"))
        .value()
        .await;
    let header = jsonwebtoken::decode_header(access).unwrap();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == header.kid.clone().unwrap().as_str())
            .unwrap()
            .clone(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["caas"]);
    validation.set_issuer(&[format!("http://localhost:{}/t/{slug}", gw.addr.port())]);
    let verified = jsonwebtoken::decode::<Value>(
        access,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(verified.claims["sub"], me["subject"]);
    // The same token without the tenant header still authenticates (its
    // `tenant_id` names the tenant), but not in another tenant.
    let other = tenant_with_admin(&gw, json!({})).await;
    assert_eq!(
        bearer(&gw, &other, access, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status(),
        401
    );
    // Refresh, then logout: the access token and the refresh token die.
    let refreshed = in_tenant(&gw, &slug, Method::POST, "/v1/auth/refresh")
        .json(&json!({ "refresh_token": pair["refresh_token"] }))
        .value()
        .await;
    let access2 = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        bearer(&gw, &slug, access2, Method::POST, "/v1/auth/logout")
            .go()
            .await
            .status(),
        204
    );
    let r = bearer(&gw, &slug, access2, Method::GET, "/v1/auth/me")
        .go()
        .await;
    assert_eq!(r.status(), 401);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    let r = in_tenant(&gw, &slug, Method::POST, "/v1/auth/refresh")
        .json(&json!({ "refresh_token": refreshed["refresh_token"] }))
        .go()
        .await;
    assert_eq!(r.status(), 401);
    // Rotation by the tenant admin: the JWKS lists both keys, old tokens verify.
    let pair = tokens(&gw, &slug).await;
    let old = pair["access_token"].as_str().unwrap();
    let keys = bearer(&gw, &slug, old, Method::POST, "/v1/tenant/keys/rotate")
        .value()
        .await;
    assert_eq!(keys.as_array().unwrap().len(), 2);
    let jwks = gw
        .anon(Method::GET, &format!("/t/{slug}/.well-known/jwks.json"))
        .value()
        .await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(
        bearer(&gw, &slug, old, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status(),
        200
    );
    let fresh = tokens(&gw, &slug).await;
    let kid = jsonwebtoken::decode_header(fresh["access_token"].as_str().unwrap())
        .unwrap()
        .kid;
    assert_eq!(kid.as_deref(), keys[0]["kid"].as_str());
    gw.stop().await;
}

async fn refresh_reuse_ends_the_session(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = tenant_with_admin(&gw, json!({})).await;
    let pair = tokens(&gw, &slug).await;
    let refresh = |token: &Value| {
        in_tenant(&gw, &slug, Method::POST, "/v1/auth/refresh")
            .json(&json!({ "refresh_token": token }))
    };
    let r2 = refresh(&pair["refresh_token"]).value().await;
    assert_eq!(refresh(&pair["refresh_token"]).go().await.status(), 401);
    assert_eq!(refresh(&r2["refresh_token"]).go().await.status(), 401);
    let access = r2["access_token"].as_str().unwrap();
    assert_eq!(
        bearer(&gw, &slug, access, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status(),
        401
    );
    gw.stop().await;
}

async fn failures_are_uniform_then_locked(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = tenant_with_admin(&gw, json!({})).await;
    let unknown = login(&gw, &slug, "nobody@example.com", PASSWORD).await;
    let wrong = login(&gw, &slug, "boss@example.com", "not-the-password").await;
    assert_eq!(
        (unknown.status().as_u16(), wrong.status().as_u16()),
        (401, 401)
    );
    let (a, b): (Value, Value) = (unknown.json().await.unwrap(), wrong.json().await.unwrap());
    assert_eq!(
        (a["code"].clone(), a["detail"].clone()),
        (b["code"].clone(), b["detail"].clone())
    );
    assert_eq!(a["code"], "invalid_credentials");
    for _ in 0..4 {
        login(&gw, &slug, "boss@example.com", "not-the-password").await;
    }
    let r = login(&gw, &slug, "boss@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "locked_out");
    gw.stop().await;
}

async fn sessions_guests_and_sign_up(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let closed = tenant_with_admin(&gw, json!({})).await;
    let open = tenant_with_admin(
        &gw,
        json!({ "extensions": { "auth": { "allow_registration": true, "allow_guests": true } } }),
    )
    .await;
    // Sessions: two logins, end the other one.
    let first = tokens(&gw, &closed).await;
    let second = tokens(&gw, &closed).await;
    let access = second["access_token"].as_str().unwrap();
    let list = bearer(&gw, &closed, access, Method::GET, "/v1/auth/sessions")
        .value()
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["current"], true);
    assert_eq!(
        bearer(
            &gw,
            &closed,
            access,
            Method::DELETE,
            "/v1/auth/sessions/others"
        )
        .go()
        .await
        .status(),
        204
    );
    assert_eq!(
        bearer(
            &gw,
            &closed,
            first["access_token"].as_str().unwrap(),
            Method::GET,
            "/v1/auth/me"
        )
        .go()
        .await
        .status(),
        401
    );
    assert_eq!(
        bearer(
            &gw,
            &closed,
            access,
            Method::DELETE,
            "/v1/auth/sessions/not-an-id"
        )
        .go()
        .await
        .status(),
        404
    );
    // Guests and sign-up only where the tenant allows them.
    assert_eq!(
        in_tenant(&gw, &closed, Method::POST, "/v1/auth/guest")
            .go()
            .await
            .status(),
        403
    );
    let guest = in_tenant(&gw, &open, Method::POST, "/v1/auth/guest")
        .value()
        .await;
    let me = bearer(
        &gw,
        &open,
        guest["access_token"].as_str().unwrap(),
        Method::GET,
        "/v1/auth/me",
    )
    .value()
    .await;
    assert_eq!(me["kind"], "guest");
    let body = json!({ "email": "new@example.com", "password": PASSWORD });
    assert_eq!(
        in_tenant(&gw, &closed, Method::POST, "/v1/auth/register")
            .json(&body)
            .go()
            .await
            .status(),
        403
    );
    let r = in_tenant(&gw, &open, Method::POST, "/v1/auth/register")
        .json(&body)
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let user: Value = r.json().await.unwrap();
    assert!(user.get("password_hash").is_none() && user["has_password"] == true);
    let weak = json!({ "email": "weak@example.com", "password": "password1" });
    let r = in_tenant(&gw, &open, Method::POST, "/v1/auth/register")
        .json(&weak)
        .go()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "password");
    assert_eq!(
        login(&gw, &open, "new@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    // A weak first-admin password creates nothing.
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(&json!({ "slug": slug, "name": "X", "admin": { "email": "a@example.com", "password": "12345678" } }))
        .go()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        gw.admin(Method::GET, &format!("/v1/admin/tenants/{slug}"))
            .go()
            .await
            .status(),
        404
    );
    gw.stop().await;
}

/// Logout through instance A: instance B rejects the access token at once
/// (within a second), through the shared revocation store.
/// (PostgreSQL + Redis only: the embedded stack is one process by design.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_instance_is_seen_by_another() {
    // Instances share the issuer only through `public_url`.
    let Some(a) = Gateway::start(Stack::Production, |c| {
        c.public_url = Some("https://caas.example".parse().unwrap());
    })
    .await
    else {
        return;
    };
    let b = a.another().await;
    let slug = tenant_with_admin(&a, json!({})).await;
    let pair = tokens(&a, &slug).await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(
        bearer(&b, &slug, access, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status(),
        200
    );
    assert_eq!(
        bearer(&a, &slug, access, Method::POST, "/v1/auth/logout")
            .go()
            .await
            .status(),
        204
    );
    let start = Instant::now();
    loop {
        let status = bearer(&b, &slug, access, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status();
        if status == 401 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "instance B still accepts the token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut b = b;
    b.shutdown().await;
    a.stop().await;
}

on_both_stacks!(
    a_tenant_admin_logs_in_and_tokens_verify_with_the_jwks,
    refresh_reuse_ends_the_session,
    failures_are_uniform_then_locked,
    sessions_guests_and_sign_up,
    mfa_api_keys_tickets_and_user_admin,
    oauth_clients_are_managed_by_tenant_admins,
);

async fn oauth_clients_are_managed_by_tenant_admins(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = tenant_with_admin(&gw, json!({})).await;
    let boss = tokens(&gw, &slug).await;
    let token = boss["access_token"].as_str().unwrap();
    let settings = json!({
        "name": "Web app", "client_type": "confidential",
        "redirect_uris": ["https://app.example/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
    });
    let r = bearer(&gw, &slug, token, Method::POST, "/v1/oauth/clients")
        .json(&settings)
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        created["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("cs_")
    );
    let path = format!("/v1/oauth/clients/{id}");
    let got = bearer(&gw, &slug, token, Method::GET, &path).value().await;
    assert!(
        got.get("client_secret").is_none(),
        "the secret is shown only once"
    );
    assert_eq!(
        got["redirect_uris"],
        json!(["https://app.example/callback"])
    );
    let mut changed = settings.clone();
    changed["name"] = json!("Renamed");
    let updated = bearer(&gw, &slug, token, Method::PUT, &path)
        .json(&changed)
        .value()
        .await;
    assert_eq!(updated["name"], "Renamed");
    let rotated = bearer(
        &gw,
        &slug,
        token,
        Method::POST,
        &format!("{path}/rotate-secret"),
    )
    .value()
    .await;
    assert_ne!(rotated["client_secret"], created["client_secret"]);
    let mut bad = settings.clone();
    bad["redirect_uris"] = json!(["http://app.example/cb"]);
    let r = bearer(&gw, &slug, token, Method::POST, "/v1/oauth/clients")
        .json(&bad)
        .go()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "redirect_uris");
    assert_eq!(
        bearer(&gw, &slug, token, Method::GET, "/v1/oauth/clients")
            .value()
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Not for ordinary users of the tenant.
    let id_of_tenant = gw.tenant_id(&slug).await;
    let r = gw
        .as_user(&id_of_tenant, &slug, Method::GET, "/v1/oauth/clients")
        .go()
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        bearer(&gw, &slug, token, Method::DELETE, &path)
            .go()
            .await
            .status(),
        204
    );
    assert_eq!(
        bearer(&gw, &slug, token, Method::GET, &path)
            .go()
            .await
            .status(),
        404
    );
    gw.stop().await;
}

async fn mfa_api_keys_tickets_and_user_admin(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let slug = tenant_with_admin(&gw, json!({})).await;
    let boss = tokens(&gw, &slug).await;
    let boss_token = boss["access_token"].as_str().unwrap().to_owned();
    // The admin creates a user; the user enrolls TOTP.
    let r = bearer(&gw, &slug, &boss_token, Method::POST, "/v1/users")
        .json(&json!({ "email": "ana@example.com", "password": PASSWORD }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let ana: Value = r.json().await.unwrap();
    let pair = login(&gw, &slug, "ana@example.com", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let r = bearer(&gw, &slug, &token, Method::POST, "/v1/auth/mfa/totp")
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let enrollment: Value = r.json().await.unwrap();
    assert!(
        enrollment["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(enrollment["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = data_encoding::BASE32_NOPAD
        .decode(enrollment["secret"].as_str().unwrap().as_bytes())
        .unwrap();
    let app = caas_auth::mfa::Totp::new(
        zeroize::Zeroizing::new(secret),
        caas_auth::mfa::TotpAlgorithm::Sha1,
        6,
        30,
    );
    // The server runs on the system clock.
    let now = || caas_core::Clock::now(&caas_core::SystemClock).as_secs();
    let r = bearer(
        &gw,
        &slug,
        &token,
        Method::POST,
        "/v1/auth/mfa/totp/confirm",
    )
    .json(&json!({ "code": app.code_at(now()).unwrap() }))
    .go()
    .await;
    assert_eq!(r.status(), 200);
    let backup: Value = r.json().await.unwrap();
    assert_eq!(backup["backup_codes"].as_array().unwrap().len(), 10);
    // Removing MFA needs a session that passed it.
    assert_eq!(
        bearer(&gw, &slug, &token, Method::DELETE, "/v1/auth/mfa/totp")
            .go()
            .await
            .status(),
        403
    );
    // Login now asks for the second factor; a backup code answers it.
    let step: Value = login(&gw, &slug, "ana@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["mfa_required"], true);
    let r = in_tenant(&gw, &slug, Method::POST, "/v1/auth/mfa/verify")
        .json(&json!({ "challenge_id": step["challenge_id"], "code": backup["backup_codes"][0] }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let mfa_pair: Value = r.json().await.unwrap();
    let mfa_token = mfa_pair["access_token"].as_str().unwrap().to_owned();
    let me = bearer(&gw, &slug, &mfa_token, Method::GET, "/v1/auth/me")
        .value()
        .await;
    assert_eq!(me["amr"], json!(["pwd", "otp", "mfa"]));
    // API keys: created, used as a bearer credential and exchanged for a token.
    let r = bearer(&gw, &slug, &mfa_token, Method::POST, "/v1/auth/api-keys")
        .json(&json!({ "name": "ci", "scopes": ["read"] }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let key: Value = r.json().await.unwrap();
    let api_key = key["api_key"].as_str().unwrap();
    let me = bearer(&gw, &slug, api_key, Method::GET, "/v1/auth/me")
        .value()
        .await;
    assert_eq!(
        (me["kind"].as_str(), me["scopes"].clone()),
        (Some("service"), json!(["read"]))
    );
    let sdk = in_tenant(&gw, &slug, Method::POST, "/v1/auth/sdk/token")
        .json(&json!({ "api_key": api_key }))
        .value()
        .await;
    assert!(sdk["access_token"].is_string());
    let listed = bearer(&gw, &slug, &mfa_token, Method::GET, "/v1/auth/api-keys")
        .value()
        .await;
    assert!(
        listed[0].get("api_key").is_none(),
        "the secret is shown only once"
    );
    let other_keys = bearer(
        &gw,
        &slug,
        &boss_token,
        Method::GET,
        &format!("/v1/auth/api-keys/{}", key["id"].as_str().unwrap()),
    )
    .go()
    .await;
    assert_eq!(other_keys.status(), 404, "another user's key");
    // A ticket hands Ana's login to another service, once.
    let ticket: Value = bearer(&gw, &slug, &mfa_token, Method::POST, "/v1/auth/tickets")
        .value()
        .await;
    let redeem = || {
        in_tenant(&gw, &slug, Method::POST, "/v1/auth/tickets/redeem")
            .json(&json!({ "ticket": ticket["ticket"] }))
    };
    let handed: Value = redeem().value().await;
    let me = bearer(
        &gw,
        &slug,
        handed["access_token"].as_str().unwrap(),
        Method::GET,
        "/v1/auth/me",
    )
    .value()
    .await;
    assert_eq!(me["subject"], ana["id"]);
    assert_eq!(redeem().go().await.status(), 401);
    // Only administrators manage users; locking Ana cuts her off.
    assert_eq!(
        bearer(&gw, &slug, &mfa_token, Method::GET, "/v1/users")
            .go()
            .await
            .status(),
        403
    );
    let path = format!("/v1/users/{}", ana["id"].as_str().unwrap());
    // A weak password in a change refuses the whole change.
    let r = bearer(&gw, &slug, &boss_token, Method::PATCH, &path)
        .json(&json!({ "status": "locked", "password": "password1" }))
        .go()
        .await;
    assert_eq!(r.status(), 400);
    let unchanged = bearer(&gw, &slug, &boss_token, Method::GET, &path)
        .value()
        .await;
    assert_eq!(unchanged["status"], "active");
    let r = bearer(&gw, &slug, &boss_token, Method::PATCH, &path)
        .json(&json!({ "status": "locked", "reset_mfa": true }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        bearer(&gw, &slug, &mfa_token, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status(),
        401
    );
    assert_eq!(
        login(&gw, &slug, "ana@example.com", PASSWORD)
            .await
            .status(),
        403
    );
    let users = bearer(&gw, &slug, &boss_token, Method::GET, "/v1/users")
        .value()
        .await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        bearer(&gw, &slug, &boss_token, Method::DELETE, &path)
            .go()
            .await
            .status(),
        204
    );
    assert_eq!(
        bearer(&gw, &slug, &boss_token, Method::GET, &path)
            .go()
            .await
            .status(),
        404
    );
    gw.stop().await;
}
