//! [`TokenService`]: issues access tokens (JWT) with the tenant's signing
//! key and verifies them with every check: signature, algorithm allow-list
//! (the algorithm of the key named by `kid`), `exp`/`nbf`/`iat` with a
//! bounded leeway on the service's clock, `iss`, `aud`, `tenant_id` equal to
//! the resolved tenant, and revocation.

use std::sync::Arc;
use std::time::Duration;

use caas_core::{Error, PrincipalKind, Result, SharedClock, Tenant, Timestamp, new_id};
use jsonwebtoken::{Header, Validation};
use pasetors::Public;
use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};

use super::claims::{Audience, Claims};
use super::keys::SigningKeys;
use super::material::SigningAlgorithm;
use super::paseto;
use crate::revocation::Revocations;

/// The longest token accepted, in bytes.
const MAX_TOKEN: usize = 8 * 1024;
/// The most leeway that can be configured.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Token lifetimes and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// The server's public base URL; a tenant's issuer is `{public_url}/t/{slug}`.
    pub public_url: String,
    /// Access-token lifetime (default 15 minutes).
    pub access_ttl: Duration,
    /// The longest lifetime a caller may ask for (default 24 hours).
    pub max_ttl: Duration,
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default 30 s, at most 5 min).
    pub leeway: Duration,
    /// The audience of tokens that name none (default `caas`).
    pub default_audience: String,
    /// Accept and issue HS256 tokens. Dangerous: the verifying secret can
    /// also sign. Off by default; never published in the JWKS.
    pub dangerous_allow_hs256: bool,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            public_url: "http://localhost:8080".into(),
            access_ttl: Duration::from_secs(15 * 60),
            max_ttl: Duration::from_secs(24 * 3600),
            leeway: Duration::from_secs(30),
            default_audience: "caas".into(),
            dangerous_allow_hs256: false,
        }
    }
}

impl TokenConfig {
    /// Checks the configuration.
    pub fn validate(&self) -> Result<()> {
        if self.leeway > MAX_LEEWAY {
            return Err(
                Error::invalid_input("the token leeway may be at most 5 minutes")
                    .with_field("tokens.leeway"),
            );
        }
        if self.access_ttl.is_zero() || self.access_ttl > self.max_ttl {
            return Err(Error::invalid_input(
                "the access-token lifetime must be positive and at most the maximum lifetime",
            )
            .with_field("tokens.access_ttl"));
        }
        Ok(())
    }

    /// How long a replaced signing key (and a revocation) must be kept.
    pub fn overlap(&self) -> Duration {
        self.max_ttl + self.leeway
    }
}

/// The format of an access token.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFormat {
    /// A JWT (JWS compact serialization; the default).
    #[default]
    Jwt,
    /// A PASETO v4.public token (EdDSA keys only).
    Paseto,
}

/// What a token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// `kind`.
    pub kind: PrincipalKind,
    /// `sid`.
    pub session: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Roles.
    pub roles: Vec<String>,
    /// `amr`.
    pub amr: Vec<String>,
    /// `auth_time`.
    pub auth_time: Option<Timestamp>,
    /// `aud`; the configured default when empty.
    pub audience: Vec<String>,
    /// `client_id`: the OAuth client it is issued to.
    pub client_id: Option<String>,
    /// `owner`: the user a derived credential acts for.
    pub owner: Option<String>,
    /// Lifetime; the configured one when `None` (capped at the maximum).
    pub ttl: Option<Duration>,
}

impl TokenRequest {
    /// A request for `subject` of `kind`, everything else empty.
    pub fn new(subject: impl Into<String>, kind: PrincipalKind) -> Self {
        TokenRequest {
            subject: subject.into(),
            kind,
            session: None,
            scopes: Vec::new(),
            roles: Vec::new(),
            amr: Vec::new(),
            auth_time: None,
            audience: Vec::new(),
            client_id: None,
            owner: None,
            ttl: None,
        }
    }
}

/// An issued token.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
    /// The key that signed it.
    pub kid: String,
}

/// Issues and verifies access tokens.
#[derive(Debug, Clone)]
pub struct TokenService {
    keys: Arc<SigningKeys>,
    revocations: Revocations,
    clock: SharedClock,
    config: Arc<TokenConfig>,
}

fn invalid(message: &'static str) -> Error {
    Error::invalid_token(message)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl TokenService {
    /// A service signing with `keys`, checking `revocations`.
    pub fn new(
        keys: Arc<SigningKeys>,
        revocations: Revocations,
        clock: SharedClock,
        config: TokenConfig,
    ) -> Result<Self> {
        config.validate()?;
        Ok(TokenService {
            keys,
            revocations,
            clock,
            config: Arc::new(config),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// The signing keys.
    pub fn keys(&self) -> &Arc<SigningKeys> {
        &self.keys
    }

    /// The revocations.
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// The tenant's issuer URL.
    pub fn issuer(&self, tenant: &Tenant) -> String {
        format!(
            "{}/t/{}",
            self.config.public_url.trim_end_matches('/'),
            tenant.slug
        )
    }

    fn claims_for(&self, tenant: &Tenant, request: &TokenRequest) -> Claims {
        let now = self.clock.now().as_secs();
        let ttl = request
            .ttl
            .unwrap_or(self.config.access_ttl)
            .min(self.config.max_ttl);
        let audience = if request.audience.is_empty() {
            vec![self.config.default_audience.clone()]
        } else {
            request.audience.clone()
        };
        Claims {
            iss: self.issuer(tenant),
            sub: request.subject.clone(),
            aud: Audience(audience),
            exp: now.saturating_add(secs(ttl)),
            nbf: now,
            iat: now,
            jti: new_id(self.clock.as_ref()).to_string(),
            tenant_id: tenant.id,
            sid: request.session.clone(),
            scope: request.scopes.join(" "),
            roles: request.roles.clone(),
            kind: request.kind,
            amr: request.amr.clone(),
            auth_time: request.auth_time.map(Timestamp::as_secs),
            client_id: request.client_id.clone(),
            owner: request.owner.clone(),
        }
    }

    /// Signs an access token for `request` in `tenant`, in `format`.
    pub async fn issue_as(
        &self,
        tenant: &Tenant,
        request: &TokenRequest,
        format: TokenFormat,
    ) -> Result<IssuedToken> {
        match format {
            TokenFormat::Jwt => self.issue(tenant, request).await,
            TokenFormat::Paseto => self.issue_paseto(tenant, request).await,
        }
    }

    /// Signs a JWT access token for `request` in `tenant`.
    pub async fn issue(&self, tenant: &Tenant, request: &TokenRequest) -> Result<IssuedToken> {
        let keys = self.keys.signer(&tenant.id).await?;
        let (kid, algorithm, key, _) = &keys.signing;
        if *algorithm == SigningAlgorithm::HS256 && !self.config.dangerous_allow_hs256 {
            return Err(Error::unavailable(
                "the tenant's signing key is HS256 but HS256 is not allowed",
            ));
        }
        let claims = self.claims_for(tenant, request);
        let mut header = Header::new(algorithm.jwt());
        header.kid = Some(kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, key)
            .map_err(|e| Error::internal(format!("cannot sign a token: {e}")))?;
        Ok(IssuedToken {
            token,
            claims,
            kid: kid.clone(),
        })
    }

    /// Signs a PASETO v4.public access token (the tenant's key must be
    /// EdDSA): the same claims, `exp`/`nbf`/`iat` as RFC 3339 times, the
    /// key id in the footer (`{"kid": …}`).
    pub async fn issue_paseto(
        &self,
        tenant: &Tenant,
        request: &TokenRequest,
    ) -> Result<IssuedToken> {
        let keys = self.keys.signer(&tenant.id).await?;
        let kid = &keys.signing.0;
        let secret = keys.paseto.as_ref().ok_or_else(|| {
            Error::unavailable("PASETO v4.public tokens need an EdDSA signing key")
        })?;
        let secret = AsymmetricSecretKey::<V4>::from(secret)
            .map_err(|_| Error::internal("a signing key is not an Ed25519 key"))?;
        let claims = self.claims_for(tenant, request);
        let payload = paseto::payload(&claims)?;
        let footer = serde_json::json!({ "kid": kid }).to_string();
        let token = PublicToken::sign(&secret, payload.as_bytes(), Some(footer.as_bytes()), None)
            .map_err(|e| Error::internal(format!("cannot sign a PASETO token: {e:?}")))?;
        Ok(IssuedToken {
            token,
            claims,
            kid: kid.clone(),
        })
    }

    /// Verifies `token` (a JWT, or a PASETO v4.public token) for `tenant`
    /// (the request's resolved tenant) and `audience`. Every failure is 401
    /// `invalid_token` with a reason.
    pub async fn verify(&self, token: &str, tenant: &Tenant, audience: &str) -> Result<Claims> {
        if token.len() > MAX_TOKEN {
            return Err(invalid("the token is too long"));
        }
        let claims = if token.starts_with(PublicToken::HEADER) {
            self.decode_paseto(token, tenant).await?
        } else {
            self.decode_jwt(token, tenant).await?
        };
        self.check(claims, tenant, Some(audience)).await
    }

    /// [`TokenService::verify`] without the audience check: for the
    /// provider's own endpoints (introspection, userinfo, revocation), which
    /// accept the tenant's access tokens whatever API they are meant for.
    pub async fn verify_any_audience(&self, token: &str, tenant: &Tenant) -> Result<Claims> {
        if token.len() > MAX_TOKEN {
            return Err(invalid("the token is too long"));
        }
        let claims = if token.starts_with(PublicToken::HEADER) {
            self.decode_paseto(token, tenant).await?
        } else {
            self.decode_jwt(token, tenant).await?
        };
        self.check(claims, tenant, None).await
    }

    /// The claims of a JWT this tenant signed (an ID token given back as
    /// `id_token_hint`): signature, algorithm and issuer are checked, the
    /// times are not.
    pub async fn verify_own_signature(
        &self,
        token: &str,
        tenant: &Tenant,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        if token.len() > MAX_TOKEN {
            return Err(invalid("the token is too long"));
        }
        let (algorithm, key) = self.jwt_key(token, tenant).await?;
        let mut validation = Validation::new(algorithm.jwt());
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = ["iss", "sub"].into_iter().map(str::to_owned).collect();
        validation.set_issuer(&[self.issuer(tenant)]);
        jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|_| invalid("the token does not verify"))
    }

    /// Signs `claims` (any JSON object: an ID token) as a JWT with the
    /// tenant's current key; returns the token and the algorithm.
    pub async fn sign_json(
        &self,
        tenant: &Tenant,
        claims: &serde_json::Value,
    ) -> Result<(String, SigningAlgorithm)> {
        let keys = self.keys.signer(&tenant.id).await?;
        let (kid, algorithm, key, _) = &keys.signing;
        if *algorithm == SigningAlgorithm::HS256 && !self.config.dangerous_allow_hs256 {
            return Err(Error::unavailable(
                "the tenant's signing key is HS256 but HS256 is not allowed",
            ));
        }
        let mut header = Header::new(algorithm.jwt());
        header.kid = Some(kid.clone());
        let token = jsonwebtoken::encode(&header, claims, key)
            .map_err(|e| Error::internal(format!("cannot sign a token: {e}")))?;
        Ok((token, *algorithm))
    }

    async fn decode_paseto(&self, token: &str, tenant: &Tenant) -> Result<Claims> {
        let untrusted = UntrustedToken::<Public, V4>::try_from(token)
            .map_err(|_| invalid("the token is malformed"))?;
        let footer: serde_json::Value = serde_json::from_slice(untrusted.untrusted_footer())
            .map_err(|_| invalid("the token names no signing key (`kid` footer)"))?;
        let kid = footer
            .get("kid")
            .and_then(|k| k.as_str())
            .ok_or_else(|| invalid("the token names no signing key (`kid` footer)"))?;
        let (_, _, raw) = self
            .keys
            .verifier(&tenant.id, kid)
            .await?
            .ok_or_else(|| invalid("the token's signing key is unknown to this tenant"))?;
        let raw = raw.ok_or_else(|| invalid("the token's algorithm is not allowed for its key"))?;
        let public = AsymmetricPublicKey::<V4>::from(&raw)
            .map_err(|_| Error::internal("a stored Ed25519 key is invalid"))?;
        let trusted = PublicToken::verify(&public, &untrusted, None, None)
            .map_err(|_| invalid("the token's signature does not verify"))?;
        paseto::claims(trusted.payload()).map_err(|_| invalid("the token is malformed"))
    }

    /// The key a JWT of `tenant` names (`kid`) and its algorithm, which must
    /// be the token's: the allow-list is exactly the key's own algorithm
    /// (`alg: none` and unknown algorithms fail at the header).
    async fn jwt_key(
        &self,
        token: &str,
        tenant: &Tenant,
    ) -> Result<(SigningAlgorithm, jsonwebtoken::DecodingKey)> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("the token is malformed or uses an unsupported algorithm"))?;
        let kid = header
            .kid
            .ok_or_else(|| invalid("the token names no signing key (`kid`)"))?;
        let (algorithm, key, _) = self
            .keys
            .verifier(&tenant.id, &kid)
            .await?
            .ok_or_else(|| invalid("the token's signing key is unknown to this tenant"))?;
        if header.alg != algorithm.jwt()
            || (algorithm == SigningAlgorithm::HS256 && !self.config.dangerous_allow_hs256)
        {
            return Err(invalid("the token's algorithm is not allowed for its key"));
        }
        Ok((algorithm, key))
    }

    async fn decode_jwt(&self, token: &str, tenant: &Tenant) -> Result<Claims> {
        let (algorithm, key) = self.jwt_key(token, tenant).await?;
        let mut validation = Validation::new(algorithm.jwt());
        // Time and audience are checked in `check`, on the service's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.required_spec_claims = ["exp", "nbf", "iat", "iss", "sub", "aud"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    invalid("the token's signature does not verify")
                }
                _ => invalid("the token is malformed"),
            })?
            .claims;
        Ok(claims)
    }

    /// The checks after the signature: time, issuer, audience, tenant, revocation.
    async fn check(
        &self,
        claims: Claims,
        tenant: &Tenant,
        audience: Option<&str>,
    ) -> Result<Claims> {
        let issuer = self.issuer(tenant);
        let expected = super::checks::Expected {
            issuer: &issuer,
            audience,
            tenant: Some(&tenant.id),
            leeway: secs(self.config.leeway),
        };
        // The server's answers keep the one code `invalid_token`; the
        // message says which check failed.
        super::checks::check_claims(&claims, self.clock.now().as_secs(), &expected)
            .map_err(|r| invalid(r.message()))?;
        if self.revocations.is_revoked(&claims).await? {
            return Err(invalid("the token was revoked"));
        }
        Ok(claims)
    }
}
