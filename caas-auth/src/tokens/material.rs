//! Signing-key material per algorithm: generation, the private form kept
//! (sealed) in the store, the public JWK, and the jsonwebtoken keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The algorithms a tenant's access tokens can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    /// Ed25519 (RFC 8037); the default.
    EdDSA,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys (for clients that
    /// know nothing newer).
    RS256,
    /// HMAC-SHA-256 with a shared secret: only through
    /// [`TokenConfig::dangerous_allow_hs256`](super::TokenConfig), never
    /// published in the JWKS — anyone who can verify can also forge.
    HS256,
}

impl SigningAlgorithm {
    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::EdDSA => "EdDSA",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::HS256 => "HS256",
        }
    }

    /// Parses a JOSE name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "EdDSA" => Ok(SigningAlgorithm::EdDSA),
            "ES256" => Ok(SigningAlgorithm::ES256),
            "RS256" => Ok(SigningAlgorithm::RS256),
            "HS256" => Ok(SigningAlgorithm::HS256),
            other => Err(Error::invalid_input(format!(
                "`{}` is not a signing algorithm (EdDSA, ES256, RS256, HS256)",
                other.chars().take(16).collect::<String>()
            ))
            .with_field("algorithm")),
        }
    }

    pub(crate) fn jwt(self) -> Algorithm {
        match self {
            SigningAlgorithm::EdDSA => Algorithm::EdDSA,
            SigningAlgorithm::ES256 => Algorithm::ES256,
            SigningAlgorithm::RS256 => Algorithm::RS256,
            SigningAlgorithm::HS256 => Algorithm::HS256,
        }
    }
}

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410 §7): the 32-byte
/// seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A private key (secret; zeroized on drop): Ed25519 seed, P-256 scalar or
/// HMAC secret (32 bytes each), or an RSA key (PKCS#1 DER).
pub(crate) struct Private {
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) bytes: Zeroizing<Vec<u8>>,
}

fn seed(bytes: &[u8]) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| Error::internal("a stored signing key has the wrong length"))
}

impl Private {
    /// A new random key.
    pub(crate) fn generate(algorithm: SigningAlgorithm) -> Result<Self> {
        if algorithm == SigningAlgorithm::RS256 {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(|e| Error::internal(format!("cannot make an RSA key: {e}")))?;
            let der = key
                .to_pkcs1_der()
                .map_err(|_| Error::internal("cannot encode an RSA key"))?;
            return Ok(Private {
                algorithm,
                bytes: Zeroizing::new(der.as_bytes().to_vec()),
            });
        }
        loop {
            let mut bytes = Zeroizing::new(vec![0u8; 32]);
            rand::fill(&mut bytes[..]);
            // A P-256 scalar must be below the group order; retry otherwise
            // (probability about 2^-32).
            if algorithm != SigningAlgorithm::ES256
                || p256::SecretKey::from_slice(&bytes[..]).is_ok()
            {
                return Ok(Private { algorithm, bytes });
            }
        }
    }

    /// The key from its stored bytes.
    pub(crate) fn from_bytes(algorithm: SigningAlgorithm, bytes: &[u8]) -> Result<Self> {
        if algorithm != SigningAlgorithm::RS256 && bytes.len() != 32 {
            return Err(Error::internal("a stored signing key has the wrong length"));
        }
        Ok(Private {
            algorithm,
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The key jsonwebtoken signs with.
    pub(crate) fn encoding_key(&self) -> Result<EncodingKey> {
        match self.algorithm {
            SigningAlgorithm::EdDSA => {
                let mut der = Zeroizing::new(Vec::with_capacity(48));
                der.extend_from_slice(&ED25519_PKCS8_PREFIX);
                der.extend_from_slice(&self.bytes[..]);
                Ok(EncodingKey::from_ed_der(&der))
            }
            SigningAlgorithm::RS256 => Ok(EncodingKey::from_rsa_der(&self.bytes)),
            SigningAlgorithm::ES256 => {
                use p256::pkcs8::EncodePrivateKey;
                let key = p256::SecretKey::from_slice(&self.bytes[..])
                    .map_err(|_| Error::internal("a stored P-256 key is invalid"))?;
                let der = key
                    .to_pkcs8_der()
                    .map_err(|_| Error::internal("cannot encode a P-256 key"))?;
                Ok(EncodingKey::from_ec_der(der.as_bytes()))
            }
            SigningAlgorithm::HS256 => Ok(EncodingKey::from_secret(&self.bytes[..])),
        }
    }

    /// The public JWK (`kty`, `crv`, coordinates, `kid`, `alg`, `use`); for
    /// HS256 `None` (a shared secret is never published).
    pub(crate) fn public_jwk(&self, kid: &str) -> Result<Option<serde_json::Value>> {
        Ok(match self.algorithm {
            SigningAlgorithm::EdDSA => {
                let key = ed25519_dalek::SigningKey::from_bytes(&seed(&self.bytes)?);
                Some(serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519",
                    "x": B64.encode(key.verifying_key().to_bytes()),
                    "kid": kid, "alg": "EdDSA", "use": "sig",
                }))
            }
            SigningAlgorithm::ES256 => {
                use p256::elliptic_curve::sec1::ToEncodedPoint;
                let key = p256::SecretKey::from_slice(&self.bytes[..])
                    .map_err(|_| Error::internal("a stored P-256 key is invalid"))?;
                let point = key.public_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return Err(Error::internal("a P-256 public key has no coordinates"));
                };
                Some(serde_json::json!({
                    "kty": "EC", "crv": "P-256",
                    "x": B64.encode(x), "y": B64.encode(y),
                    "kid": kid, "alg": "ES256", "use": "sig",
                }))
            }
            SigningAlgorithm::RS256 => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                use rsa::traits::PublicKeyParts;
                let key = rsa::RsaPrivateKey::from_pkcs1_der(&self.bytes)
                    .map_err(|_| Error::internal("a stored RSA key is invalid"))?;
                Some(serde_json::json!({
                    "kty": "RSA",
                    "n": B64.encode(key.n().to_bytes_be()),
                    "e": B64.encode(key.e().to_bytes_be()),
                    "kid": kid, "alg": "RS256", "use": "sig",
                }))
            }
            SigningAlgorithm::HS256 => None,
        })
    }

    /// The PASETO v4.public secret key (Ed25519 seed ‖ public key); only
    /// for EdDSA keys.
    pub(crate) fn paseto_secret(&self) -> Option<Zeroizing<Vec<u8>>> {
        let seed = seed(&self.bytes)
            .ok()
            .filter(|_| self.algorithm == SigningAlgorithm::EdDSA)?;
        Some({
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let mut both = Zeroizing::new(Vec::with_capacity(64));
            both.extend_from_slice(&self.bytes[..]);
            both.extend_from_slice(&key.verifying_key().to_bytes());
            both
        })
    }

    /// The key jsonwebtoken verifies with.
    pub(crate) fn decoding_key(&self, kid: &str) -> Result<DecodingKey> {
        match self.public_jwk(kid)? {
            Some(jwk) => decoding_key(&jwk),
            None => Ok(DecodingKey::from_secret(&self.bytes[..])),
        }
    }
}

/// The verifying key of a public JWK this crate wrote.
pub(crate) fn decoding_key(jwk: &serde_json::Value) -> Result<DecodingKey> {
    let field = |name: &str| {
        jwk.get(name)
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::internal(format!("a stored JWK lacks `{name}`")))
    };
    let key = match field("kty")? {
        "OKP" => DecodingKey::from_ed_components(field("x")?),
        "EC" => DecodingKey::from_ec_components(field("x")?, field("y")?),
        "RSA" => DecodingKey::from_rsa_components(field("n")?, field("e")?),
        _ => return Err(Error::internal("a stored JWK has an unknown key type")),
    };
    key.map_err(|e| Error::internal(format!("a stored JWK is invalid: {e}")))
}

/// The raw Ed25519 public key of a public JWK (`OKP`/`Ed25519`), for PASETO.
pub(crate) fn ed25519_public(jwk: &serde_json::Value) -> Option<[u8; 32]> {
    if jwk.get("crv")?.as_str()? != "Ed25519" {
        return None;
    }
    let x = B64.decode(jwk.get("x")?.as_str()?).ok()?;
    x.try_into().ok()
}
