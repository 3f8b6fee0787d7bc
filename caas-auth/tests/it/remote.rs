//! A resource server's verifier: CAAS tokens checked from the tenant's JWKS
//! alone, each refusal with its code, the cache honouring expiry, and keys
//! fetched from the issuer again when a token names a new one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use caas_auth::federation::{Upstream, UpstreamRequest, UpstreamResponse};
use caas_auth::tokens::{KeyPolicy, RemoteConfig, RemoteVerifier, SigningKeys, TokenConfig};
use caas_core::testkit::Backend;
use caas_core::{Error, Tenant};
use caas_crypto::MasterKey;

use crate::tenant;
use crate::tokens::{service, signing_keys, user, with_header};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory],
    tests: [
        a_token_verifies_from_the_jwks_and_each_check_has_its_code,
        keys_are_fetched_again_for_a_new_kid_but_not_for_every_unknown_one,
    ],
}

const ISSUER: &str = "http://localhost:8080/t/acme";

fn config() -> RemoteConfig {
    RemoteConfig::new(ISSUER, "caas")
}

fn code(result: caas_core::Result<Arc<caas_auth::tokens::Verified>>) -> &'static str {
    let e: Error = result.unwrap_err();
    assert_eq!(e.kind(), caas_core::ErrorKind::Unauthenticated, "{e}");
    e.code()
}

async fn a_token_verifies_from_the_jwks_and_each_check_has_its_code(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await, tenant(b, "umbrella").await);
    let keys = signing_keys(b, KeyPolicy::default(), MasterKey::generate());
    let svc = service(b, keys.clone(), b.shared_clock(), TokenConfig::default());
    let jwks = keys.jwks(&t.id).await.unwrap();
    let issued = svc.issue(&t, &user("s-1")).await.unwrap();

    let verifier = RemoteVerifier::from_jwks(
        RemoteConfig {
            tenant: Some(t.id),
            ..config()
        },
        &jwks,
        b.shared_clock(),
    )
    .unwrap();
    assert!(verifier.cached(&issued.token).is_none(), "not seen yet");
    let verified = verifier.verify(&issued.token).await.unwrap();
    assert_eq!(verified.claims, issued.claims);
    assert_eq!(verified.raw["jti"], issued.claims.jti.as_str());
    assert!(verifier.cached(&issued.token).is_some(), "remembered");

    // Issuer, audience and tenant each refused with their own code.
    let with = |c: RemoteConfig| RemoteVerifier::from_jwks(c, &jwks, b.shared_clock()).unwrap();
    let iss = with(RemoteConfig::new(
        "http://localhost:8080/t/umbrella",
        "caas",
    ));
    assert_eq!(code(iss.verify_offline(&issued.token)), "invalid_issuer");
    let aud = with(RemoteConfig::new(ISSUER, "billing"));
    assert_eq!(code(aud.verify_offline(&issued.token)), "invalid_audience");
    let wrong_tenant = with(RemoteConfig {
        tenant: Some(other.id),
        ..config()
    });
    assert_eq!(
        code(wrong_tenant.verify_offline(&issued.token)),
        "invalid_tenant"
    );

    // The signature, the algorithm, the key.
    let mut tampered = issued.token.clone();
    let at = tampered.len() - 10;
    let swap = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, swap);
    assert_eq!(
        code(verifier.verify_offline(&tampered)),
        "invalid_signature"
    );
    let none = with_header(
        &issued.token,
        serde_json::json!({"alg": "none", "kid": issued.kid}),
    );
    assert_eq!(code(verifier.verify_offline(&none)), "invalid_algorithm");
    let hs = with_header(
        &issued.token,
        serde_json::json!({"alg": "HS256", "kid": issued.kid}),
    );
    assert_eq!(code(verifier.verify_offline(&hs)), "invalid_algorithm");
    let es = with_header(
        &issued.token,
        serde_json::json!({"alg": "ES256", "kid": issued.kid}),
    );
    assert_eq!(
        code(verifier.verify_offline(&es)),
        "invalid_algorithm",
        "not the key's algorithm"
    );
    let unknown = with_header(
        &issued.token,
        serde_json::json!({"alg": "EdDSA", "kid": "nope"}),
    );
    assert_eq!(code(verifier.verify_offline(&unknown)), "invalid_signature");
    let no_kid = with_header(&issued.token, serde_json::json!({"alg": "EdDSA"}));
    assert_eq!(code(verifier.verify_offline(&no_kid)), "missing_claim");
    assert_eq!(
        code(verifier.verify_offline("not a token")),
        "invalid_algorithm"
    );
    assert_eq!(
        code(verifier.verify_offline(&"a".repeat(9000))),
        "invalid_token"
    );

    // A token the tenant signed without `tenant_id` names the claim.
    let mut claims = serde_json::to_value(&issued.claims).unwrap();
    claims.as_object_mut().unwrap().remove("tenant_id");
    let (bare, _) = svc.sign_json(&t, &claims).await.unwrap();
    let e = verifier.verify_offline(&bare).unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("missing_claim", "the token lacks the `tenant_id` claim")
    );

    // A JWKS with only a shared secret has no key to trust.
    let oct = serde_json::json!({"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]});
    let e = RemoteVerifier::from_jwks(config(), &oct, b.shared_clock()).unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (caas_core::ErrorKind::InvalidInput, Some("jwks"))
    );

    // Time: the cached token expires like any other (30 s leeway).
    b.clock.advance(Duration::from_secs(900 + 29));
    assert!(verifier.cached(&issued.token).is_some());
    b.clock.advance(Duration::from_secs(1));
    assert!(
        verifier.cached(&issued.token).is_none(),
        "the cache honours expiry"
    );
    assert_eq!(code(verifier.verify(&issued.token).await), "token_expired");
    // And a token from the future is not valid yet.
    b.clock.set(caas_core::Timestamp::from_millis(
        (issued.claims.iat - 60) * 1000,
    ));
    assert_eq!(
        code(verifier.verify_offline(&issued.token)),
        "token_not_yet_valid"
    );
}

/// An issuer's discovery document and JWKS, counting the JWKS fetches.
#[derive(Debug)]
struct Issuer {
    keys: Arc<SigningKeys>,
    tenant: Tenant,
    fetches: AtomicUsize,
    /// A kid left out of the served JWKS (a withdrawn key).
    hidden: std::sync::Mutex<Option<String>>,
}

#[async_trait]
impl Upstream for Issuer {
    fn check_url(&self, url: &str) -> caas_core::Result<url::Url> {
        url::Url::parse(url).map_err(|_| Error::invalid_input("bad url"))
    }

    async fn send(&self, request: UpstreamRequest) -> caas_core::Result<UpstreamResponse> {
        let body = match request.uri().path() {
            "/t/acme/.well-known/openid-configuration" => serde_json::json!({
                "issuer": ISSUER,
                "authorization_endpoint": format!("{ISSUER}/authorize"),
                "token_endpoint": format!("{ISSUER}/oauth2/token"),
                "jwks_uri": format!("{ISSUER}/.well-known/jwks.json"),
            }),
            "/t/acme/.well-known/jwks.json" => {
                self.fetches.fetch_add(1, Ordering::SeqCst);
                let mut jwks = self.keys.jwks(&self.tenant.id).await?;
                let hidden = self.hidden.lock().unwrap().clone();
                if let (Some(kid), Some(keys)) = (hidden, jwks["keys"].as_array_mut()) {
                    keys.retain(|k| k["kid"] != kid.as_str());
                }
                jwks
            }
            _ => {
                return Ok(http::Response::builder()
                    .status(404)
                    .body(Vec::new())
                    .unwrap());
            }
        };
        Ok(http::Response::new(body.to_string().into_bytes()))
    }
}

async fn keys_are_fetched_again_for_a_new_kid_but_not_for_every_unknown_one(b: &Backend) {
    let t = tenant(b, "acme").await;
    let keys = signing_keys(b, KeyPolicy::default(), MasterKey::generate());
    let svc = service(b, keys.clone(), b.shared_clock(), TokenConfig::default());
    let before = svc.issue(&t, &user("s")).await.unwrap();
    let issuer = Arc::new(Issuer {
        keys: keys.clone(),
        tenant: t.clone(),
        fetches: AtomicUsize::new(0),
        hidden: std::sync::Mutex::new(None),
    });
    let config = RemoteConfig {
        min_refresh: Duration::from_millis(200),
        ..config()
    };
    let verifier = RemoteVerifier::from_issuer(config, issuer.clone(), b.shared_clock())
        .await
        .unwrap();
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 1);
    verifier.verify(&before.token).await.unwrap();

    // The tenant rotates: after `min_refresh` the new kid is fetched once,
    // then known.
    tokio::time::sleep(Duration::from_millis(250)).await;
    keys.rotate(&t.id, None).await.unwrap();
    let after = svc.issue(&t, &user("s")).await.unwrap();
    assert_ne!(after.kid, before.kid);
    assert_eq!(
        code(verifier.verify_offline(&after.token)),
        "invalid_signature"
    );
    verifier.verify(&after.token).await.unwrap();
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 2);
    // Unknown kids right after a fetch do not fetch again.
    let bogus = with_header(
        &after.token,
        serde_json::json!({"alg": "EdDSA", "kid": "bogus"}),
    );
    for _ in 0..5 {
        assert_eq!(code(verifier.verify(&bogus).await), "invalid_signature");
    }
    assert_eq!(
        issuer.fetches.load(Ordering::SeqCst),
        2,
        "at most one fetch per min_refresh"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(code(verifier.verify(&bogus).await), "invalid_signature");
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 3);

    // A key withdrawn from the JWKS takes its cached tokens with it.
    assert!(verifier.cached(&before.token).is_some());
    *issuer.hidden.lock().unwrap() = Some(before.kid.clone());
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(code(verifier.verify(&bogus).await), "invalid_signature");
    assert_eq!(issuer.fetches.load(Ordering::SeqCst), 4);
    assert!(
        verifier.cached(&before.token).is_none(),
        "withdrawn with its key"
    );
    assert_eq!(
        code(verifier.verify_offline(&before.token)),
        "invalid_signature"
    );
    verifier.verify(&after.token).await.unwrap();

    // A discovery document naming another issuer is refused.
    let e = RemoteVerifier::from_issuer(
        RemoteConfig::new("http://localhost:8080/t/umbrella", "caas"),
        issuer.clone(),
        b.shared_clock(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), caas_core::ErrorKind::Unavailable, "{e}");
}
