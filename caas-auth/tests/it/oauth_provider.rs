//! The OpenID Provider's logic end to end on every backend: authorization
//! requests (errors shown or sent back), login and consent decisions,
//! `prompt`/`max_age`, the code grant with PKCE and its failures (missing
//! or `plain` PKCE, wrong verifier, reuse revoking what the first use got,
//! redirect mismatch, expiry, wrong secret), refresh, client credentials,
//! the password grant's gates, `private_key_jwt`, introspection across
//! tenants, revocation, userinfo and logout checks.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_auth::oauth::{
    AuthorizeError, AuthorizeParams, ClientCredentials, ClientSettings, ClientType, GrantType,
    LogoutParams, Next, OAuthClient, Provider, TokenParams, pkce,
};
use caas_auth::sessions::Session;
use caas_auth::{Auth, SignIn};
use caas_core::testkit::Backend;
use caas_core::{ErrorKind, Tenant};
use serde_json::json;

use crate::flows::{CHEAP, PASSWORD, ana, auth, login, tenant_with};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        authorization_requests_are_checked,
        code_flow_and_its_failures,
        prompt_and_max_age,
        refresh_client_credentials_and_password,
        private_key_jwt_assertions,
        introspection_revocation_userinfo_logout,
        guests_log_in_without_an_account,
    ],
}

const REDIRECT: &str = "https://app.example.com/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn settings(first_party: bool) -> ClientSettings {
    ClientSettings {
        name: "Shop".into(),
        client_type: ClientType::Confidential,
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec!["https://app.example.com/bye".into()],
        grant_types: vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ],
        scopes: vec!["orders:read".into()],
        first_party,
        access_token_ttl_secs: None,
        refresh_token_ttl_secs: None,
        token_endpoint_auth_method: None,
        jwks: None,
        audiences: vec!["https://api.example.com".into()],
    }
}

struct World {
    auth: Auth,
    provider: Provider,
    tenant: Tenant,
    client: OAuthClient,
    secret: String,
    session: Session,
}

async fn world(b: &Backend, slug: &str, tenant_settings: serde_json::Value) -> World {
    let auth = auth(b, CHEAP);
    let provider = Provider::new(auth.clone(), b.kv.clone(), b.sql().clone());
    let tenant = tenant_with(b, slug, tenant_settings).await;
    ana(&auth, &tenant).await;
    let (client, secret) = auth
        .parts()
        .clients
        .create(&tenant.id, &settings(false))
        .await
        .unwrap();
    let session = match auth
        .sign_in(&tenant, &login("ana@example.com", PASSWORD))
        .await
        .unwrap()
    {
        SignIn::Session(s) => s.1,
        SignIn::MfaRequired { .. } => panic!("no MFA here"),
    };
    World {
        auth,
        provider,
        tenant,
        client,
        secret: secret.unwrap().expose().clone(),
        session,
    }
}

fn params(w: &World) -> AuthorizeParams {
    AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(w.client.id.clone()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid profile email offline_access orders:read".into()),
        state: Some("st".into()),
        nonce: Some("no".into()),
        code_challenge: Some(pkce::s256_challenge(VERIFIER)),
        code_challenge_method: Some("S256".into()),
        ..AuthorizeParams::default()
    }
}

fn basic(w: &World, secret: &str) -> ClientCredentials {
    ClientCredentials {
        basic: Some((w.client.id.clone(), secret.into())),
        ..ClientCredentials::default()
    }
}

fn query(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A code for `p`, with consent given.
async fn code(w: &World, p: &AuthorizeParams) -> String {
    let request = w
        .provider
        .check_authorize(&w.tenant, p)
        .await
        .unwrap()
        .unwrap();
    let next = w
        .provider
        .proceed(&w.tenant, &request, Some(&w.session), false, true)
        .await
        .unwrap();
    let Next::Redirect(url) = next else {
        panic!("expected a redirect, got {next:?}")
    };
    assert_eq!(query(&url, "state").as_deref(), Some("st"));
    assert_eq!(
        query(&url, "iss").as_deref(),
        Some(w.provider.issuer(&w.tenant).as_str())
    );
    query(&url, "code").unwrap()
}

fn exchange(code: &str, verifier: &str) -> TokenParams {
    TokenParams {
        grant_type: Some("authorization_code".into()),
        code: Some(code.into()),
        redirect_uri: Some(REDIRECT.into()),
        code_verifier: Some(verifier.into()),
        ..TokenParams::default()
    }
}

fn redirected_error(r: Result<caas_auth::oauth::AuthorizationRequest, AuthorizeError>) -> String {
    match r {
        Err(AuthorizeError::Redirect(url)) => {
            assert!(url.starts_with(REDIRECT), "{url}");
            assert_eq!(query(&url, "state").as_deref(), Some("st"));
            query(&url, "error").unwrap()
        }
        other => panic!("expected an error redirect, got {other:?}"),
    }
}

async fn authorization_requests_are_checked(b: &Backend) {
    let w = world(b, "authz-req", json!({})).await;
    let check = |p: AuthorizeParams| {
        let w = &w;
        async move { w.provider.check_authorize(&w.tenant, &p).await.unwrap() }
    };
    // An untrusted client or redirect URI: shown, never redirected.
    for p in [
        AuthorizeParams {
            client_id: Some("cl_unknown".into()),
            ..params(&w)
        },
        AuthorizeParams {
            redirect_uri: Some("https://evil.example.com/cb".into()),
            ..params(&w)
        },
        AuthorizeParams {
            redirect_uri: Some(format!("{REDIRECT}/")),
            ..params(&w)
        },
        AuthorizeParams {
            redirect_uri: None,
            ..params(&w)
        },
    ] {
        assert!(matches!(check(p).await, Err(AuthorizeError::Show(_))));
    }
    // The rest goes back to the client (RFC 6749 §4.1.2.1).
    let missing_pkce = AuthorizeParams {
        code_challenge: None,
        code_challenge_method: None,
        ..params(&w)
    };
    assert_eq!(
        redirected_error(check(missing_pkce).await),
        "invalid_request"
    );
    let plain = AuthorizeParams {
        code_challenge: Some(VERIFIER.into()),
        code_challenge_method: Some("plain".into()),
        ..params(&w)
    };
    assert_eq!(redirected_error(check(plain).await), "invalid_request");
    let token = AuthorizeParams {
        response_type: Some("token".into()),
        ..params(&w)
    };
    assert_eq!(
        redirected_error(check(token).await),
        "unsupported_response_type"
    );
    let scope = AuthorizeParams {
        scope: Some("openid admin:all".into()),
        ..params(&w)
    };
    assert_eq!(redirected_error(check(scope).await), "invalid_scope");
    let resource = AuthorizeParams {
        resource: Some("https://other.example.com".into()),
        ..params(&w)
    };
    assert_eq!(redirected_error(check(resource).await), "invalid_target");
    let prompt = AuthorizeParams {
        prompt: Some("none login".into()),
        ..params(&w)
    };
    assert_eq!(redirected_error(check(prompt).await), "invalid_request");
    // A third-party client asks for consent once; then it is remembered.
    let request = check(params(&w)).await.unwrap();
    let p = &w.provider;
    assert_eq!(
        p.proceed(&w.tenant, &request, None, false, false)
            .await
            .unwrap(),
        Next::Login
    );
    assert_eq!(
        p.proceed(&w.tenant, &request, Some(&w.session), false, false)
            .await
            .unwrap(),
        Next::Consent
    );
    assert!(matches!(
        p.proceed(&w.tenant, &request, Some(&w.session), false, true)
            .await
            .unwrap(),
        Next::Redirect(_)
    ));
    assert!(matches!(
        p.proceed(&w.tenant, &request, Some(&w.session), false, false)
            .await
            .unwrap(),
        Next::Redirect(_)
    ));
    // Asking for more than was allowed asks again.
    let mut more = request.clone();
    more.scopes.push("offline_access".into());
    more.scopes.dedup();
    let consent_again = AuthorizeParams {
        prompt: Some("consent".into()),
        ..params(&w)
    };
    let again = check(consent_again).await.unwrap();
    assert_eq!(
        p.proceed(&w.tenant, &again, Some(&w.session), false, false)
            .await
            .unwrap(),
        Next::Consent
    );
}

async fn code_flow_and_its_failures(b: &Backend) {
    let w = world(b, "authz-code", json!({})).await;
    let p = &w.provider;
    let creds = basic(&w, &w.secret);

    // A wrong verifier fails (and spends the code).
    let c = code(&w, &params(&w)).await;
    let e = p
        .token(&w.tenant, &creds, &exchange(&c, &"x".repeat(43)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_grant");
    // No verifier at all.
    let c = code(&w, &params(&w)).await;
    let mut no_verifier = exchange(&c, VERIFIER);
    no_verifier.code_verifier = None;
    assert_eq!(
        p.token(&w.tenant, &creds, &no_verifier)
            .await
            .unwrap_err()
            .code(),
        "invalid_request"
    );
    // A different redirect URI than the request's.
    let c = code(&w, &params(&w)).await;
    let mut elsewhere = exchange(&c, VERIFIER);
    elsewhere.redirect_uri = Some("https://app.example.com/other".into());
    assert_eq!(
        p.token(&w.tenant, &creds, &elsewhere)
            .await
            .unwrap_err()
            .code(),
        "invalid_grant"
    );
    // A wrong client secret.
    let c = code(&w, &params(&w)).await;
    let e = p
        .token(&w.tenant, &basic(&w, "cs_wrong"), &exchange(&c, VERIFIER))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Unauthenticated, "invalid_client")
    );

    // The right exchange: tokens, an ID token with the request's nonce.
    let c = code(&w, &params(&w)).await;
    let tokens = p
        .token(&w.tenant, &creds, &exchange(&c, VERIFIER))
        .await
        .unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let id = w
        .auth
        .parts()
        .tokens
        .verify_own_signature(tokens.id_token.as_deref().unwrap(), &w.tenant)
        .await
        .unwrap();
    assert_eq!(id["nonce"], "no");
    assert_eq!(id["aud"], w.client.id.as_str());
    assert_eq!(id["sid"], w.session.id.to_string());
    assert_eq!(id["amr"], json!(["pwd"]));
    assert_eq!(id["auth_time"], w.session.auth_time.as_secs());
    assert_eq!(
        id["at_hash"],
        caas_auth::oauth::half_hash(
            caas_auth::tokens::SigningAlgorithm::EdDSA,
            &tokens.access_token
        )
    );
    let claims = w
        .auth
        .parts()
        .tokens
        .verify_any_audience(&tokens.access_token, &w.tenant)
        .await
        .unwrap();
    // A third-party token is not for the platform's API.
    assert_eq!(claims.aud.0, vec!["https://api.example.com".to_owned()]);
    assert!(claims.roles.is_empty());
    assert_eq!(claims.client_id.as_deref(), Some(w.client.id.as_str()));

    // The second use fails and revokes what the first one got.
    let e = p
        .token(&w.tenant, &creds, &exchange(&c, VERIFIER))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_grant");
    let e = w
        .auth
        .parts()
        .tokens
        .verify_any_audience(&tokens.access_token, &w.tenant)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    let refreshed = p
        .token(
            &w.tenant,
            &creds,
            &TokenParams {
                grant_type: Some("refresh_token".into()),
                refresh_token: Some(refresh),
                ..TokenParams::default()
            },
        )
        .await;
    assert_eq!(refreshed.unwrap_err().code(), "invalid_grant");

    // A code older than a minute is refused.
    let c = code(&w, &params(&w)).await;
    b.clock.advance(Duration::from_secs(61));
    let e = p
        .token(&w.tenant, &creds, &exchange(&c, VERIFIER))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_grant");
    assert!(e.message().contains("expired"), "{e}");
}

async fn prompt_and_max_age(b: &Backend) {
    let w = world(b, "authz-prompt", json!({})).await;
    let p = &w.provider;
    let with = |prompt: Option<&str>, max_age: Option<&str>| AuthorizeParams {
        prompt: prompt.map(str::to_owned),
        max_age: max_age.map(str::to_owned),
        ..params(&w)
    };
    let none = p
        .check_authorize(&w.tenant, &with(Some("none"), None))
        .await
        .unwrap()
        .unwrap();
    let Next::Redirect(url) = p
        .proceed(&w.tenant, &none, None, false, false)
        .await
        .unwrap()
    else {
        panic!("prompt=none redirects")
    };
    assert_eq!(query(&url, "error").as_deref(), Some("login_required"));
    let Next::Redirect(url) = p
        .proceed(&w.tenant, &none, Some(&w.session), false, false)
        .await
        .unwrap()
    else {
        panic!("prompt=none redirects")
    };
    assert_eq!(query(&url, "error").as_deref(), Some("consent_required"));
    // prompt=login ignores an existing login until a fresh one.
    let fresh = p
        .check_authorize(&w.tenant, &with(Some("login"), None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.proceed(&w.tenant, &fresh, Some(&w.session), false, false)
            .await
            .unwrap(),
        Next::Login
    );
    assert_eq!(
        p.proceed(&w.tenant, &fresh, Some(&w.session), true, false)
            .await
            .unwrap(),
        Next::Consent
    );
    // max_age: a login older than allowed is asked again.
    b.clock.advance(Duration::from_secs(120));
    let aged = p
        .check_authorize(&w.tenant, &with(None, Some("60")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.proceed(&w.tenant, &aged, Some(&w.session), false, false)
            .await
            .unwrap(),
        Next::Login
    );
    let young = p
        .check_authorize(&w.tenant, &with(None, Some("600")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.proceed(&w.tenant, &young, Some(&w.session), false, false)
            .await
            .unwrap(),
        Next::Consent
    );
    let bad = p
        .check_authorize(&w.tenant, &with(None, Some("-1")))
        .await
        .unwrap();
    assert_eq!(redirected_error(bad), "invalid_request");
}

async fn refresh_client_credentials_and_password(b: &Backend) {
    let w = world(b, "authz-grants", json!({})).await;
    let p = &w.provider;
    let creds = basic(&w, &w.secret);
    let c = code(&w, &params(&w)).await;
    let first = p
        .token(&w.tenant, &creds, &exchange(&c, VERIFIER))
        .await
        .unwrap();
    let refresh = |token: &str, scope: Option<&str>| TokenParams {
        grant_type: Some("refresh_token".into()),
        refresh_token: Some(token.into()),
        scope: scope.map(str::to_owned),
        ..TokenParams::default()
    };
    // Another client cannot use the token (and does not spend it).
    let (other, other_secret) = w
        .auth
        .parts()
        .clients
        .create(&w.tenant.id, &settings(false))
        .await
        .unwrap();
    let other_creds = ClientCredentials {
        basic: Some((other.id.clone(), other_secret.unwrap().expose().clone())),
        ..ClientCredentials::default()
    };
    let stolen = p
        .token(
            &w.tenant,
            &other_creds,
            &refresh(first.refresh_token.as_deref().unwrap(), None),
        )
        .await
        .unwrap_err();
    assert_eq!(stolen.code(), "invalid_grant");
    // Nor is it a first-party refresh token.
    assert!(
        w.auth
            .refresh(&w.tenant, first.refresh_token.as_deref().unwrap())
            .await
            .is_err()
    );
    // Narrowing scopes works; widening does not.
    let wide = p
        .token(
            &w.tenant,
            &creds,
            &refresh(
                first.refresh_token.as_deref().unwrap(),
                Some("openid admin"),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(wide.code(), "invalid_scope");
    let second = p
        .token(
            &w.tenant,
            &creds,
            &refresh(first.refresh_token.as_deref().unwrap(), Some("openid")),
        )
        .await
        .unwrap();
    assert_eq!(second.scope, "openid");
    assert!(second.id_token.is_some());
    assert_ne!(second.refresh_token, first.refresh_token);

    // Client credentials: the client's scopes only, restricted to its API.
    let cc = |scope: &str| TokenParams {
        grant_type: Some("client_credentials".into()),
        scope: Some(scope.into()),
        ..TokenParams::default()
    };
    let svc = p
        .token(&w.tenant, &creds, &cc("orders:read"))
        .await
        .unwrap();
    assert!(svc.refresh_token.is_none() && svc.id_token.is_none());
    let claims = w
        .auth
        .parts()
        .tokens
        .verify(&svc.access_token, &w.tenant, "https://api.example.com")
        .await
        .unwrap();
    assert_eq!(claims.sub, w.client.id);
    assert!(
        w.auth
            .parts()
            .tokens
            .verify(&svc.access_token, &w.tenant, "caas")
            .await
            .is_err()
    );
    assert_eq!(
        p.token(&w.tenant, &creds, &cc("openid"))
            .await
            .unwrap_err()
            .code(),
        "invalid_scope"
    );

    // The password grant: not for this client, not while the tenant is off.
    let password = TokenParams {
        grant_type: Some("password".into()),
        username: Some("ana@example.com".into()),
        password: Some(PASSWORD.into()),
        scope: Some("openid".into()),
        ..TokenParams::default()
    };
    assert_eq!(
        p.token(&w.tenant, &creds, &password)
            .await
            .unwrap_err()
            .code(),
        "unauthorized_client"
    );
    let mut first_party = settings(true);
    first_party.grant_types = vec![GrantType::Password, GrantType::RefreshToken];
    first_party.redirect_uris.clear();
    let (fp, fp_secret) = w
        .auth
        .parts()
        .clients
        .create(&w.tenant.id, &first_party)
        .await
        .unwrap();
    let fp_creds = ClientCredentials {
        client_id: Some(fp.id.clone()),
        client_secret: Some(fp_secret.unwrap().expose().clone()),
        ..ClientCredentials::default()
    };
    assert_eq!(
        p.token(&w.tenant, &fp_creds, &password)
            .await
            .unwrap_err()
            .code(),
        "unauthorized_client"
    );
    let open = tenant_with(
        b,
        "authz-grants-pw",
        json!({ "allow_password_grant": true }),
    )
    .await;
    ana(&w.auth, &open).await;
    let (fp, fp_secret) = w
        .auth
        .parts()
        .clients
        .create(&open.id, &first_party)
        .await
        .unwrap();
    let fp_creds = ClientCredentials {
        client_id: Some(fp.id.clone()),
        client_secret: Some(fp_secret.unwrap().expose().clone()),
        ..ClientCredentials::default()
    };
    let ok = p.token(&open, &fp_creds, &password).await.unwrap();
    assert!(ok.refresh_token.is_some() && ok.id_token.is_some());
    let wrong = TokenParams {
        password: Some("wrong-password".into()),
        ..password.clone()
    };
    assert_eq!(
        p.token(&open, &fp_creds, &wrong).await.unwrap_err().code(),
        "invalid_grant"
    );
}

fn assertion(client: &str, aud: &str, jti: &str, seed: &[u8; 32]) -> String {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(seed);
    let key = jsonwebtoken::EncodingKey::from_ed_der(&der);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let now = jsonwebtoken::get_current_timestamp();
    jsonwebtoken::encode(
        &header,
        &json!({ "iss": client, "sub": client, "aud": aud, "jti": jti, "exp": now + 60 }),
        &key,
    )
    .unwrap()
}

async fn private_key_jwt_assertions(b: &Backend) {
    let w = world(b, "authz-pkjwt", json!({})).await;
    let p = &w.provider;
    let seed = [7u8; 32];
    let public = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    let mut s = settings(false);
    s.token_endpoint_auth_method = Some(caas_auth::oauth::AuthMethod::PrivateKeyJwt);
    s.jwks = Some(
        json!({ "keys": [{ "kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": B64.encode(public) }] }),
    );
    let (client, _) = w
        .auth
        .parts()
        .clients
        .create(&w.tenant.id, &s)
        .await
        .unwrap();
    let token_url = p.endpoint(&w.tenant, "/oauth2/token");
    let with = |a: String| ClientCredentials {
        assertion_type: Some(caas_auth::oauth::client_auth::JWT_BEARER.into()),
        assertion: Some(a),
        ..ClientCredentials::default()
    };
    let cc = TokenParams {
        grant_type: Some("client_credentials".into()),
        ..TokenParams::default()
    };
    let good = assertion(&client.id, &token_url, "j1", &seed);
    p.token(&w.tenant, &with(good.clone()), &cc).await.unwrap();
    // Replayed, for another audience, or signed by another key: refused.
    for bad in [
        good,
        assertion(
            &client.id,
            "https://elsewhere.example.com/token",
            "j2",
            &seed,
        ),
        assertion(&client.id, &token_url, "j3", &[8u8; 32]),
    ] {
        let e = p.token(&w.tenant, &with(bad), &cc).await.unwrap_err();
        assert_eq!(e.code(), "invalid_client");
    }
    // Its secret methods are not accepted for it.
    let e = p
        .token(
            &w.tenant,
            &ClientCredentials {
                basic: Some((client.id.clone(), "cs_anything".into())),
                ..ClientCredentials::default()
            },
            &cc,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_client");
}

async fn introspection_revocation_userinfo_logout(b: &Backend) {
    let w = world(b, "authz-intro", json!({})).await;
    let p = &w.provider;
    let creds = basic(&w, &w.secret);
    // The client's own refresh-token lifetime.
    let mut short = settings(false);
    short.refresh_token_ttl_secs = Some(300);
    w.auth
        .parts()
        .clients
        .update(&w.tenant.id, &w.client.id, &short)
        .await
        .unwrap();
    let c = code(&w, &params(&w)).await;
    let tokens = p
        .token(&w.tenant, &creds, &exchange(&c, VERIFIER))
        .await
        .unwrap();
    let info = p
        .introspect(&w.tenant, &creds, Some(&tokens.access_token))
        .await
        .unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], w.client.id.as_str());
    // Tenant A's token at tenant B: inactive.
    let other = world(b, "authz-intro-b", json!({})).await;
    let elsewhere = other
        .provider
        .introspect(
            &other.tenant,
            &basic(&other, &other.secret),
            Some(&tokens.access_token),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere, json!({ "active": false }));
    // Userinfo: by scope.
    let claims = p.userinfo(&w.tenant, &tokens.access_token).await.unwrap();
    assert_eq!(claims["email"], "ana@example.com");
    // Revocation by another client changes nothing; by the owner it works.
    let refresh = tokens.refresh_token.clone().unwrap();
    let info = p
        .introspect(&w.tenant, &creds, Some(&refresh))
        .await
        .unwrap();
    assert_eq!(
        info["exp"].as_i64().unwrap() - info["iat"].as_i64().unwrap(),
        300
    );
    p.revoke(&other.tenant, &basic(&other, &other.secret), Some(&refresh))
        .await
        .unwrap();
    let (second, second_secret) = w
        .auth
        .parts()
        .clients
        .create(&w.tenant.id, &settings(false))
        .await
        .unwrap();
    let second_creds = ClientCredentials {
        basic: Some((second.id.clone(), second_secret.unwrap().expose().clone())),
        ..ClientCredentials::default()
    };
    p.revoke(&w.tenant, &second_creds, Some(&refresh))
        .await
        .unwrap();
    assert_eq!(
        p.introspect(&w.tenant, &creds, Some(&refresh))
            .await
            .unwrap()["active"],
        true
    );
    p.revoke(&w.tenant, &creds, Some(&refresh)).await.unwrap();
    p.revoke(&w.tenant, &creds, Some(&tokens.access_token))
        .await
        .unwrap();
    for t in [&refresh, &tokens.access_token] {
        assert_eq!(
            p.introspect(&w.tenant, &creds, Some(t)).await.unwrap()["active"],
            false
        );
    }
    assert_eq!(
        p.userinfo(&w.tenant, &tokens.access_token)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Unauthenticated
    );
    // Logout: the hint names the client; only its registered URIs.
    let hint = tokens.id_token.clone().unwrap();
    let plan = p
        .check_logout(
            &w.tenant,
            &LogoutParams {
                id_token_hint: Some(hint.clone()),
                post_logout_redirect_uri: Some("https://app.example.com/bye".into()),
                state: Some("s".into()),
                ..LogoutParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        plan.redirect.as_deref(),
        Some("https://app.example.com/bye?state=s")
    );
    for bad in [
        LogoutParams {
            id_token_hint: Some(hint.clone()),
            post_logout_redirect_uri: Some("https://evil.example.com/".into()),
            ..LogoutParams::default()
        },
        LogoutParams {
            id_token_hint: Some(tokens.access_token.clone() + "x"),
            ..LogoutParams::default()
        },
        LogoutParams {
            id_token_hint: Some(other_id_token(&other).await),
            ..LogoutParams::default()
        },
    ] {
        let e = p.check_logout(&w.tenant, &bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}

async fn other_id_token(w: &World) -> String {
    let c = code(w, &params(w)).await;
    w.provider
        .token(&w.tenant, &basic(w, &w.secret), &exchange(&c, VERIFIER))
        .await
        .unwrap()
        .id_token
        .unwrap()
}

async fn guests_log_in_without_an_account(b: &Backend) {
    let closed = world(b, "authz-guest-no", json!({})).await;
    let e = closed
        .auth
        .guest_session(&closed.tenant, Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "guests_disabled");

    let mut w = world(
        b,
        "authz-guest",
        json!({ "allow_guests": true, "guest_ttl_secs": 600 }),
    )
    .await;
    w.session = w
        .auth
        .guest_session(&w.tenant, Default::default())
        .await
        .unwrap();
    let c = code(&w, &params(&w)).await;
    let creds = basic(&w, &w.secret);
    let tokens = w
        .provider
        .token(&w.tenant, &creds, &exchange(&c, VERIFIER))
        .await
        .unwrap();
    // No refresh token for a guest, even with offline_access; a short token.
    assert!(tokens.refresh_token.is_none());
    assert!(tokens.expires_in <= 600);
    let claims = w
        .auth
        .parts()
        .tokens
        .verify_any_audience(&tokens.access_token, &w.tenant)
        .await
        .unwrap();
    assert!(claims.sub.starts_with("guest:"));
    assert_eq!(claims.kind, caas_core::PrincipalKind::Guest);
    let id = w
        .auth
        .parts()
        .tokens
        .verify_own_signature(tokens.id_token.as_deref().unwrap(), &w.tenant)
        .await
        .unwrap();
    assert_eq!(id["sub"], claims.sub.as_str());
    assert!(id.get("email").is_none());
    // Userinfo knows only the subject.
    let info = w
        .provider
        .userinfo(&w.tenant, &tokens.access_token)
        .await
        .unwrap();
    assert_eq!(info, json!({ "sub": claims.sub }));
}
