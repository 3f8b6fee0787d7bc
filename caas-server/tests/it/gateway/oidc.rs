//! The OpenID Provider over HTTP: discovery, errors shown or redirected,
//! the login form (CSRF, Slovenian text, branding, the pages' CSP and
//! cookie flags), the code exchange with Basic client authentication
//! (which the gateway's bearer check leaves alone), OAuth error bodies,
//! and cross-tenant introspection. The full flow with a real client
//! library is `.ci/interop` (npm openid-client).

use reqwest::Method;
use serde_json::{Value, json};

use crate::oauth_flow::{CHALLENGE, REDIRECT, VERIFIER, browser, field};

use super::harness::{Gateway, Go, Stack, on_both_stacks, slug};

const PASSWORD: &str = "kamen-skarje-papir-1";

struct Setup {
    slug: String,
    client_id: String,
    secret: String,
}

async fn setup(gw: &Gateway, settings: Value) -> Setup {
    let slug = slug();
    let r = gw
        .admin(Method::POST, "/v1/admin/tenants")
        .json(
            &json!({ "slug": slug, "name": "Provider", "settings": settings,
                       "admin": { "email": "boss@example.com", "password": PASSWORD } }),
        )
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let login: Value = gw
        .anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", &slug)
        .json(&json!({ "login": "boss@example.com", "password": PASSWORD }))
        .go()
        .await
        .json()
        .await
        .unwrap();
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let client: Value = gw
        .anon(Method::POST, "/v1/oauth/clients")
        .header("x-tenant-id", &slug)
        .bearer_auth(&admin)
        .json(&json!({ "name": "Shop <b>", "client_type": "confidential",
                       "redirect_uris": [REDIRECT],
                       "grant_types": ["authorization_code", "client_credentials"],
                       "scopes": ["orders:read"] }))
        .go()
        .await
        .json()
        .await
        .unwrap();
    Setup {
        slug,
        client_id: client["id"].as_str().unwrap().to_owned(),
        secret: client["client_secret"].as_str().unwrap().to_owned(),
    }
}

fn authorize_url(gw: &Gateway, s: &Setup, extra: &str) -> String {
    gw.url(&format!(
        "/t/{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20email&state=st&nonce=n&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        s.slug,
        s.client_id,
        url_escape(REDIRECT)
    ))
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_pairs(set: &[String]) -> String {
    set.iter()
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

async fn the_provider_over_http(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let branding = json!({ "extensions": { "branding": {
        "display_name": "Trgovina", "primary_color": "#aa0000", "logo_url": "javascript:alert(1)" } } });
    let s = setup(&gw, branding).await;
    let b = browser();
    // No guests here: no guest button.
    {
        let r = b.get(authorize_url(&gw, &s, "")).send().await.unwrap();
        let page = b
            .get(gw.url(r.headers()["location"].to_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert!(!page.text().await.unwrap().contains("/oauth2/login/guest"));
    }

    // Discovery names this tenant's endpoints.
    let d: Value = b
        .get(gw.url(&format!("/t/{}/.well-known/openid-configuration", s.slug)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = d["issuer"].as_str().unwrap().to_owned();
    assert!(issuer.ends_with(&format!("/t/{}", s.slug)), "{issuer}");
    assert_eq!(d["token_endpoint"], format!("{issuer}/oauth2/token"));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));

    // A redirect URI that is not registered: an HTML error page, no redirect.
    let bad = authorize_url(&gw, &s, "").replace(
        &url_escape(REDIRECT),
        &url_escape("https://evil.example.com/cb"),
    );
    let r = b.get(bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        ct.starts_with("text/html"),
        "{ct}: {}",
        r.text().await.unwrap()
    );
    assert!(r.text().await.unwrap().contains("not registered"));

    // Missing PKCE: back to the client with `invalid_request` and the state.
    let no_pkce = authorize_url(&gw, &s, "").replace(
        &format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"),
        "",
    );
    let r = b.get(no_pkce).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        loc.starts_with(REDIRECT)
            && loc.contains("error=invalid_request")
            && loc.contains("state=st"),
        "{loc}"
    );

    // To the login page, in Slovenian, branded, escaped, with its own CSP.
    let r = b
        .get(authorize_url(&gw, &s, "&ui_locales=sl"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let login_page = gw.url(r.headers()["location"].to_str().unwrap());
    let r = b.get(&login_page).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let cookies = set_cookies(&r);
    assert!(
        cookies.iter().all(|c| c.contains("HttpOnly")
            && c.contains("SameSite=Lax")
            && c.contains(&format!("Path=/t/{}/", s.slug))),
        "{cookies:?}"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<html lang="sl">"#) && html.contains("Geslo"),
        "{html}"
    );
    assert!(html.contains("Trgovina") && html.contains("#aa0000"));
    assert!(
        !html.contains("javascript:alert"),
        "an unsafe logo URL is dropped"
    );
    // The client's name, escaped by the template engine (numeric references).
    assert!(html.contains("Shop &#60;b&#62;") && !html.contains("Shop <b>"));
    let request = field(&html, "request");
    let csrf = field(&html, "csrf");
    let jar = cookie_pairs(&cookies);
    let post = |form: Vec<(&str, String)>, jar: String| {
        b.post(gw.url(&format!("/t/{}/oauth2/login", s.slug)))
            .header("cookie", jar)
            .form(&form)
            .send()
    };
    // A forged form (no CSRF cookie) is refused and logs nobody in.
    let r = post(
        vec![
            ("csrf", csrf.clone()),
            ("request", request.clone()),
            ("login", "boss@example.com".into()),
            ("password", PASSWORD.into()),
        ],
        String::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    // A wrong password shows the form again with the error.
    let r = post(
        vec![
            ("csrf", csrf.clone()),
            ("request", request.clone()),
            ("login", "boss@example.com".into()),
            ("password", "wrong-password".into()),
        ],
        jar.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    // The right one: on to consent (a third-party client).
    let r = post(
        vec![
            ("csrf", csrf.clone()),
            ("request", request.clone()),
            ("login", "boss@example.com".into()),
            ("password", PASSWORD.into()),
        ],
        jar.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/oauth2/consent?request=")
    );
    let consent_page = gw.url(r.headers()["location"].to_str().unwrap());
    let jar = format!("{jar}; {}", cookie_pairs(&set_cookies(&r)));
    // The login page's token was bound to the browser before it logged in:
    // the consent form takes the consent page's own.
    let stale = b
        .post(gw.url(&format!("/t/{}/oauth2/consent", s.slug)))
        .header("cookie", &jar)
        .form(&[
            ("csrf", csrf.as_str()),
            ("request", request.as_str()),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 403);
    let html = b
        .get(&consent_page)
        .header("cookie", &jar)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&html, "csrf");
    let r = b
        .post(gw.url(&format!("/t/{}/oauth2/consent", s.slug)))
        .header("cookie", &jar)
        .form(&[
            ("csrf", csrf.as_str()),
            ("request", request.as_str()),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let back = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st");
    assert_eq!(q["iss"], issuer);
    let code = q["code"].clone();

    // The token endpoint: a wrong secret is 401 `invalid_client` (JSON, with a challenge).
    let token_url = gw.url(&format!("/t/{}/oauth2/token", s.slug));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let r = b
        .post(&token_url)
        .basic_auth(&s.client_id, Some("cs_wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_client");
    let r = b
        .post(&token_url)
        .basic_auth(&s.client_id, Some(&s.secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let tokens: Value = r.json().await.unwrap();
    assert!(tokens["id_token"].is_string());
    // An unknown grant type, and a body that is not a form.
    let r = b
        .post(&token_url)
        .basic_auth(&s.client_id, Some(&s.secret))
        .form(&[("grant_type", "implicit")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let r = b
        .post(&token_url)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    // Tenant A's access token at tenant B's introspection: inactive.
    let other = setup(&gw, json!({})).await;
    let r = b
        .post(gw.url(&format!("/t/{}/oauth2/introspect", other.slug)))
        .basic_auth(&other.client_id, Some(&other.secret))
        .form(&[("token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "active": false }));
    let r = b
        .post(gw.url(&format!("/t/{}/oauth2/introspect", s.slug)))
        .basic_auth(&s.client_id, Some(&s.secret))
        .form(&[("token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["active"], true);

    // Userinfo with the token; without one, a Bearer challenge.
    let r = b
        .get(gw.url(&format!("/t/{}/oauth2/userinfo", s.slug)))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["email"],
        "boss@example.com"
    );
    let r = b
        .get(gw.url(&format!("/t/{}/oauth2/userinfo", s.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");

    // The same code again: 400 `invalid_grant`, and what the first use got is revoked.
    let r = b
        .post(&token_url)
        .basic_auth(&s.client_id, Some(&s.secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = b
        .post(gw.url(&format!("/t/{}/oauth2/introspect", s.slug)))
        .basic_auth(&s.client_id, Some(&s.secret))
        .form(&[("token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "active": false }));
    gw.stop().await;
}

async fn identity_providers_are_managed_by_tenant_admins(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let s = setup(&gw, json!({})).await;
    let login: Value = gw
        .anon(Method::POST, "/v1/auth/login")
        .header("x-tenant-id", &s.slug)
        .json(&json!({ "login": "boss@example.com", "password": PASSWORD }))
        .go()
        .await
        .json()
        .await
        .unwrap();
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let call = |method: Method, path: &str| {
        gw.anon(method, path)
            .header("x-tenant-id", &s.slug)
            .bearer_auth(&admin)
    };
    // Rules: a generic OIDC provider needs an issuer; the address policy
    // refuses a loopback issuer unless the operator allows it.
    let r = call(Method::POST, "/v1/identity-providers")
        .json(&json!({ "kind": "oidc", "name": "Corp", "client_id": "c" }))
        .go()
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "issuer");
    let r = call(Method::POST, "/v1/identity-providers")
        .json(&json!({ "kind": "oidc", "name": "Corp", "client_id": "c", "issuer": "http://127.0.0.1:9/" }))
        .go()
        .await;
    assert_eq!(r.status(), 400);
    // Google: the secret is write-only.
    let r = call(Method::POST, "/v1/identity-providers")
        .json(&json!({ "kind": "google", "name": "Google", "client_id": "g.apps", "client_secret": "gsecret" }))
        .go()
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["has_secret"], true);
    assert!(created.get("client_secret").is_none());
    assert!(!created.to_string().contains("gsecret"));
    // An update without a secret keeps it.
    let r = call(Method::PUT, &format!("/v1/identity-providers/{id}"))
        .json(&json!({ "kind": "google", "name": "Google Workspace", "client_id": "g.apps" }))
        .go()
        .await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        (updated["has_secret"].clone(), updated["name"].clone()),
        (json!(true), json!("Google Workspace"))
    );
    let list: Value = call(Method::GET, "/v1/identity-providers")
        .go()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Other principals may not manage them.
    let tenant_id = gw.tenant_id(&s.slug).await;
    let r = gw
        .as_user(&tenant_id, &s.slug, Method::GET, "/v1/identity-providers")
        .go()
        .await;
    assert_eq!(r.status(), 403);
    // The login page offers it; a forged callback is refused with a page.
    let b = browser();
    let r = b.get(authorize_url(&gw, &s, "")).send().await.unwrap();
    let r = b
        .get(gw.url(r.headers()["location"].to_str().unwrap()))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Google Workspace")
            && html.contains(&format!("/federation/{id}/start?request=")),
        "{html}"
    );
    let r = b
        .get(gw.url(&format!(
            "/t/{}/federation/{id}/callback?state=forged&code=x",
            s.slug
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("state"));
    let r = b
        .get(gw.url(&format!(
            "/t/{}/federation/{id}/start?request=unknown",
            s.slug
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Deleted: gone.
    let r = call(Method::DELETE, &format!("/v1/identity-providers/{id}"))
        .go()
        .await;
    assert_eq!(r.status(), 204);
    let r = call(Method::GET, &format!("/v1/identity-providers/{id}"))
        .go()
        .await;
    assert_eq!(r.status(), 404);
    gw.stop().await;
}

/// A fresh browser's login page: its form token, parked request and the
/// cookie jar the page set.
async fn login_form(gw: &Gateway, s: &Setup) -> (String, String, String) {
    let b = browser();
    let r = b.get(authorize_url(gw, s, "")).send().await.unwrap();
    let r = b
        .get(gw.url(r.headers()["location"].to_str().unwrap()))
        .send()
        .await
        .unwrap();
    let jar = cookie_pairs(&set_cookies(&r));
    let html = r.text().await.unwrap();
    (field(&html, "csrf"), field(&html, "request"), jar)
}

/// The provider's form tokens are HMACs bound to the browser (its CSRF
/// cookie and its login), not a value the cookie merely repeats; and a form
/// posted from another origin is refused whatever its token.
async fn provider_forms_refuse_forged_and_cross_site_posts(stack: Stack) {
    let Some(gw) = Gateway::start(stack, |_| {}).await else {
        return;
    };
    let s = setup(&gw, json!({})).await;
    let b = browser();
    let login_url = gw.url(&format!("/t/{}/oauth2/login", s.slug));
    let post = |jar: String, csrf: String, request: String, extra: Vec<(&'static str, String)>| {
        let mut req = b.post(&login_url).header("cookie", jar);
        for (k, v) in extra {
            req = req.header(k, v);
        }
        req.form(&[
            ("csrf", csrf),
            ("request", request),
            ("login", "boss@example.com".to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
    };
    let logged_in = |r: &reqwest::Response| {
        set_cookies(r)
            .iter()
            .any(|c| c.starts_with("caas_login=") && !c.contains("Max-Age=0"))
    };
    let (csrf, request, jar) = login_form(&gw, &s).await;
    assert!(jar.starts_with("caas_csrf="), "{jar}");

    // A double-submit forgery: the same made-up value in cookie and field.
    let forged = "A".repeat(43);
    let r = post(
        format!("caas_csrf={forged}"),
        forged.clone(),
        request.clone(),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!logged_in(&r));
    // The cookie's value itself is not the token either.
    let cookie_value = jar.trim_start_matches("caas_csrf=").to_owned();
    let r = post(jar.clone(), cookie_value, request.clone(), vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A token from another browser does not pass with this one's cookie.
    let (other_csrf, _, other_jar) = login_form(&gw, &s).await;
    assert_ne!(other_jar, jar);
    let r = post(jar.clone(), other_csrf.clone(), request.clone(), vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(other_jar.clone(), csrf.clone(), request.clone(), vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!logged_in(&r));

    // Another origin, or (without Origin) another site's Referer: refused
    // with the right token, and the page says why.
    for (name, value) in [
        ("origin", "https://evil.example".to_owned()),
        // This host on another port or scheme is another origin.
        ("origin", "http://127.0.0.1:1".to_owned()),
        ("origin", gw.url("").replace("http://", "https://")),
        ("referer", "https://evil.example/phish".to_owned()),
    ] {
        let r = post(
            jar.clone(),
            csrf.clone(),
            request.clone(),
            vec![(name, value.clone())],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        assert!(!logged_in(&r));
        let html = r.text().await.unwrap();
        assert!(html.contains("another site"), "{html}");
    }
    // The logout form checks the origin too.
    let r = b
        .post(gw.url(&format!("/t/{}/oauth2/logout", s.slug)))
        .header("cookie", &jar)
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // This server's own origin (and `Origin: null`, which browsers send
    // under `Referrer-Policy: no-referrer`) with the right token: in.
    let own = gw.url("/").trim_end_matches('/').to_owned();
    let r = post(
        jar.clone(),
        csrf.clone(),
        request.clone(),
        vec![
            ("origin", own.clone()),
            ("referer", format!("{own}/t/{}/oauth2/login", s.slug)),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert!(logged_in(&r));
    let (csrf2, request2, jar2) = login_form(&gw, &s).await;
    let r = post(jar2, csrf2, request2, vec![("origin", "null".to_owned())])
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(logged_in(&r));
    gw.stop().await;
}

on_both_stacks!(
    the_provider_over_http,
    identity_providers_are_managed_by_tenant_admins,
    provider_forms_refuse_forged_and_cross_site_posts
);
