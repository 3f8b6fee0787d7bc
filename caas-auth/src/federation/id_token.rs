//! Validating an upstream ID token: discovery of the issuer (its document's
//! `issuer` must equal the configured one), the issuer's JWKS, then the
//! token's signature (RS256, PS256, ES256 or EdDSA, with a key of the
//! matching family), `iss`, `aud` (and `azp` when several audiences),
//! `exp`/`iat` with 60 s leeway, and `nonce`.

use caas_core::{Error, Result};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::upstream::{Upstream, failed, get_json};

/// An issuer's endpoints.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Discovered {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `userinfo_endpoint`.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

/// Fetches `{issuer}/.well-known/openid-configuration`; its `issuer` must be
/// `issuer` (a Microsoft multi-tenant issuer is accepted as the template it is).
pub(crate) async fn discover(upstream: &dyn Upstream, issuer: &str) -> Result<Discovered> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc: Discovered = serde_json::from_value(get_json(upstream, &url, None).await?)
        .map_err(|_| failed("the identity provider's discovery document is incomplete"))?;
    let same = doc.issuer.trim_end_matches('/') == issuer.trim_end_matches('/')
        || (issuer.starts_with("https://login.microsoftonline.com/")
            && doc.issuer.contains("{tenantid}"));
    if !same {
        return Err(failed(
            "the identity provider's discovery names another issuer",
        ));
    }
    Ok(doc)
}

/// What a validated upstream ID token says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct UpstreamClaims {
    /// The upstream subject.
    pub sub: String,
    /// `iss`.
    pub iss: String,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the provider verified it.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// `nonce`.
    #[serde(default)]
    pub nonce: Option<String>,
    /// Microsoft's directory id.
    #[serde(default)]
    pub tid: Option<String>,
    /// `azp`.
    #[serde(default)]
    pub azp: Option<String>,
}

fn rejected(message: &'static str) -> Error {
    Error::invalid_token(message).with_code("upstream_token_invalid")
}

/// Validates `token` from `doc`'s issuer for `client_id` and `nonce`.
pub(crate) async fn validate(
    upstream: &dyn Upstream,
    doc: &Discovered,
    expected_issuer: &str,
    token: &str,
    client_id: &str,
    nonce: &str,
) -> Result<UpstreamClaims> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| rejected("the upstream ID token is malformed"))?;
    let set: JwkSet = serde_json::from_value(get_json(upstream, &doc.jwks_uri, None).await?)
        .map_err(|_| failed("the identity provider's JWKS is not a key set"))?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or_else(|| rejected("the upstream ID token's key is not in the provider's JWKS"))?;
    let family_ok = matches!(
        (header.alg, &jwk.algorithm),
        (
            Algorithm::RS256 | Algorithm::PS256,
            AlgorithmParameters::RSA(_)
        ) | (Algorithm::ES256, AlgorithmParameters::EllipticCurve(_))
            | (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(_))
    );
    if !family_ok {
        return Err(rejected("the upstream ID token's algorithm is not allowed"));
    }
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| failed("a key in the identity provider's JWKS is unusable"))?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = 60;
    validation.set_audience(&[client_id]);
    validation.required_spec_claims = ["exp", "iat", "iss", "sub", "aud"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let claims = jsonwebtoken::decode::<UpstreamClaims>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                rejected("the upstream ID token's signature does not verify")
            }
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                rejected("the upstream ID token expired")
            }
            jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                rejected("the upstream ID token is for another client")
            }
            _ => rejected("the upstream ID token is invalid"),
        })?
        .claims;
    let issuer_ok = if expected_issuer.starts_with("https://login.microsoftonline.com/")
        && doc.issuer.contains("{tenantid}")
    {
        claims
            .tid
            .as_deref()
            .is_some_and(|tid| claims.iss == doc.issuer.replace("{tenantid}", tid))
    } else {
        claims.iss.trim_end_matches('/') == expected_issuer.trim_end_matches('/')
    };
    if !issuer_ok {
        return Err(rejected(
            "the upstream ID token was issued by another issuer",
        ));
    }
    if claims.azp.as_deref().is_some_and(|azp| azp != client_id) {
        return Err(rejected(
            "the upstream ID token was issued to another party",
        ));
    }
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| subtle::ConstantTimeEq::ct_eq(n.as_bytes(), nonce.as_bytes()).into());
    if !nonce_ok {
        return Err(rejected(
            "the upstream ID token's nonce does not match the login",
        ));
    }
    Ok(claims)
}
