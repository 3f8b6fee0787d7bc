//! Authenticators for the gateway seam ([`caas_core::Authenticator`]):
//! [`TokenAuthenticator`] for Bearer access tokens (JWT or PASETO) and
//! [`ApiKeyAuthenticator`] for API keys. Each claims only credentials of its
//! own shape and verifies them against the request's tenant; a JWT that
//! arrives without a resolved tenant is verified against the tenant it
//! names, and that tenant must exist and be active.
//!
//! Both run [`Attenuation::at_use`] on what they verified: a derived
//! credential whose owner is no longer an active user is refused, and
//! platform scopes beyond its owner's current roles are dropped.

use async_trait::async_trait;
use caas_core::{
    AuthContext, Authenticator, Credential, Error, Principal, Result, SharedTenantStore, Tenant,
    TenantId, TenantStatus,
};

use crate::api_keys::ApiKeys;
use crate::attenuation::Attenuation;
use crate::tokens::TokenService;

/// Verifies Bearer JWTs with every check of [`TokenService::verify`].
#[derive(Debug, Clone)]
pub struct TokenAuthenticator {
    tokens: TokenService,
    tenants: SharedTenantStore,
    attenuation: Attenuation,
}

const PASETO: &str = "v4.public.";

/// Whether `s` has the shape of an access token: a compact JWS
/// (`xxx.yyy.zzz`, header first) or a PASETO v4.public token.
fn looks_like_token(s: &str) -> bool {
    (s.starts_with("eyJ") && s.split('.').count() == 3) || s.starts_with(PASETO)
}

/// The `tenant_id` a token says it belongs to (unverified: only used to
/// pick the keys that then verify it).
fn claimed_tenant(token: &str) -> Option<TenantId> {
    use base64::Engine;
    let bytes = if token.starts_with(PASETO) {
        let untrusted =
            pasetors::token::UntrustedToken::<pasetors::Public, pasetors::version4::V4>::try_from(
                token,
            )
            .ok()?;
        untrusted.untrusted_payload().to_vec()
    } else {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1)?)
            .ok()?
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("tenant_id")?.as_str()?.parse().ok()
}

impl TokenAuthenticator {
    /// Verifies with `tokens`; finds unresolved tenants in `tenants`; caps
    /// what the token carries with `attenuation`.
    pub fn new(tokens: TokenService, tenants: SharedTenantStore, attenuation: Attenuation) -> Self {
        TokenAuthenticator {
            tokens,
            tenants,
            attenuation,
        }
    }

    async fn tenant(&self, token: &str, ctx: &AuthContext<'_>) -> Result<Tenant> {
        if let Some(t) = ctx.tenant {
            return Ok(t.clone());
        }
        let id = claimed_tenant(token)
            .ok_or_else(|| Error::invalid_token("the token names no tenant"))?;
        self.tenants
            .get(&id)
            .await?
            .filter(|t| t.status == TenantStatus::Active)
            .ok_or_else(|| Error::invalid_token("the token's tenant is unknown or not active"))
    }
}

#[async_trait]
impl Authenticator for TokenAuthenticator {
    fn name(&self) -> &'static str {
        "jwt"
    }

    async fn authenticate(
        &self,
        credential: &Credential,
        ctx: AuthContext<'_>,
    ) -> Result<Option<Principal>> {
        let token = credential.secret();
        if !looks_like_token(token) {
            return Ok(None);
        }
        let tenant = self.tenant(token, &ctx).await?;
        let audience = self.tokens.config().default_audience.clone();
        let claims = self.tokens.verify(token, &tenant, &audience).await?;
        let principal = self
            .attenuation
            .at_use(&tenant.id, claims.principal())
            .await?;
        Ok(Some(principal))
    }
}

/// Authenticates API keys (`caas_<prefix>_<secret>`) in the request's tenant.
#[derive(Debug, Clone)]
pub struct ApiKeyAuthenticator {
    keys: ApiKeys,
    attenuation: Attenuation,
}

impl ApiKeyAuthenticator {
    /// Checks keys in `keys`, capped by their owners with `attenuation`.
    pub fn new(keys: ApiKeys, attenuation: Attenuation) -> Self {
        ApiKeyAuthenticator { keys, attenuation }
    }
}

#[async_trait]
impl Authenticator for ApiKeyAuthenticator {
    fn name(&self) -> &'static str {
        "api_key"
    }

    async fn authenticate(
        &self,
        credential: &Credential,
        ctx: AuthContext<'_>,
    ) -> Result<Option<Principal>> {
        let presented = credential.secret();
        if !ApiKeys::looks_like_key(presented) {
            return Ok(None);
        }
        let tenant = ctx.tenant.ok_or_else(|| {
            Error::invalid_token("an API key needs the tenant: send `X-Tenant-ID`")
        })?;
        let key = self.keys.authenticate(&tenant.id, presented).await?;
        let principal = self.attenuation.at_use(&tenant.id, key.principal()).await?;
        Ok(Some(principal))
    }
}
