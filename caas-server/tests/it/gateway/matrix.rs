//! The access matrix as data: every operation of `/openapi.json` has a
//! row in `access_matrix.txt` naming who may call it ([`Rule`]), and
//! [`expected`] says — from the security model, not from the server's own
//! table — what each kind of caller ([`Profile`]) gets: through (any answer
//! but 401/403), 401 or 403. The test calls every operation as every
//! profile against the real router on both stacks and lists every cell
//! that differs. An operation without a row, or a row without an
//! operation, fails it.
//!
//! Requests are built to change nothing when they get through: ids that
//! do not exist, and bodies of no operation's shape (a JSON string, so a
//! handler answers 4xx after the access checks), except where a real body
//! is needed to reach the handler's own check (minting a key, assigning a
//! role). What ends a credential (logout, signing-key rotation) runs last.

use std::fmt;

use caas_auth::api_keys::ApiKeyInput;
use caas_core::rights::PLATFORM_SCOPES;
use reqwest::Method;
use serde_json::{Value, json};

use crate::oauth_flow::{Flow, REDIRECT, browser};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";
/// An id nothing has.
const NOBODY: &str = "0190f5a0-0000-7000-8000-000000000000";

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Past every access check: any status but 401 and 403.
    Through,
    /// 401.
    Unauthenticated,
    /// 403.
    Forbidden,
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Operations, discovery, sign-up and login: no credential needed, but
    /// one that is presented must be valid in this tenant.
    Open,
    /// The tenant's OpenID Provider: it authenticates its own clients; the
    /// gateway reads no bearer token there.
    Provider,
    /// The provider's userinfo: an OAuth access token with `openid` only.
    UserInfo,
    /// Any principal, acting for itself (the platform admin too).
    Principal,
    /// Any principal of this tenant (the platform admin's key is of none).
    Tenanted,
    /// A person acting for themselves — a user's or a guest's token, or an
    /// OAuth token a user delegated: their sessions, keys, games, devices,
    /// messages. An API key or a service acts for no person here.
    Person,
    /// Making a credential: a user for themselves (or through a token the
    /// user delegated, capped by the user); guests, keys and services may not.
    Mint,
    /// Changing a second factor: a person whose session proved one (no
    /// caller here has; the MFA tests cover the way through).
    StepUp,
    /// A platform scope, or the tenant role `admin`: the scope counts only
    /// on a credential whose owner is an admin, or on the tenant's own
    /// service (a client-credentials token of a client an admin registered).
    Scope(&'static str),
    /// The tenant role `admin` (a key holds no role, whatever its owner).
    Admin,
    /// A resource's ACL: its sharers (nobody, for a resource no one shares)
    /// and tenant admins.
    Resource,
    /// The platform admin.
    Platform,
}

/// A kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Anonymous,
    /// An administrator of another tenant, with that tenant's token.
    OtherTenantAdmin,
    Guest,
    /// An ordinary user, signed in.
    User,
    /// The user's API key; with a platform scope, a key made before the
    /// scope was checked against its owner.
    UserKey(Option<&'static str>),
    /// A tenant admin's API key.
    AdminKey(Option<&'static str>),
    /// An OAuth access token the user delegated to a client that may ask
    /// for every platform scope.
    Delegated,
    /// A client-credentials token of a client with every platform scope.
    Service,
    TenantAdmin,
    PlatformAdmin,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Profile::UserKey(Some(s)) => write!(f, "UserKey({s})"),
            Profile::AdminKey(Some(s)) => write!(f, "AdminKey({s})"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// What `profile` gets on an operation with `rule`: the security model.
fn expected(rule: Rule, profile: Profile) -> Outcome {
    use Outcome::{Forbidden, Through, Unauthenticated};
    use Profile::*;
    match (rule, profile) {
        (Rule::Provider, _) => Through,
        (Rule::UserInfo, Delegated) => Through,
        (Rule::UserInfo, _) => Unauthenticated,
        (Rule::Open, OtherTenantAdmin) => Unauthenticated,
        (Rule::Open, _) => Through,
        (_, Anonymous | OtherTenantAdmin) => Unauthenticated,
        (Rule::StepUp, _) => Forbidden,
        (Rule::Person, Guest | User | Delegated | TenantAdmin) => Through,
        (Rule::Mint, User | Delegated | TenantAdmin) => Through,
        (Rule::Person | Rule::Mint, _) => Forbidden,
        (Rule::Tenanted, PlatformAdmin) => Forbidden,
        (_, PlatformAdmin) => Through,
        (Rule::Platform, _) => Forbidden,
        (Rule::Principal | Rule::Tenanted, _) => Through,
        (Rule::Scope(s), AdminKey(Some(k))) if k == s => Through,
        (Rule::Scope(_), Service | TenantAdmin) => Through,
        (Rule::Admin | Rule::Resource, TenantAdmin) => Through,
        _ => Forbidden,
    }
}

use Rule::{
    Admin, Mint, Open, Person, Platform, Principal, Provider, Resource, Scope, StepUp, Tenanted,
    UserInfo,
};

/// The rows (METHOD PATH RULE), written by hand in `access_matrix.txt`.
const ROWS: &str = include_str!("access_matrix.txt");

fn rule(name: &str) -> Rule {
    if let Some(scope) = name
        .strip_prefix("Scope(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let scope = PLATFORM_SCOPES
            .iter()
            .find(|(s, _)| *s == scope)
            .unwrap_or_else(|| panic!("`{scope}` is not a platform scope"));
        return Scope(scope.0);
    }
    match name {
        "Open" => Open,
        "Provider" => Provider,
        "UserInfo" => UserInfo,
        "Principal" => Principal,
        "Tenanted" => Tenanted,
        "Person" => Person,
        "Mint" => Mint,
        "StepUp" => StepUp,
        "Admin" => Admin,
        "Resource" => Resource,
        "Platform" => Platform,
        other => panic!("no rule `{other}`"),
    }
}

/// Every row: (method, path, rule).
fn rows() -> Vec<(&'static str, &'static str, Rule)> {
    ROWS.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "a row is METHOD PATH RULE: {l}");
            (f[0], f[1], rule(f[2]))
        })
        .collect()
}

/// Operations that end the caller's credentials or the tenant's signing
/// keys: run after everything else, rotation before logout.
const LAST: [(&str, &str); 2] = [
    ("POST", "/v1/tenant/keys/rotate"),
    ("POST", "/v1/auth/logout"),
];

/// Every documented operation: (method, path).
fn documented() -> Vec<(String, String)> {
    let doc: Value = serde_json::to_value(caas_server::openapi()).unwrap();
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "put", "post", "delete", "patch"] {
            if item.get(m).is_some() {
                all.push((m.to_uppercase(), path.clone()));
            }
        }
    }
    all
}

#[test]
fn every_operation_has_a_row_and_every_row_an_operation() {
    let documented = documented();
    let rows: Vec<(String, String)> = rows()
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = documented.iter().filter(|o| !rows.contains(o)).collect();
    let stale: Vec<_> = rows.iter().filter(|r| !documented.contains(r)).collect();
    assert!(missing.is_empty(), "operations without a row: {missing:?}");
    assert!(stale.is_empty(), "rows without an operation: {stale:?}");
    let mut seen = std::collections::HashSet::new();
    assert!(rows.iter().all(|r| seen.insert(r.clone())), "a row twice");
}

/// The path with its parameters filled so that nothing exists there.
fn concrete(path: &str, tenant: &str) -> String {
    let tenant_slug = if path.starts_with("/t/") {
        tenant
    } else {
        "no-such-tenant"
    };
    path.replace("{slug}", tenant_slug)
        .replace("{provider}", "nowhere")
        .replace("{type}", "Doc")
        .replace("{name}", "admin")
        .replace("{purpose}", "no-such-purpose")
        .replace("{device_id}", "matrix-device")
        .replace("{user_id}", NOBODY)
        .replace("{entry}", NOBODY)
        .replace("{delivery_id}", NOBODY)
        .replace("{id}", NOBODY)
}

/// The body sent: a real one where the handler's own check is the point,
/// else a JSON string (of no operation's shape: serde reads a struct from
/// an array, never from a string) where the operation takes one.
fn body(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("POST", "/v1/auth/api-keys") => Some(json!({ "name": "matrix" })),
        ("POST", "/v1/authz/roles/{name}/holders") => {
            Some(json!({ "principal": { "type": "User", "id": NOBODY } }))
        }
        ("POST" | "PUT" | "PATCH", _) => Some(json!("not a body")),
        _ => None,
    }
}

/// The credentials of every profile, in tenant `slug`.
struct Callers {
    /// One HTTP client for every call (building one costs more than a call).
    http: reqwest::Client,
    slug: String,
    bearer: Vec<(Profile, Option<String>)>,
}

async fn login(gw: &Gateway, slug: &str, who: &str) -> String {
    let r = gw
        .anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", slug)
        .json(&json!({ "login": who, "password": PASSWORD }))
        .go()
        .await;
    assert_eq!(r.status(), 200, "login {who}");
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn tenant_with_admin(gw: &Gateway, settings: Value) -> String {
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(
            &json!({ "slug": slug, "name": "Matrix", "settings": settings,
                       "admin": { "email": "boss@example.com", "password": PASSWORD } }),
        )
        .go()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    slug
}

async fn post_as(gw: &Gateway, slug: &str, bearer: &str, path: &str, body: Value) -> Value {
    let r = gw
        .anon(Method::POST, path)
        .header("x-tenant-id", slug)
        .bearer_auth(bearer)
        .json(&body)
        .go()
        .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn callers(gw: &Gateway) -> Callers {
    let guests = json!({ "extensions": { "auth": { "allow_guests": true } } });
    let slug = tenant_with_admin(gw, guests).await;
    let other = tenant_with_admin(gw, json!({})).await;
    let admin = login(gw, &slug, "boss@example.com").await;
    let user = post_as(
        gw,
        &slug,
        &admin,
        "/v1/users",
        json!({ "email": "ana@example.com", "username": "ana", "password": PASSWORD }),
    )
    .await;
    let user_token = login(gw, &slug, "ana@example.com").await;
    let guest = gw
        .anon(Method::POST, "/v1/auth/guest")
        .header("x-tenant-id", &slug)
        .value()
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut bearer = vec![
        (Profile::Anonymous, None),
        (
            Profile::OtherTenantAdmin,
            Some(login(gw, &other, "boss@example.com").await),
        ),
        (Profile::Guest, Some(guest)),
        (Profile::User, Some(user_token.clone())),
        (Profile::TenantAdmin, Some(admin.clone())),
        (
            Profile::PlatformAdmin,
            Some(super::harness::ADMIN_KEY.into()),
        ),
    ];
    let key = |scopes: Vec<&str>| json!({ "name": "matrix", "scopes": scopes });
    let made = post_as(gw, &slug, &user_token, "/v1/auth/api-keys", key(vec![])).await;
    bearer.push((
        Profile::UserKey(None),
        made["api_key"].as_str().map(Into::into),
    ));
    let made = post_as(gw, &slug, &admin, "/v1/auth/api-keys", key(vec![])).await;
    bearer.push((
        Profile::AdminKey(None),
        made["api_key"].as_str().map(Into::into),
    ));
    let tenant_id: caas_core::TenantId = gw.tenant_id(&slug).await.parse().unwrap();
    let user_id = user["id"].as_str().unwrap();
    let scopes: Vec<&'static str> = PLATFORM_SCOPES.iter().map(|(s, _)| *s).collect();
    for &scope in &scopes {
        // A key of the user's with a scope its owner lacks: one made before
        // the check, written behind the API (which now refuses it).
        let input = ApiKeyInput {
            name: "legacy".into(),
            scopes: vec![scope.into()],
            expires_in: None,
        };
        let (_, secret) = gw
            .state
            .auth
            .parts()
            .api_keys
            .create(&tenant_id, user_id, &input)
            .await
            .unwrap();
        bearer.push((Profile::UserKey(Some(scope)), Some(secret.expose().clone())));
        let made = post_as(gw, &slug, &admin, "/v1/auth/api-keys", key(vec![scope])).await;
        bearer.push((
            Profile::AdminKey(Some(scope)),
            made["api_key"].as_str().map(Into::into),
        ));
    }

    // The tenant's service, and a client a user delegates to; both may ask
    // for every platform scope and call the tenant's API.
    let mut all = scopes.clone();
    all.push("openid");
    let service = post_as(
        gw,
        &slug,
        &admin,
        "/v1/oauth/clients",
        json!({ "name": "Service", "client_type": "confidential",
                "grant_types": ["client_credentials"], "scopes": scopes, "audiences": ["caas"] }),
    )
    .await;
    let r = browser()
        .post(gw.url(&format!("/t/{slug}/oauth2/token")))
        .basic_auth(
            service["id"].as_str().unwrap(),
            service["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scopes.join(" ").as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let token: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "client credentials: {token}");
    assert_eq!(token["scope"], scopes.join(" "), "the service's own scopes");
    bearer.push((
        Profile::Service,
        token["access_token"].as_str().map(Into::into),
    ));
    let app = post_as(
        gw,
        &slug,
        &admin,
        "/v1/oauth/clients",
        json!({ "name": "App", "client_type": "confidential", "redirect_uris": [REDIRECT],
                "grant_types": ["authorization_code"], "scopes": scopes, "audiences": ["caas"] }),
    )
    .await;
    let flow = Flow {
        base: gw.url(""),
        slug: &slug,
        client: &app,
        login: "ana@example.com",
        password: PASSWORD,
    };
    let token = flow.token(&all.join(" ")).await;
    assert_eq!(
        token["scope"], "openid",
        "a token for a user carries no right the user lacks: {token}"
    );
    bearer.push((
        Profile::Delegated,
        token["access_token"].as_str().map(Into::into),
    ));
    Callers {
        http: crate::client(),
        slug,
        bearer,
    }
}

/// Calls `method path` as `profile`; the outcome and the answer's start.
async fn call(
    gw: &Gateway,
    c: &Callers,
    token: Option<&str>,
    method: &str,
    path: &str,
) -> (Outcome, String) {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = c
        .http
        .request(m, gw.url(&concrete(path, &c.slug)))
        .header("x-tenant-id", &c.slug);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body(method, path) {
        req = req.json(&b);
    }
    let r = req.go().await;
    let status = r.status().as_u16();
    let outcome = match status {
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        _ => Outcome::Through,
    };
    assert!(status < 500, "{method} {path}: {status}");
    let text = r.text().await.unwrap_or_default();
    (
        outcome,
        format!("{status} {}", &text[..text.len().min(160)]),
    )
}

async fn the_access_matrix_holds(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |c| {
        c.ip_limits.all = None;
        c.ip_limits.auth = None;
        c.plans = caas_server::config::Plans::new(
            [(
                "default".to_owned(),
                caas_server::config::Plan {
                    requests: None,
                    auth_requests: None,
                    monthly_requests: None,
                },
            )]
            .into(),
        );
    })
    .await
    else {
        return;
    };
    let c = callers(&gw).await;
    let all = rows();
    let mut order: Vec<&(&str, &str, Rule)> = all
        .iter()
        .filter(|(m, p, _)| !LAST.contains(&(*m, *p)))
        .collect();
    for last in LAST {
        order.push(all.iter().find(|(m, p, _)| (*m, *p) == last).unwrap());
    }
    let mut wrong = Vec::new();
    let mut cells = 0;
    for (method, path, rule) in order {
        for (profile, token) in &c.bearer {
            let (got, answer) = call(&gw, &c, token.as_deref(), method, path).await;
            cells += 1;
            let want = expected(*rule, *profile);
            if got != want {
                wrong.push(format!(
                    "{method} {path} as {profile}: {got:?}, expected {want:?} ({rule:?}): {answer}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    gw.stop().await;
}

on_both_stacks!(the_access_matrix_holds);
