//! Authentication: `Authorization: Bearer …` through the registered
//! [`Authenticators`](caas_core::Authenticators). A request without
//! credentials goes on anonymous (routes that need a principal refuse it
//! with 401 `missing_token`); credentials that do not verify are refused
//! here with 401 `invalid_token`, whatever the route.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caas_core::{AuthContext, Credential, Error, Principal, Result, SecretString};

use super::tenant::ResolvedTenant;
use crate::problem::Problem;
use crate::state::AppState;

/// The longest credential accepted (a JWT with many claims fits).
pub const MAX_CREDENTIAL_LEN: usize = 8192;

/// The authenticated principal of the request, if any; a request extension.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Option<Principal>);

/// Whether `path` is one of a tenant issuer's OAuth or federation
/// endpoints (`/t/{slug}/oauth2/…`, `/t/{slug}/federation/…`).
pub fn is_provider_path(path: &str) -> bool {
    let mut parts = path.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("t"), Some(slug), Some("oauth2" | "federation")) if !slug.is_empty()
    )
}

/// Reads the credential of the request, if it has one.
pub fn credential(request: &Request) -> Result<Option<Credential>> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Error::invalid_token("the Authorization header is not ASCII"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::invalid_token("use `Authorization: Bearer <token>`"));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::invalid_token("the bearer token is empty"));
    }
    if token.len() > MAX_CREDENTIAL_LEN {
        return Err(Error::invalid_token("the bearer token is too long"));
    }
    Ok(Some(Credential::Bearer(SecretString::from(token))))
}

/// Authenticates the request. Failed attempts count against the client
/// IP's authentication-route limit (`ip-auth`), so credentials cannot be
/// guessed at the general rate; once it is spent, failures answer 429.
pub async fn authenticate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let tenant = request
        .extensions()
        .get::<ResolvedTenant>()
        .and_then(|t| t.0.clone());
    // The OAuth provider's endpoints read their own credentials (client
    // Basic auth, bearer tokens for other audiences): not the gateway's.
    let principal = match credential(&request) {
        _ if is_provider_path(request.uri().path()) => Ok(None),
        Ok(None) => Ok(None),
        Ok(Some(c)) => verify(&state, &c, tenant.as_ref()).await.map(Some),
        Err(e) => Err(e),
    };
    let principal = match principal {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(code = e.code(), reason = %e, "authentication failed");
            if let Some(limit) = state.config.ip_limits.auth
                && let Ok(key) = super::rate_limit::ip_auth_key(peer.ip())
                && let Ok(decision) = state.limiter.check(&key, &limit).await
                && let Err(refused) = decision.into_result()
            {
                state.metrics.rate_limited("ip-auth");
                return Problem(refused).into_response();
            }
            return Problem(e).into_response();
        }
    };
    if let Some(p) = &principal {
        tracing::Span::current().record("principal", p.subject.as_str());
    }
    request.extensions_mut().insert(Authenticated(principal));
    next.run(request).await
}

async fn verify(
    state: &AppState,
    credential: &Credential,
    tenant: Option<&caas_core::Tenant>,
) -> Result<Principal> {
    let principal = state
        .authenticators
        .authenticate(credential, AuthContext { tenant })
        .await?;
    // Defence in depth: whatever an authenticator says, a tenant's
    // credentials never act in another tenant.
    if let (Some(owner), Some(tenant)) = (&principal.tenant, tenant)
        && *owner != tenant.id
    {
        return Err(Error::invalid_token(
            "the credentials belong to another tenant",
        ));
    }
    Ok(principal)
}
