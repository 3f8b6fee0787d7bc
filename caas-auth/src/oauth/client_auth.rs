//! Client authentication at the token, introspection and revocation
//! endpoints: `client_secret_basic`, `client_secret_post`,
//! `private_key_jwt` (RFC 7523 §2.2, each assertion usable once) and `none`
//! for public clients. Exactly one method per request; every failure is
//! 401 `invalid_client` with one message, so nothing tells an unknown
//! client from a wrong secret.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::{Error, KvKey, Namespace, Result, SharedKvStore, TenantId};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::clients::{AuthMethod, ClientType, OAuthClient, OAuthClients};
use super::error::OAuthError;
use crate::opaque;

/// The assertion type of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The client credentials a request carries.
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    /// From `Authorization: Basic` (already percent-decoded).
    pub basic: Option<(String, String)>,
    /// `client_id` in the body.
    pub client_id: Option<String>,
    /// `client_secret` in the body.
    pub client_secret: Option<String>,
    /// `client_assertion_type`.
    pub assertion_type: Option<String>,
    /// `client_assertion`.
    pub assertion: Option<String>,
}

/// The `invalid_client` error ([`OAuthError::invalid_client`]) as an
/// [`Error`].
pub fn invalid_client() -> Error {
    OAuthError::invalid_client().into()
}

fn malformed(message: &'static str) -> Error {
    OAuthError::invalid_request(message).into()
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    jti: String,
    exp: i64,
}

/// Authenticates the client of a request to `endpoint` (its URL; the
/// issuer is accepted as the assertion audience too).
pub async fn authenticate(
    clients: &OAuthClients,
    kv: &SharedKvStore,
    tenant: &TenantId,
    credentials: &ClientCredentials,
    audiences: &[String],
) -> Result<OAuthClient> {
    let c = credentials;
    let methods = [
        c.basic.is_some(),
        c.client_secret.is_some(),
        c.assertion.is_some(),
    ]
    .into_iter()
    .filter(|m| *m)
    .count();
    if methods > 1 {
        return Err(malformed(
            "the request uses more than one client authentication method",
        ));
    }
    if let Some((id, secret)) = &c.basic {
        if c.client_id.as_deref().is_some_and(|b| b != id) {
            return Err(malformed(
                "`client_id` differs from the authenticated client",
            ));
        }
        let client = clients.authenticate(tenant, id, secret).await?;
        return secret_method(client);
    }
    if let Some(secret) = &c.client_secret {
        let id = c.client_id.as_deref().ok_or_else(invalid_client)?;
        let client = clients.authenticate(tenant, id, secret).await?;
        return secret_method(client);
    }
    if let Some(assertion) = &c.assertion {
        if c.assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(malformed(
                "`client_assertion_type` must be the JWT bearer type",
            ));
        }
        return assertion_method(
            clients,
            kv,
            tenant,
            c.client_id.as_deref(),
            assertion,
            audiences,
        )
        .await;
    }
    let id = c.client_id.as_deref().ok_or_else(invalid_client)?;
    let client = clients.get(tenant, id).await?.ok_or_else(invalid_client)?;
    if client.settings.client_type != ClientType::Public {
        return Err(invalid_client());
    }
    Ok(client)
}

fn secret_method(client: OAuthClient) -> Result<OAuthClient> {
    match client.settings.auth_method() {
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => Ok(client),
        _ => Err(invalid_client()),
    }
}

async fn assertion_method(
    clients: &OAuthClients,
    kv: &SharedKvStore,
    tenant: &TenantId,
    client_id: Option<&str>,
    assertion: &str,
    audiences: &[String],
) -> Result<OAuthClient> {
    if assertion.len() > 8 * 1024 {
        return Err(invalid_client());
    }
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| invalid_client())?;
    // The client is named by `iss`/`sub`; read it before trusting anything.
    let unverified: serde_json::Value = assertion
        .split('.')
        .nth(1)
        .and_then(|p| B64.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid_client)?;
    let id = unverified
        .get("sub")
        .and_then(|s| s.as_str())
        .ok_or_else(invalid_client)?;
    if client_id.is_some_and(|c| c != id) {
        return Err(invalid_client());
    }
    let client = clients.get(tenant, id).await?.ok_or_else(invalid_client)?;
    if client.settings.auth_method() != AuthMethod::PrivateKeyJwt {
        return Err(invalid_client());
    }
    let set: JwkSet = client
        .settings
        .jwks
        .clone()
        .and_then(|j| serde_json::from_value(j).ok())
        .ok_or_else(invalid_client)?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or_else(invalid_client)?;
    // Only asymmetric algorithms, and only with a key of their family.
    let family_ok = matches!(
        (header.alg, &jwk.algorithm),
        (
            Algorithm::RS256 | Algorithm::PS256,
            AlgorithmParameters::RSA(_)
        ) | (Algorithm::ES256, AlgorithmParameters::EllipticCurve(_))
            | (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(_))
    );
    if !family_ok {
        return Err(invalid_client());
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid_client())?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = 30;
    validation.set_audience(audiences);
    validation.set_issuer(&[id]);
    validation.required_spec_claims = ["exp", "iss", "sub", "aud", "jti"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
        .map_err(|_| invalid_client())?
        .claims;
    if claims.sub != id || claims.iss != id {
        return Err(invalid_client());
    }
    // Single use: remember the `jti` until the assertion expires (at most an hour).
    let now = jsonwebtoken::get_current_timestamp() as i64;
    let ttl = (claims.exp - now + 30).clamp(1, 3600);
    let key = replay_key(tenant, id, &claims.jti)?;
    let fresh = kv
        .set_if_absent(&key, b"1", Some(Duration::from_secs(ttl as u64)))
        .await?;
    if !fresh {
        return Err(invalid_client());
    }
    Ok(client)
}

fn replay_key(tenant: &TenantId, client: &str, jti: &str) -> Result<KvKey> {
    Namespace::Tenant(*tenant).key(&format!(
        "oauth:assertion:{}",
        opaque::digest(&format!("{client}\u{0}{jti}"))
    ))
}
