//! A restart forgets no revocation: on the embedded default (SQLite, the
//! in-memory cache), a logged-out access token, a refresh family revoked
//! for reuse and a disabled user's tokens stay refused after the process
//! is killed and started again on the same data directory — while a
//! credential nobody revoked keeps working.

use reqwest::Method;
use serde_json::{Value, json};

use crate::gateway::harness::{ADMIN_KEY, Go, slug};
use crate::{Server, client};

const PASSWORD: &str = "kamen-skarje-papir-1";

/// The issuer must not change with the port between the two starts.
const ARGS: [&str; 4] = [
    "--admin-key",
    ADMIN_KEY,
    "--public-url",
    "http://caas-restart.test",
];

fn call(server: &Server, tenant: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    client()
        .request(method, server.url(path))
        .header("x-tenant-id", tenant)
}

async fn login(server: &Server, tenant: &str, who: &str) -> Value {
    let r = call(server, tenant, Method::POST, "/v1/auth/login")
        .json(&json!({ "login": who, "password": PASSWORD }))
        .go()
        .await;
    assert_eq!(r.status(), 200, "login {who}");
    r.json().await.unwrap()
}

async fn me(server: &Server, tenant: &str, pair: &Value) -> u16 {
    call(server, tenant, Method::GET, "/v1/auth/me")
        .bearer_auth(pair["access_token"].as_str().unwrap())
        .go()
        .await
        .status()
        .as_u16()
}

async fn refresh(server: &Server, tenant: &str, pair: &Value) -> reqwest::Response {
    call(server, tenant, Method::POST, "/v1/auth/refresh")
        .json(&json!({ "refresh_token": pair["refresh_token"] }))
        .go()
        .await
}

/// What must stay refused, and what must keep working.
struct Credentials {
    logged_out: Value,
    reused: Value,
    rotated: Value,
    disabled: Value,
    valid: Value,
}

async fn assert_refused(server: &Server, tenant: &str, c: &Credentials, when: &str) {
    assert_eq!(
        me(server, tenant, &c.logged_out).await,
        401,
        "{when}: logout"
    );
    assert_eq!(
        refresh(server, tenant, &c.logged_out).await.status(),
        401,
        "{when}: the logged-out session's refresh token"
    );
    assert_eq!(
        refresh(server, tenant, &c.reused).await.status(),
        401,
        "{when}: the reused refresh token"
    );
    assert_eq!(
        refresh(server, tenant, &c.rotated).await.status(),
        401,
        "{when}: the family revoked for reuse"
    );
    assert_eq!(
        me(server, tenant, &c.rotated).await,
        401,
        "{when}: the access token of the family revoked for reuse"
    );
    assert_eq!(
        me(server, tenant, &c.disabled).await,
        401,
        "{when}: the disabled user's access token"
    );
    assert_eq!(
        refresh(server, tenant, &c.disabled).await.status(),
        401,
        "{when}: the disabled user's refresh token"
    );
    assert_eq!(
        me(server, tenant, &c.valid).await,
        200,
        "{when}: a credential nobody revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_forgets_no_revocation() {
    let server = Server::start_in(tempfile::tempdir().unwrap(), &ARGS).await;
    let tenant = slug();
    let r = client()
        .post(server.url("/v1/admin/tenants"))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "slug": tenant, "name": "Restart" }))
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mut ids = Vec::new();
    for who in ["ana", "bojan", "cene", "dana"] {
        let user = call(&server, &tenant, Method::POST, "/v1/users")
            .bearer_auth(ADMIN_KEY)
            .json(&json!({ "username": who, "password": PASSWORD }))
            .value()
            .await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }

    // Ana logs out one of her two sessions.
    let logged_out = login(&server, &tenant, "ana").await;
    let ana_other = login(&server, &tenant, "ana").await;
    let r = call(&server, &tenant, Method::POST, "/v1/auth/logout")
        .bearer_auth(logged_out["access_token"].as_str().unwrap())
        .go()
        .await;
    assert_eq!(r.status(), 204);
    // Bojan's first refresh token is presented again after its rotation.
    let reused = login(&server, &tenant, "bojan").await;
    let rotated = refresh(&server, &tenant, &reused).await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    assert_eq!(refresh(&server, &tenant, &reused).await.status(), 401);
    // Cene is disabled by the tenant's administrator.
    let disabled = login(&server, &tenant, "cene").await;
    let r = call(
        &server,
        &tenant,
        Method::PATCH,
        &format!("/v1/users/{}", ids[2]),
    )
    .bearer_auth(ADMIN_KEY)
    .json(&json!({ "status": "disabled" }))
    .go()
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let valid = login(&server, &tenant, "dana").await;
    let credentials = Credentials {
        logged_out,
        reused,
        rotated,
        disabled,
        valid,
    };
    assert_refused(&server, &tenant, &credentials, "before the restart").await;
    assert_eq!(me(&server, &tenant, &ana_other).await, 200);

    // Killed (nothing is flushed on the way out) and started again.
    let dir = server.kill();
    let server = Server::start_in(dir, &ARGS).await;
    assert_refused(&server, &tenant, &credentials, "after the restart").await;
    assert_eq!(
        me(&server, &tenant, &ana_other).await,
        200,
        "ana's other session"
    );
    // The unrevoked refresh token still rotates.
    assert_eq!(
        refresh(&server, &tenant, &credentials.valid).await.status(),
        200
    );
}
