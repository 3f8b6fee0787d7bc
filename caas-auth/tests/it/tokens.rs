//! Access tokens: issue and verify with every check, each failing case,
//! rotation with overlap, algorithms, sealed keys.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_auth::revocation::{Revocations, Revoked};
use caas_auth::tokens::{
    KeyPolicy, SigningAlgorithm, SigningKeys, TokenConfig, TokenRequest, TokenService,
};
use caas_core::testkit::Backend;
use caas_core::{Clock, ManualClock, PrincipalKind, SharedClock, Tenant};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        a_token_passes_every_check_and_each_failure_is_refused,
        rotation_keeps_old_tokens_valid_through_the_overlap,
        algorithms_and_sealed_keys,
        paseto_tokens_pass_the_same_checks,
    ],
}

pub(crate) fn signing_keys(b: &Backend, policy: KeyPolicy, master: MasterKey) -> Arc<SigningKeys> {
    let km: Arc<dyn KeyManager> = Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        master,
        b.shared_clock(),
        None,
    ));
    Arc::new(SigningKeys::new(
        b.sql().clone(),
        km,
        b.shared_clock(),
        policy,
    ))
}

pub(crate) fn service(
    b: &Backend,
    keys: Arc<SigningKeys>,
    clock: SharedClock,
    config: TokenConfig,
) -> TokenService {
    let revocations = Revocations::new(
        b.sql().clone(),
        b.kv.clone(),
        b.events.clone(),
        clock.clone(),
        config.overlap(),
    );
    TokenService::new(keys, revocations, clock, config).unwrap()
}

pub(crate) fn user(session: &str) -> TokenRequest {
    TokenRequest {
        session: Some(session.into()),
        scopes: vec!["read".into(), "write".into()],
        roles: vec!["admin".into()],
        amr: vec!["pwd".into()],
        ..TokenRequest::new("user-1", PrincipalKind::User)
    }
}

/// The token with its header replaced (the signature no longer matches).
pub(crate) fn with_header(token: &str, header: serde_json::Value) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    format!("{}.{rest}", B64.encode(header.to_string()))
}

async fn refused(svc: &TokenService, token: &str, t: &Tenant, aud: &str, why: &str) {
    let e = svc.verify(token, t, aud).await.unwrap_err();
    assert_eq!(e.code(), "invalid_token", "{why}: {e}");
    assert!(e.to_string().contains(why), "expected `{why}`, got `{e}`");
}

async fn a_token_passes_every_check_and_each_failure_is_refused(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await, tenant(b, "umbrella").await);
    let keys = signing_keys(b, KeyPolicy::default(), MasterKey::generate());
    let config = TokenConfig::default();
    let svc = service(b, keys.clone(), b.shared_clock(), config.clone());
    let issued = svc.issue(&t, &user("s-1")).await.unwrap();
    let claims = svc.verify(&issued.token, &t, "caas").await.unwrap();
    assert_eq!(claims, issued.claims);
    assert_eq!(claims.iss, "http://localhost:8080/t/acme");
    assert_eq!(claims.exp - claims.iat, 900);
    let p = claims.principal();
    assert_eq!(
        (p.subject.as_str(), p.tenant, p.kind),
        ("user-1", Some(t.id), PrincipalKind::User)
    );
    assert!(p.has_role("admin") && p.scopes.contains("write"));
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(issued.token.split('.').next().unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("EdDSA"), Some(issued.kid.as_str()))
    );

    // The signature covers every byte.
    // (A middle character: the last one of a base64url signature carries
    // padding bits, and changing it may only make the encoding invalid.)
    let mut tampered = issued.token.clone();
    let at = tampered.len() - 10;
    let swap = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, swap);
    refused(&svc, &tampered, &t, "caas", "signature").await;
    let (head, rest) = issued.token.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut forged: serde_json::Value =
        serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    forged["roles"] = serde_json::json!(["owner"]);
    refused(
        &svc,
        &format!("{head}.{}.{sig}", B64.encode(forged.to_string())),
        &t,
        "caas",
        "signature",
    )
    .await;
    // `alg: none`, a wrong kid, no kid, and HS256 signed with the public key (alg confusion).
    let none = format!(
        "{}.{payload}.",
        B64.encode(serde_json::json!({"alg": "none", "kid": issued.kid}).to_string())
    );
    refused(&svc, &none, &t, "caas", "unsupported algorithm").await;
    refused(
        &svc,
        &with_header(
            &issued.token,
            serde_json::json!({"alg": "EdDSA", "kid": "nope"}),
        ),
        &t,
        "caas",
        "unknown",
    )
    .await;
    refused(
        &svc,
        &with_header(&issued.token, serde_json::json!({"alg": "EdDSA"})),
        &t,
        "caas",
        "no signing key",
    )
    .await;
    let jwks = keys.jwks(&t.id).await.unwrap();
    let x = B64.decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    h.kid = Some(issued.kid.clone());
    let confused = jsonwebtoken::encode(
        &h,
        &issued.claims,
        &jsonwebtoken::EncodingKey::from_secret(&x),
    )
    .unwrap();
    refused(&svc, &confused, &t, "caas", "not allowed").await;
    // A foreign tenant's key; another issuer; another audience.
    let foreign = svc.issue(&other, &user("s-2")).await.unwrap();
    refused(&svc, &foreign.token, &t, "caas", "unknown to this tenant").await;
    let elsewhere = service(
        b,
        keys.clone(),
        b.shared_clock(),
        TokenConfig {
            public_url: "https://evil.example".into(),
            ..config.clone()
        },
    );
    let wrong_iss = elsewhere.issue(&t, &user("s-1")).await.unwrap();
    refused(&svc, &wrong_iss.token, &t, "caas", "another issuer").await;
    refused(&svc, &issued.token, &t, "billing", "audience").await;
    let for_billing = svc
        .issue(
            &t,
            &TokenRequest {
                audience: vec!["billing".into()],
                ..user("s-1")
            },
        )
        .await
        .unwrap();
    svc.verify(&for_billing.token, &t, "billing").await.unwrap();
    // A token from the future (`nbf`, `iat`), within and beyond the leeway.
    let ahead = ManualClock::shared(b.clock.now());
    ahead.advance(Duration::from_secs(20));
    let soon = service(b, keys.clone(), ahead.clone(), config.clone());
    svc.verify(
        &soon.issue(&t, &user("s-1")).await.unwrap().token,
        &t,
        "caas",
    )
    .await
    .unwrap();
    ahead.advance(Duration::from_secs(3600));
    let later = soon.issue(&t, &user("s-1")).await.unwrap();
    refused(&svc, &later.token, &t, "caas", "not valid yet").await;
    // Revocation: the token, its session, its user, the tenant.
    for (what, request) in [
        ("token", user("s-3")),
        ("session", user("s-4")),
        ("user", TokenRequest::new("user-2", PrincipalKind::User)),
        ("tenant", TokenRequest::new("user-3", PrincipalKind::User)),
    ] {
        let fresh = svc.issue(&t, &request).await.unwrap();
        svc.verify(&fresh.token, &t, "caas").await.unwrap();
        let target = match what {
            "token" => Revoked::Token(&fresh.claims.jti),
            "session" => Revoked::Session("s-4"),
            "user" => Revoked::User("user-2"),
            _ => Revoked::Tenant,
        };
        svc.revocations().revoke(&t.id, target).await.unwrap();
        refused(&svc, &fresh.token, &t, "caas", "revoked").await;
    }
    // Tokens issued after a user's revocation (a second later) are fine.
    b.clock.advance(Duration::from_secs(2));
    let after = svc
        .issue(&t, &TokenRequest::new("user-2", PrincipalKind::User))
        .await
        .unwrap();
    svc.verify(&after.token, &t, "caas").await.unwrap();
    // Expiry, with the leeway.
    b.clock.advance(Duration::from_secs(900 + 27));
    svc.verify(&foreign.token, &other, "caas").await.unwrap();
    b.clock.advance(Duration::from_secs(2));
    refused(&svc, &foreign.token, &other, "caas", "expired").await;
    refused(&svc, "not a token", &t, "caas", "malformed").await;
    refused(&svc, &"a".repeat(9000), &t, "caas", "too long").await;
}

async fn rotation_keeps_old_tokens_valid_through_the_overlap(b: &Backend) {
    let t = tenant(b, "acme").await;
    let policy = KeyPolicy {
        rotate_after: Duration::from_secs(24 * 3600),
        overlap: Duration::from_secs(3600),
        ..KeyPolicy::default()
    };
    let config = TokenConfig {
        access_ttl: Duration::from_secs(1800),
        max_ttl: Duration::from_secs(1800),
        ..TokenConfig::default()
    };
    let master = MasterKey::generate();
    let keys = signing_keys(b, policy, master.clone());
    let svc = service(b, keys.clone(), b.shared_clock(), config.clone());
    let before = svc.issue(&t, &user("s")).await.unwrap();
    let rotated = keys.rotate(&t.id, None).await.unwrap();
    assert_ne!(rotated.kid, before.kid);
    let after = svc.issue(&t, &user("s")).await.unwrap();
    assert_eq!(after.kid, rotated.kid, "new tokens carry the new kid");
    svc.verify(&before.token, &t, "caas").await.unwrap();
    let jwks = keys.jwks(&t.id).await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&before.kid.as_str()) && kids.contains(&after.kid.as_str()));
    let listed = keys.list(&t.id).await.unwrap();
    assert_eq!(listed.iter().filter(|k| k.active).count(), 1);
    // After the overlap only the new key is published.
    b.clock.advance(Duration::from_secs(3601));
    let jwks = keys.jwks(&t.id).await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], after.kid.as_str());
    // Scheduled rotation: a key older than `rotate_after` is replaced when it would sign.
    b.clock.advance(Duration::from_secs(24 * 3600));
    let scheduled = svc.issue(&t, &user("s")).await.unwrap();
    assert_ne!(scheduled.kid, after.kid);
    svc.verify(&scheduled.token, &t, "caas").await.unwrap();
    // Another instance (its own cache) rotates; this one finds the new key
    // by its kid without waiting for its cache to expire.
    let other_instance = signing_keys(b, policy, master);
    let rotated = other_instance.rotate(&t.id, None).await.unwrap();
    let theirs = service(b, other_instance, b.shared_clock(), config)
        .issue(&t, &user("s"))
        .await
        .unwrap();
    assert_eq!(theirs.kid, rotated.kid);
    b.clock.advance(Duration::from_secs(2));
    svc.verify(&theirs.token, &t, "caas").await.unwrap();
}

async fn algorithms_and_sealed_keys(b: &Backend) {
    let t = tenant(b, "acme").await;
    let master = MasterKey::generate();
    let es = KeyPolicy {
        algorithm: SigningAlgorithm::ES256,
        ..KeyPolicy::default()
    };
    let keys_es = signing_keys(b, es, master.clone());
    let svc = service(b, keys_es.clone(), b.shared_clock(), TokenConfig::default());
    let token = svc.issue(&t, &user("s")).await.unwrap();
    svc.verify(&token.token, &t, "caas").await.unwrap();
    let jwks = keys_es.jwks(&t.id).await.unwrap();
    assert_eq!(
        (
            jwks["keys"][0]["kty"].as_str(),
            jwks["keys"][0]["crv"].as_str()
        ),
        (Some("EC"), Some("P-256"))
    );
    // RS256 for clients that know nothing newer.
    keys_es
        .rotate(&t.id, Some(SigningAlgorithm::RS256))
        .await
        .unwrap();
    let rs = svc.issue(&t, &user("s")).await.unwrap();
    svc.verify(&rs.token, &t, "caas").await.unwrap();
    let jwks = keys_es.jwks(&t.id).await.unwrap();
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == rs.kid.as_str())
        .unwrap();
    assert_eq!(
        (rsa["kty"].as_str(), rsa["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    assert_eq!(
        B64.decode(rsa["n"].as_str().unwrap()).unwrap().len(),
        256,
        "2048-bit modulus"
    );
    // HS256 needs the dangerous switch and is never published.
    keys_es
        .rotate(&t.id, Some(SigningAlgorithm::HS256))
        .await
        .unwrap();
    let e = svc.issue(&t, &user("s")).await.unwrap_err();
    assert!(e.to_string().contains("HS256"), "{e}");
    let dangerous = service(
        b,
        keys_es.clone(),
        b.shared_clock(),
        TokenConfig {
            dangerous_allow_hs256: true,
            ..TokenConfig::default()
        },
    );
    let hs = dangerous.issue(&t, &user("s")).await.unwrap();
    dangerous.verify(&hs.token, &t, "caas").await.unwrap();
    refused(&svc, &hs.token, &t, "caas", "not allowed").await;
    let published = keys_es.jwks(&t.id).await.unwrap();
    assert!(
        published["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kid"] != hs.kid.as_str())
    );
    // The old ES256 token still verifies (overlap).
    svc.verify(&token.token, &t, "caas").await.unwrap();
    // Private keys are sealed: under another master key nothing signs.
    let stranger = signing_keys(b, es, MasterKey::generate());
    let svc2 = service(b, stranger, b.shared_clock(), TokenConfig::default());
    assert!(svc2.issue(&t, &user("s")).await.is_err());
}

async fn paseto_tokens_pass_the_same_checks(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await, tenant(b, "umbrella").await);
    let keys = signing_keys(b, KeyPolicy::default(), MasterKey::generate());
    let svc = service(b, keys.clone(), b.shared_clock(), TokenConfig::default());
    let issued = svc
        .issue_as(&t, &user("s-1"), caas_auth::tokens::TokenFormat::Paseto)
        .await
        .unwrap();
    assert!(issued.token.starts_with("v4.public."), "{}", issued.token);
    let claims = svc.verify(&issued.token, &t, "caas").await.unwrap();
    assert_eq!(claims, issued.claims);
    // The footer names the key; the times are RFC 3339 in the payload.
    let (_, footer) = issued.token.rsplit_once('.').unwrap();
    let footer: serde_json::Value = serde_json::from_slice(&B64.decode(footer).unwrap()).unwrap();
    assert_eq!(footer["kid"], issued.kid.as_str());
    let body = issued
        .token
        .trim_start_matches("v4.public.")
        .split('.')
        .next()
        .unwrap();
    let body = B64.decode(body).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body[..body.len() - 64]).unwrap();
    assert!(json["exp"].as_str().unwrap().ends_with('Z'), "{json}");
    // Tampering, another tenant, audience, expiry, revocation: refused.
    let mut tampered = issued.token.clone();
    let at = 30;
    let swap = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, swap);
    assert_eq!(
        svc.verify(&tampered, &t, "caas").await.unwrap_err().code(),
        "invalid_token"
    );
    refused(
        &svc,
        &issued.token,
        &other,
        "caas",
        "unknown to this tenant",
    )
    .await;
    refused(&svc, &issued.token, &t, "billing", "audience").await;
    svc.revocations()
        .revoke(&t.id, Revoked::Token(&claims.jti))
        .await
        .unwrap();
    refused(&svc, &issued.token, &t, "caas", "revoked").await;
    let fresh = svc
        .issue_as(&t, &user("s-2"), caas_auth::tokens::TokenFormat::Paseto)
        .await
        .unwrap();
    b.clock.advance(Duration::from_secs(900 + 31));
    refused(&svc, &fresh.token, &t, "caas", "expired").await;
    // An ES256 tenant cannot sign PASETO v4.public.
    keys.rotate(&t.id, Some(SigningAlgorithm::ES256))
        .await
        .unwrap();
    let e = svc
        .issue_as(&t, &user("s"), caas_auth::tokens::TokenFormat::Paseto)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("EdDSA"), "{e}");
}
