//! The security review's attacks, reproduced against the real server
//! binary as a process (not in-process), on the embedded default (SQLite)
//! and on PostgreSQL with Redis: each is refused with the exact status and
//! problem code, nothing changes where that is observable, and legitimate
//! use still works. The binary is the one cargo built, or the one
//! `CAAS_SERVER_BIN` names (CI points it at `target/release/caas-server` to
//! run these against what ships).

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};

use crate::gateway::harness::{ADMIN_KEY, Go, slug};
use crate::oauth_flow::{Flow, REDIRECT};
use crate::{MASTER_KEY, Server, client};

const PASSWORD: &str = "kamen-skarje-papir-1";

/// A tenant with guests allowed, on `server`, and its admin's token.
struct Tenant<'a> {
    server: &'a Server,
    slug: String,
    admin: String,
}

/// An ordinary user: id and access token.
struct User {
    id: String,
    token: String,
}

impl<'a> Tenant<'a> {
    async fn new(server: &'a Server) -> Tenant<'a> {
        let slug = slug();
        let r = client()
            .post(server.url("/v1/admin/tenants"))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({ "slug": slug, "name": "Attacks",
                "settings": { "extensions": { "auth": { "allow_guests": true } } },
                "admin": { "email": "boss@example.com", "password": PASSWORD } }))
            .go()
            .await;
        expect(r, 201, "create tenant").await;
        let mut t = Tenant {
            server,
            slug,
            admin: String::new(),
        };
        t.admin = t.login("boss@example.com").await;
        t
    }

    /// A request in the tenant, without credentials.
    fn anon(&self, method: Method, path: &str) -> RequestBuilder {
        client()
            .request(method, self.server.url(path))
            .header("x-tenant-id", &self.slug)
    }

    /// A request in the tenant with `token`.
    fn call(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.anon(method, path).bearer_auth(token)
    }

    async fn login(&self, who: &str) -> String {
        let r = self
            .anon(Method::POST, "/v1/auth/login")
            .json(&json!({ "login": who, "password": PASSWORD }))
            .go()
            .await;
        let v = expect(r, 200, &format!("login {who}")).await;
        v["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates the ordinary user `name` (as the tenant admin) and logs in.
    async fn user(&self, name: &str) -> User {
        let email = format!("{name}@example.com");
        let r = self
            .call(&self.admin, Method::POST, "/v1/users")
            .json(&json!({ "email": email, "username": name, "password": PASSWORD }))
            .go()
            .await;
        let v = expect(r, 201, &format!("create {name}")).await;
        User {
            id: v["id"].as_str().unwrap().to_owned(),
            token: self.login(&email).await,
        }
    }

    /// `POST /v1/auth/api-keys` with `token`.
    async fn make_key(&self, token: &str, body: Value) -> Response {
        self.call(token, Method::POST, "/v1/auth/api-keys")
            .json(&body)
            .go()
            .await
    }

    /// A key of `token`'s user with `scopes` (201): (key id, secret).
    async fn key(&self, token: &str, scopes: &[&str], what: &str) -> (String, String) {
        let r = self
            .make_key(token, json!({ "name": what, "scopes": scopes }))
            .await;
        let v = expect(r, 201, what).await;
        (
            v["id"].as_str().unwrap().to_owned(),
            v["api_key"].as_str().unwrap().to_owned(),
        )
    }

    /// The status of `GET /v1/auth/me` with `token`.
    async fn me(&self, token: &str) -> u16 {
        self.call(token, Method::GET, "/v1/auth/me")
            .go()
            .await
            .status()
            .as_u16()
    }

    /// `POST /v1/authz/roles/{role}/holders` naming the user `id`, with `token`.
    async fn assign(&self, token: &str, role: &str, id: &str) -> Response {
        self.call(
            token,
            Method::POST,
            &format!("/v1/authz/roles/{role}/holders"),
        )
        .json(&json!({ "principal": { "type": "User", "id": id } }))
        .go()
        .await
    }

    /// Whether the user `id` holds `role` directly, as the tenant admin sees it.
    async fn holds(&self, role: &str, id: &str) -> bool {
        let path = format!("/v1/authz/roles/{role}/holders");
        let v = self.call(&self.admin, Method::GET, &path).value().await;
        v["holders"]
            .as_array()
            .unwrap()
            .contains(&json!({ "type": "User", "id": id }))
    }

    /// The API keys of `token`'s user.
    async fn keys(&self, token: &str) -> Value {
        self.call(token, Method::GET, "/v1/auth/api-keys")
            .value()
            .await
    }
}

/// Asserts `r` is the problem `status`/`code`; its body.
async fn refused(r: Response, status: u16, code: &str, attack: &str) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(
        (got, body["code"].as_str()),
        (status, Some(code)),
        "{attack}: not refused as expected: {body}"
    );
    body
}

/// Asserts `r` answered `status`; its body.
async fn expect(r: Response, status: u16, what: &str) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn unique() -> String {
    caas_core::new_id(&caas_core::SystemClock)
        .simple()
        .to_string()
}

/// Attack 1: a guest asks for an API key carrying `authz:write`.
async fn a_guest_makes_no_key(server: &Server) {
    let t = Tenant::new(server).await;
    let r = t.anon(Method::POST, "/v1/auth/guest").go().await;
    assert_eq!(r.status(), 200, "guest sign-in");
    let guest: Value = r.json().await.unwrap();
    let token = guest["access_token"].as_str().unwrap();
    let attack = "guest → API key with authz:write";
    let r = t
        .make_key(token, json!({ "name": "x", "scopes": ["authz:write"] }))
        .await;
    refused(r, 403, "credential_not_allowed", attack).await;
    assert_eq!(
        t.keys(token).await,
        json!([]),
        "{attack}: the guest holds a key"
    );
}

/// Attack 2: an ordinary user asks for `authz:write`; a demoted admin keeps using
/// the key made while an admin.
async fn no_key_beyond_the_owner_rights(server: &Server) {
    let t = Tenant::new(server).await;
    let ana = t.user("ana").await;
    let attack = "ordinary user → API key with authz:write";
    let r = t
        .make_key(
            &ana.token,
            json!({ "name": "x", "scopes": ["authz:write"] }),
        )
        .await;
    let p = refused(r, 403, "insufficient_scope", attack).await;
    assert!(
        p["detail"].as_str().unwrap().contains("authz:write"),
        "{attack}: the problem does not name the scope: {p}"
    );
    assert_eq!(
        t.keys(&ana.token).await,
        json!([]),
        "{attack}: a key was made"
    );

    // Ana is an admin for a while and makes a key then.
    let attack = "demoted admin's key → make herself admin again";
    assert_eq!(t.assign(&t.admin, "admin", &ana.id).await.status(), 204);
    let (_, key) = t.key(&ana.token, &["authz:write"], "while admin").await;
    let r = t
        .call(
            &t.admin,
            Method::DELETE,
            &format!("/v1/authz/roles/admin/holders/User/{}", ana.id),
        )
        .go()
        .await;
    assert_eq!(r.status(), 204, "demote ana");
    assert!(!t.holds("admin", &ana.id).await);
    let r = t.assign(&key, "admin", &ana.id).await;
    refused(r, 403, "insufficient_scope_or_role", attack).await;
    assert!(
        !t.holds("admin", &ana.id).await,
        "{attack}: ana is an admin again"
    );
}

/// Attack 3: an ordinary user authorizes a client for `authz:write` and uses the
/// token to make herself an admin.
async fn no_oauth_self_admin(server: &Server) {
    let t = Tenant::new(server).await;
    let ana = t.user("ana").await;
    let r = t
        .call(&t.admin, Method::POST, "/v1/oauth/clients")
        .json(&json!({ "name": "App", "client_type": "confidential",
            "redirect_uris": [REDIRECT], "grant_types": ["authorization_code"],
            "scopes": ["authz:write"], "audiences": ["caas"] }))
        .go()
        .await;
    let app = expect(r, 201, "register client").await;
    let attack = "OAuth token with authz:write → self-admin";
    let flow = Flow {
        base: server.url(""),
        slug: &t.slug,
        client: &app,
        login: "ana@example.com",
        password: PASSWORD,
    };
    let token = flow.token("openid authz:write").await;
    let scope = token["scope"].as_str().unwrap_or_default();
    assert!(
        !scope.split(' ').any(|s| s == "authz:write"),
        "{attack}: the token carries authz:write: {token}"
    );
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(t.me(access).await, 200, "the delegated token authenticates");
    let r = t.assign(access, "admin", &ana.id).await;
    refused(r, 403, "insufficient_scope_or_role", attack).await;
    assert!(
        !t.holds("admin", &ana.id).await,
        "{attack}: ana is an admin"
    );
}

/// Attack 4: a disabled or deleted user's API key keeps working.
async fn keys_die_with_their_owner(server: &Server) {
    let t = Tenant::new(server).await;
    let (bojan, cene) = (t.user("bojan").await, t.user("cene").await);
    let (_, bojan_key) = t.key(&bojan.token, &[], "bojan's").await;
    let (_, cene_key) = t.key(&cene.token, &[], "cene's").await;
    assert_eq!(t.me(&bojan_key).await, 200, "bojan's key before");
    assert_eq!(t.me(&cene_key).await, 200, "cene's key before");
    let r = t
        .call(&t.admin, Method::PATCH, &format!("/v1/users/{}", bojan.id))
        .json(&json!({ "status": "disabled" }))
        .go()
        .await;
    expect(r, 200, "disable bojan").await;
    assert_eq!(t.me(&bojan_key).await, 401, "disabled owner's key");
    assert_eq!(t.me(&bojan.token).await, 401, "disabled owner's session");
    let r = t
        .call(&t.admin, Method::DELETE, &format!("/v1/users/{}", cene.id))
        .go()
        .await;
    assert_eq!(r.status(), 204, "delete cene");
    assert_eq!(t.me(&cene_key).await, 401, "deleted owner's key");
    let r = t.make_key(&cene_key, json!({ "name": "again" })).await;
    assert_eq!(r.status(), 401, "deleted owner's key makes a key");
}

/// Attack 5: a key that expires after `u64::MAX` seconds (an overflow).
async fn no_overflowing_expiry(server: &Server) {
    let t = Tenant::new(server).await;
    let dana = t.user("dana").await;
    let attack = "expires_in: u64::MAX";
    let forever = json!({ "name": "forever", "expires_in": u64::MAX });
    let r = t.make_key(&dana.token, forever).await;
    let p = refused(r, 400, "invalid_input", attack).await;
    assert_eq!(p["field"], "expires_in", "{attack}: {p}");
    let r = t
        .call(&dana.token, Method::GET, "/v1/auth/api-keys")
        .go()
        .await;
    let keys = expect(r, 200, "the list after expires_in: u64::MAX").await;
    assert_eq!(keys, json!([]), "{attack}: a key was made");
}

/// The entries on `Doc/{doc}`, as the tenant admin sees them: (id, principal id, role).
async fn acl(t: &Tenant<'_>, doc: &str) -> Vec<(String, String, String)> {
    let path = format!("/v1/authz/resources/Doc/{doc}/acl");
    let v = t.call(&t.admin, Method::GET, &path).value().await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            (s(&e["id"]), s(&e["principal"]["id"]), s(&e["role"]))
        })
        .collect()
}

/// `POST /v1/authz/resources/Doc/{doc}/acl` with `token`.
async fn share(t: &Tenant<'_>, token: &str, doc: &str, id: &str, role: &str) -> Response {
    let path = format!("/v1/authz/resources/Doc/{doc}/acl");
    t.call(token, Method::POST, &path)
        .json(&json!({ "principal": { "type": "User", "id": id }, "role": role }))
        .go()
        .await
}

/// Attack 6: a resource's admin shares above its own role, or removes its owner;
/// and (legitimate) the tenant admin's key assigns a role, the tenant
/// admin shares `owner`, and that owner adds a viewer.
async fn no_share_above_own_role(server: &Server) {
    let t = Tenant::new(server).await;
    let (a, b, c, d) = (
        t.user("ana").await,
        t.user("bojan").await,
        t.user("cene").await,
        t.user("dana").await,
    );
    // The tenant admin's own key with authz:write makes them viewers of the
    // tenant (the base role for the ACL routes).
    let (_, admin_key) = t.key(&t.admin, &["authz:write"], "admin's").await;
    for u in [&a, &b, &c, &d] {
        let r = t.assign(&admin_key, "viewer", &u.id).await;
        expect(r, 204, "the admin's key assigns a role").await;
        assert!(t.holds("viewer", &u.id).await);
    }
    let doc = "plan";
    let r = share(&t, &t.admin, doc, &a.id, "owner").await;
    expect(r, 201, "the tenant admin shares owner").await;
    let r = share(&t, &t.admin, doc, &b.id, "admin").await;
    assert_eq!(r.status(), 201, "the tenant admin shares admin");
    let r = share(&t, &a.token, doc, &d.id, "viewer").await;
    expect(r, 201, "the owner adds a viewer").await;
    let before = acl(&t, doc).await;
    assert_eq!(before.len(), 3, "{before:?}");

    let r = share(&t, &b.token, doc, &c.id, "owner").await;
    let attack = "resource admin grants owner";
    refused(r, 403, "share_above_own_role", attack).await;
    let (owner_entry, _, _) = before
        .iter()
        .find(|(_, who, role)| *who == a.id && role == "owner")
        .unwrap()
        .clone();
    let r = t
        .call(
            &b.token,
            Method::DELETE,
            &format!("/v1/authz/resources/Doc/{doc}/acl/{owner_entry}"),
        )
        .go()
        .await;
    let attack = "resource admin removes the owner";
    refused(r, 403, "share_above_own_role", attack).await;
    assert_eq!(acl(&t, doc).await, before, "{attack}: the ACL changed");
}

/// Attack 7: caller-supplied roles on `/v1/authz/check`.
async fn no_caller_supplied_roles(server: &Server) {
    let t = Tenant::new(server).await;
    let ana = t.user("ana").await;
    let check = json!({ "principal": { "type": "User", "id": ana.id }, "roles": ["admin"],
                        "action": "share", "resource": { "type": "Doc", "id": "plan" } });
    let attack = "ordinary user claims roles on /v1/authz/check";
    // An ordinary user's token does not reach the decision at all.
    let r = t
        .call(&ana.token, Method::POST, "/v1/authz/check")
        .json(&check)
        .go()
        .await;
    refused(r, 403, "insufficient_scope_or_role", attack).await;
    // Whoever passes the route check without being a trusted service (the
    // tenant admin's own session) is not believed either.
    let r = t
        .call(&t.admin, Method::POST, "/v1/authz/check")
        .json(&check)
        .go()
        .await;
    let attack = "a user's session vouches for roles";
    refused(r, 403, "roles_not_trusted", attack).await;
    // Without roles the decision is made on what ana holds: nothing.
    let mut plain = check.clone();
    plain.as_object_mut().unwrap().remove("roles");
    let r = t
        .call(&t.admin, Method::POST, "/v1/authz/check")
        .json(&plain)
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["allow"], false, "{attack}: {d}");
}

/// Legitimate use: an ordinary user's key without scopes reads `/v1/auth/me`.
async fn an_ordinary_key_still_works(server: &Server) {
    let t = Tenant::new(server).await;
    let ema = t.user("ema").await;
    let (id, key) = t.key(&ema.token, &[], "ema's").await;
    let r = t.call(&key, Method::GET, "/v1/auth/me").go().await;
    assert_eq!(r.status(), 200, "an ordinary key on /v1/auth/me");
    let me: Value = r.json().await.unwrap();
    assert_eq!(
        (me["subject"].as_str(), me["kind"].as_str()),
        (Some(format!("apikey:{id}").as_str()), Some("service")),
        "{me}"
    );
    let keys = t.keys(&ema.token).await;
    assert_eq!(keys[0]["id"], id.as_str(), "the key is ema's: {keys}");
}

async fn every_attack(server: &Server) {
    a_guest_makes_no_key(server).await;
    no_key_beyond_the_owner_rights(server).await;
    no_oauth_self_admin(server).await;
    keys_die_with_their_owner(server).await;
    no_overflowing_expiry(server).await;
    no_share_above_own_role(server).await;
    no_caller_supplied_roles(server).await;
    an_ordinary_key_still_works(server).await;
}

/// Starts the server with `extra` flags. Every request comes from
/// 127.0.0.1, so the per-IP limit on authentication routes (30/min by
/// default; `gateway::limits` tests it) is lifted through a config file.
async fn start(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("caas.toml");
    std::fs::write(&config, "[rate_limits]\nip_auth = \"off\"\n").unwrap();
    let mut args = vec!["--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    (Server::start(&args).await, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded() {
    let (server, _config) = start(&["--admin-key", ADMIN_KEY]).await;
    every_attack(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_redis() {
    let Some(db) = caas_core::testkit::backend_url("CAAS_TEST_DATABASE_URL") else {
        return;
    };
    let Some(redis) = caas_core::testkit::backend_url("CAAS_TEST_REDIS_URL") else {
        return;
    };
    let id = unique();
    let schema = format!("caas_atk_{id}");
    let prefix = format!("atk{}", &id[id.len() - 20..]);
    let mut admin = PgConnection::connect(&db).await.unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .unwrap();
    let (server, _config) = start(&[
        "--admin-key",
        ADMIN_KEY,
        "--master-key",
        MASTER_KEY,
        "--database-url",
        &db,
        "--database-schema",
        &schema,
        "--redis-url",
        &redis,
        "--redis-prefix",
        &prefix,
    ])
    .await;
    every_attack(&server).await;
    drop(server);
    admin
        .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .await
        .unwrap();
}
