//! [`RemoteVerifier`]: how a resource server checks CAAS access tokens
//! without the platform — the tenant's JWKS (given, or found through the
//! issuer's discovery document and fetched again when a token names a key it
//! has not seen), the signature under an asymmetric algorithm the key itself
//! declares, every claim check [`TokenService`](super::TokenService) makes
//! (times with leeway, issuer, audience, tenant), and a bounded cache of
//! tokens already verified that still checks their times on every hit.
//!
//! It cannot see revocations: a revoked token stays valid here until it
//! expires. Services that must see a logout at once introspect instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use caas_core::{Error, Result, SharedClock, TenantId};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};

use super::Claims;
use super::checks::{Expected, check_claims};
use crate::federation::Upstream;

/// The longest token looked at.
const MAX_TOKEN: usize = 8 * 1024;

/// The claims a CAAS access token always carries.
const REQUIRED: [&str; 9] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "tenant_id",
    "kind",
];

/// What a [`RemoteVerifier`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteConfig {
    /// The tenant's issuer, `{public_url}/t/{slug}`.
    pub issuer: String,
    /// The audience the service is (`aud` must name it).
    pub audience: String,
    /// The tenant the tokens must belong to (`None`: the issuer decides).
    pub tenant: Option<TenantId>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Most verified tokens remembered (0: no cache).
    pub cache_capacity: usize,
    /// Shortest time between two fetches of the issuer's keys.
    pub min_refresh: Duration,
    /// How long fetched keys are used before they are fetched again.
    pub max_key_age: Duration,
}

impl RemoteConfig {
    /// Tokens of `issuer` for `audience`, 30 s leeway, 10,000 cached tokens,
    /// keys fetched at most every 10 s and at least every 10 min.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        RemoteConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            tenant: None,
            leeway: Duration::from_secs(30),
            cache_capacity: 10_000,
            min_refresh: Duration::from_secs(10),
            max_key_age: Duration::from_secs(600),
        }
    }
}

/// A verified token: its typed claims and every claim as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The claims CAAS defines.
    pub claims: Claims,
    /// Every claim of the token, including ones CAAS does not define.
    pub raw: serde_json::Map<String, serde_json::Value>,
}

/// Verifying keys by `kid`, each with the one algorithm it may be used with.
#[derive(Clone, Default)]
struct KeySet(HashMap<String, (Algorithm, DecodingKey)>);

impl KeySet {
    /// The asymmetric keys of a JWKS document. A key without `kid`, a
    /// symmetric key, or a key whose `alg` does not fit its type is left
    /// out; a set with no usable key is refused.
    fn from_jwks(jwks: &serde_json::Value) -> Result<Self> {
        let set: JwkSet = serde_json::from_value(jwks.clone())
            .map_err(|_| Error::invalid_input("the JWKS is not a key set").with_field("jwks"))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = &jwk.common.key_id else {
                continue;
            };
            let Some(algorithm) = algorithm_of(&jwk.algorithm, jwk.common.key_algorithm) else {
                continue;
            };
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            keys.insert(kid.clone(), (algorithm, key));
        }
        if keys.is_empty() {
            return Err(
                Error::invalid_input("the JWKS has no usable asymmetric key with a `kid`")
                    .with_field("jwks"),
            );
        }
        Ok(KeySet(keys))
    }
}

/// The algorithm a key may verify: its `alg` when it names one that fits the
/// key type, else the type's default (Ed25519 → EdDSA, P-256 → ES256,
/// RSA → RS256). Symmetric keys and other curves are never used.
fn algorithm_of(
    params: &AlgorithmParameters,
    declared: Option<jsonwebtoken::jwk::KeyAlgorithm>,
) -> Option<Algorithm> {
    use jsonwebtoken::jwk::KeyAlgorithm as K;
    match (params, declared) {
        (AlgorithmParameters::OctetKeyPair(p), None | Some(K::EdDSA))
            if p.curve == EllipticCurve::Ed25519 =>
        {
            Some(Algorithm::EdDSA)
        }
        (AlgorithmParameters::EllipticCurve(p), None | Some(K::ES256))
            if p.curve == EllipticCurve::P256 =>
        {
            Some(Algorithm::ES256)
        }
        (AlgorithmParameters::RSA(_), None | Some(K::RS256)) => Some(Algorithm::RS256),
        (AlgorithmParameters::RSA(_), Some(K::PS256)) => Some(Algorithm::PS256),
        _ => None,
    }
}

/// Where fetched keys come from.
#[derive(Debug, Clone)]
struct Source {
    upstream: Arc<dyn Upstream>,
    jwks_uri: String,
}

/// The keys in use and when they were fetched.
#[derive(Clone)]
struct Keys {
    set: Arc<KeySet>,
    fetched: Instant,
}

/// A cached token: the `kid` that verified it, and what it said.
type Cached = (String, Arc<Verified>);

/// Verifies one tenant's access tokens for one audience. Cheap to share
/// between threads; every method takes `&self`.
pub struct RemoteVerifier {
    config: RemoteConfig,
    clock: SharedClock,
    keys: RwLock<Keys>,
    source: Option<Source>,
    /// Serializes fetches, and remembers the last one.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// Verified tokens by the SHA-256 of the token, with the `kid` that
    /// verified them (entries go when their key leaves the JWKS).
    cache: Mutex<HashMap<[u8; 32], Cached>>,
}

impl std::fmt::Debug for RemoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteVerifier")
            .field("config", &self.config)
            .field("fetches_keys", &self.source.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a token failed before its claims were looked at because of the keys.
enum Attempt {
    /// Verified, or refused for good.
    Done(Result<Arc<Verified>>),
    /// The token names a key this verifier does not have.
    UnknownKey,
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::invalid_token(message)
}

impl RemoteVerifier {
    /// A verifier with a fixed key set (a JWKS document).
    pub fn from_jwks(
        config: RemoteConfig,
        jwks: &serde_json::Value,
        clock: SharedClock,
    ) -> Result<Self> {
        let set = KeySet::from_jwks(jwks)?;
        Ok(Self::with_keys(config, set, None, clock))
    }

    /// A verifier that finds the issuer's `jwks_uri` in its discovery
    /// document (`{issuer}/.well-known/openid-configuration`, whose
    /// `issuer` must be the configured one) and fetches the keys through
    /// `upstream`: again when a token names an unknown `kid` (at most every
    /// `min_refresh`) and when they are older than `max_key_age`.
    pub async fn from_issuer(
        config: RemoteConfig,
        upstream: Arc<dyn Upstream>,
        clock: SharedClock,
    ) -> Result<Self> {
        let doc = crate::federation::discover(upstream.as_ref(), &config.issuer).await?;
        let source = Source {
            upstream,
            jwks_uri: doc.jwks_uri,
        };
        let set = fetch(&source).await?;
        let verifier = Self::with_keys(config, set, Some(source), clock);
        *verifier.last_fetch.lock().await = Some(Instant::now());
        Ok(verifier)
    }

    fn with_keys(
        config: RemoteConfig,
        set: KeySet,
        source: Option<Source>,
        clock: SharedClock,
    ) -> Self {
        RemoteVerifier {
            config,
            clock,
            keys: RwLock::new(Keys {
                set: Arc::new(set),
                fetched: Instant::now(),
            }),
            source,
            last_fetch: tokio::sync::Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// What this verifier accepts.
    pub fn config(&self) -> &RemoteConfig {
        &self.config
    }

    /// The token if it was verified before and its times still hold; no
    /// signature is checked. `None` when it must be verified.
    pub fn cached(&self, token: &str) -> Option<Arc<Verified>> {
        if self.config.cache_capacity == 0 || token.len() > MAX_TOKEN {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let hit = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest)
            .map(|(_, v)| v.clone())?;
        check_claims(&hit.claims, self.clock.now().as_secs(), &self.expected())
            .ok()
            .map(|()| hit)
    }

    /// Verifies `token`: the cache, then the keys in hand, then — for a
    /// verifier made by [`RemoteVerifier::from_issuer`] — freshly fetched
    /// keys when the token names an unknown key or the keys are old. Every
    /// refusal is 401 `invalid_token`, with a finer code where there is one
    /// (`token_expired`, `token_not_yet_valid`, `invalid_issuer`,
    /// `invalid_audience`, `invalid_tenant`, `invalid_algorithm`,
    /// `invalid_signature`, `missing_claim`).
    pub async fn verify(&self, token: &str) -> Result<Arc<Verified>> {
        if let Some(hit) = self.cached(token) {
            return Ok(hit);
        }
        if self.keys_are_old() {
            self.refresh(false).await;
        }
        match self.verify_with_keys(token) {
            Attempt::Done(result) => result,
            Attempt::UnknownKey => {
                if self.refresh(true).await
                    && let Attempt::Done(result) = self.verify_with_keys(token)
                {
                    return result;
                }
                Err(invalid("the token's signing key is unknown to this issuer")
                    .with_code("invalid_signature"))
            }
        }
    }

    /// Verifies `token` with the keys in hand, never fetching: what
    /// [`RemoteVerifier::verify`] does for a verifier with fixed keys.
    pub fn verify_offline(&self, token: &str) -> Result<Arc<Verified>> {
        if let Some(hit) = self.cached(token) {
            return Ok(hit);
        }
        match self.verify_with_keys(token) {
            Attempt::Done(result) => result,
            Attempt::UnknownKey => {
                Err(invalid("the token's signing key is unknown to this issuer")
                    .with_code("invalid_signature"))
            }
        }
    }

    fn expected(&self) -> Expected<'_> {
        Expected {
            issuer: &self.config.issuer,
            audience: Some(&self.config.audience),
            tenant: self.config.tenant.as_ref(),
            leeway: i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX),
        }
    }

    fn keys_are_old(&self) -> bool {
        self.source.is_some()
            && self
                .keys
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .fetched
                .elapsed()
                > self.config.max_key_age
    }

    /// Fetches the keys again unless that was done within `min_refresh`
    /// (`forced`) or just now by another caller; true when new keys are in
    /// place. A failed fetch keeps the old keys.
    async fn refresh(&self, forced: bool) -> bool {
        let Some(source) = &self.source else {
            return false;
        };
        let mut last = self.last_fetch.lock().await;
        let recent = last.is_some_and(|at| at.elapsed() < self.config.min_refresh);
        if recent || (!forced && !self.keys_are_old()) {
            return false;
        }
        *last = Some(Instant::now());
        match fetch(source).await {
            Ok(set) => {
                // A token whose key was withdrawn is not valid from the cache.
                self.cache
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .retain(|_, (kid, _)| set.0.contains_key(kid));
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Keys {
                    set: Arc::new(set),
                    fetched: Instant::now(),
                };
                true
            }
            Err(e) => {
                tracing::warn!(issuer = %self.config.issuer, error = %e, "cannot fetch the issuer's keys");
                false
            }
        }
    }

    fn verify_with_keys(&self, token: &str) -> Attempt {
        if token.len() > MAX_TOKEN {
            return Attempt::Done(Err(invalid("the token is too long")));
        }
        let header = match jsonwebtoken::decode_header(token) {
            Ok(h) => h,
            Err(_) => {
                return Attempt::Done(Err(invalid(
                    "the token is malformed or uses an unsupported algorithm",
                )
                .with_code("invalid_algorithm")));
            }
        };
        if !matches!(
            header.alg,
            Algorithm::EdDSA | Algorithm::ES256 | Algorithm::RS256 | Algorithm::PS256
        ) {
            return Attempt::Done(Err(
                invalid("the token's algorithm is not allowed").with_code("invalid_algorithm")
            ));
        }
        let Some(kid) = header.kid else {
            return Attempt::Done(Err(
                invalid("the token names no signing key (`kid`)").with_code("missing_claim")
            ));
        };
        let set = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .set
            .clone();
        let Some((algorithm, key)) = set.0.get(&kid) else {
            return Attempt::UnknownKey;
        };
        if *algorithm != header.alg {
            return Attempt::Done(Err(invalid(
                "the token's algorithm is not allowed for its key",
            )
            .with_code("invalid_algorithm")));
        }
        Attempt::Done(self.decode(token, &kid, *algorithm, key))
    }

    fn decode(
        &self,
        token: &str,
        kid: &str,
        algorithm: Algorithm,
        key: &DecodingKey,
    ) -> Result<Arc<Verified>> {
        let mut validation = Validation::new(algorithm);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.required_spec_claims.clear();
        let raw = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            key,
            &validation,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                invalid("the token's signature does not verify").with_code("invalid_signature")
            }
            _ => invalid("the token is malformed"),
        })?
        .claims;
        if let Some(name) = REQUIRED.iter().find(|name| !raw.contains_key(**name)) {
            return Err(
                invalid(format!("the token lacks the `{name}` claim")).with_code("missing_claim")
            );
        }
        let claims: Claims = serde_json::from_value(serde_json::Value::Object(raw.clone()))
            .map_err(|_| invalid("the token's claims are malformed"))?;
        check_claims(&claims, self.clock.now().as_secs(), &self.expected())
            .map_err(|r| r.error())?;
        let verified = Arc::new(Verified { claims, raw });
        self.remember(token, kid, &verified);
        Ok(verified)
    }

    /// Caches `verified`; a full cache first drops what has expired, and
    /// is emptied when that frees nothing.
    fn remember(&self, token: &str, kid: &str, verified: &Arc<Verified>) {
        let capacity = self.config.cache_capacity;
        if capacity == 0 {
            return;
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = self.clock.now().as_secs();
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= capacity {
            cache.retain(|_, (_, v)| v.claims.exp > now);
            if cache.len() >= capacity {
                cache.clear();
            }
        }
        cache.insert(digest, (kid.to_owned(), verified.clone()));
    }
}

/// The usable keys at `source`.
async fn fetch(source: &Source) -> Result<KeySet> {
    let jwks =
        crate::federation::get_json(source.upstream.as_ref(), &source.jwks_uri, None).await?;
    KeySet::from_jwks(&jwks).map_err(|_| {
        Error::unavailable("the issuer's JWKS has no usable key").with_code("upstream_failed")
    })
}
