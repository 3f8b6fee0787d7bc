//! `platform.tokens`: a tenant's access tokens — issue, verify with every
//! check including revocation, the JWKS, and a `TokenVerifier` for a
//! resource server that has only the keys.

use std::sync::Arc;
use std::time::Duration;

use caas::Platform;
use caas::auth::tokens::{RemoteConfig, RemoteVerifier, TokenRequest, Verified};
use caas::core::{Error, PrincipalKind, SystemClock};
use pyo3::prelude::*;

use super::Tenant;
use super::auth::json;
use crate::convert::Json;
use crate::tokens::{Claims, TokenVerifier};

/// `platform.tokens`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Tokens {
    pub(crate) platform: Platform,
}

fn kind(text: &str) -> caas::core::Result<PrincipalKind> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        Error::invalid_input("`kind` must be `user`, `service` or `guest`").with_field("kind")
    })
}

crate::platform::methods!(Tokens {
    /// Signs an access token (a JWT with the tenant's current key) for
    /// `subject`; `audience` defaults to the platform's, `ttl` (seconds) to
    /// the configured lifetime and is capped by the maximum.
    [tenant, subject, *, kind = "user".to_owned(), scopes = Vec::new(), roles = Vec::new(), audience = Vec::new(), ttl = None]
    fn issue / aissue(
        this,
        tenant: Tenant,
        subject: String,
        kind: String,
        scopes: Vec<String>,
        roles: Vec<String>,
        audience: Vec<String>,
        ttl: Option<u64>,
    ) -> String {
        let request = TokenRequest {
            scopes,
            roles,
            audience,
            ttl: ttl.map(Duration::from_secs),
            ..TokenRequest::new(subject, self::kind(&kind)?)
        };
        Ok(this.auth.parts().tokens.issue(&tenant.inner, &request).await?.token)
    }

    /// Verifies a token of the tenant for `audience` with every check the
    /// server makes, revocation included.
    [tenant, token, *, audience = "caas".to_owned()]
    fn verify / averify(this, tenant: Tenant, token: String, audience: String) -> Claims {
        let claims = this.auth.parts().tokens.verify(&token, &tenant.inner, &audience).await?;
        let raw = match serde_json::to_value(&claims) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(Error::internal("claims do not serialize to an object")),
        };
        Ok(Claims {
            inner: Arc::new(Verified { claims, raw }),
            revocation_checked: true,
        })
    }

    /// The tenant's public keys (JWKS).
    [tenant]
    fn jwks / ajwks(this, tenant: Tenant) -> Json {
        json(&this.auth.parts().tokens.keys().jwks(&tenant.inner.id).await?)
    }

    /// A `TokenVerifier` for the tenant's tokens meant for `audience`,
    /// holding its current keys (it does not see revocations).
    [tenant, *, audience = "caas".to_owned()]
    fn verifier / averifier(this, tenant: Tenant, audience: String) -> TokenVerifier {
        let service = &this.auth.parts().tokens;
        let jwks = service.keys().jwks(&tenant.inner.id).await?;
        let config = RemoteConfig {
            tenant: Some(tenant.inner.id),
            ..RemoteConfig::new(service.issuer(&tenant.inner), audience)
        };
        let inner = RemoteVerifier::from_jwks(config, &jwks, SystemClock::shared())?;
        Ok(TokenVerifier { inner: Arc::new(inner) })
    }
});
