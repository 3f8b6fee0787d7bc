//! The authorization endpoint's decision: checking a request, parking it
//! while the user logs in or consents, and deciding what happens next —
//! the login page, the consent screen, or a redirect back to the client
//! with a code or an error (RFC 6749 §4.1.2, OIDC `prompt` and `max_age`).

use std::time::Duration;

use caas_core::{KvKey, Namespace, PrincipalKind, Result, Tenant};

use super::Provider;
use crate::oauth::authorize::{self, AuthorizationRequest, AuthorizeError, AuthorizeParams};
use crate::oauth::codes::CodeGrant;
use crate::oauth::error::{OAuthError, OAuthErrorCode};
use crate::opaque;
use crate::sessions::Session;

/// How long a parked authorization request waits for the user.
const PARKED_TTL: Duration = Duration::from_secs(900);

/// What the authorization endpoint does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the login page.
    Login,
    /// Show the consent screen.
    Consent,
    /// Redirect the browser to the client (a code, or an error).
    Redirect(String),
}

impl Provider {
    /// Checks an authorization request.
    pub async fn check_authorize(
        &self,
        tenant: &Tenant,
        params: &AuthorizeParams,
    ) -> Result<std::result::Result<AuthorizationRequest, AuthorizeError>> {
        let client = match params.client_id.as_deref() {
            Some(id) if !id.is_empty() && id.len() <= 128 => {
                self.auth.parts().clients.get(&tenant.id, id).await?
            }
            _ => None,
        };
        Ok(authorize::check(
            params,
            client.as_ref(),
            &self.issuer(tenant),
        ))
    }

    fn parked_key(tenant: &Tenant, id: &str) -> Result<KvKey> {
        Namespace::Tenant(tenant.id).key(&format!("oauth:request:{}", opaque::digest(id)))
    }

    /// Parks `request` while the user logs in; returns its id (a secret).
    pub async fn park(&self, tenant: &Tenant, request: &AuthorizationRequest) -> Result<String> {
        let id = opaque::token("");
        self.kv
            .set(
                &Self::parked_key(tenant, &id)?,
                &serde_json::to_vec(request)?,
                Some(PARKED_TTL),
            )
            .await?;
        Ok(id)
    }

    /// The parked request `id` (`None`: unknown or expired).
    pub async fn parked(&self, tenant: &Tenant, id: &str) -> Result<Option<AuthorizationRequest>> {
        if id.len() != 43 {
            return Ok(None);
        }
        let Some(body) = self.kv.get(&Self::parked_key(tenant, id)?).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&body).ok())
    }

    /// Replaces the parked request `id` (the user just logged in: `prompt=login`
    /// and `max_age` are satisfied).
    pub async fn repark(
        &self,
        tenant: &Tenant,
        id: &str,
        request: &AuthorizationRequest,
    ) -> Result<()> {
        self.kv
            .set(
                &Self::parked_key(tenant, id)?,
                &serde_json::to_vec(request)?,
                Some(PARKED_TTL),
            )
            .await
    }

    /// Forgets the parked request `id` (it was answered).
    pub async fn unpark(&self, tenant: &Tenant, id: &str) -> Result<()> {
        if id.len() == 43 {
            self.kv.delete(&Self::parked_key(tenant, id)?).await?;
        }
        Ok(())
    }

    /// The redirect that answers `request` with `error`.
    pub fn refuse(
        &self,
        tenant: &Tenant,
        request: &AuthorizationRequest,
        error: &OAuthError,
    ) -> String {
        authorize::error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            &self.issuer(tenant),
            error,
        )
    }

    /// Decides what happens to `request` for the browser's login
    /// `session`: `fresh` when the user just logged in on the provider's
    /// page, `consented` when they just allowed the client.
    pub async fn proceed(
        &self,
        tenant: &Tenant,
        request: &AuthorizationRequest,
        session: Option<&Session>,
        fresh: bool,
        consented: bool,
    ) -> Result<Next> {
        let p = self.auth.parts();
        let now = p.clock.now();
        let none = request.prompt.contains("none");
        let too_old = |s: &Session| {
            request
                .max_age
                .is_some_and(|age| now.as_secs() > s.auth_time.as_secs().saturating_add(age))
        };
        let usable = session.filter(|s| {
            matches!(s.kind, PrincipalKind::User | PrincipalKind::Guest)
                && (fresh || (!too_old(s) && !request.prompt.contains("login")))
        });
        let holder = match usable {
            Some(s) => self.holder(tenant, s.kind, &s.user_id).await?,
            None => None,
        };
        let (Some(session), Some(holder)) = (usable, holder) else {
            if none {
                return Ok(Next::Redirect(self.refuse(
                    tenant,
                    request,
                    &OAuthError::new(OAuthErrorCode::LoginRequired, "the user is not logged in"),
                )));
            }
            return Ok(Next::Login);
        };
        let uid = holder.subject();
        if !request.first_party && !consented {
            let remembered = !request.prompt.contains("consent")
                && self
                    .consents
                    .covers(&tenant.id, &uid, &request.client_id, &request.scopes)
                    .await?;
            if !remembered {
                if none {
                    return Ok(Next::Redirect(self.refuse(
                        tenant,
                        request,
                        &OAuthError::new(
                            OAuthErrorCode::ConsentRequired,
                            "the user has not allowed this client",
                        ),
                    )));
                }
                return Ok(Next::Consent);
            }
        }
        if consented {
            self.consents
                .grant(&tenant.id, &uid, &request.client_id, &request.scopes)
                .await?;
        }
        let code = self
            .codes
            .issue(
                &tenant.id,
                CodeGrant {
                    client_id: request.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    user_id: uid,
                    guest: holder.kind() == PrincipalKind::Guest,
                    browser_session: session.id,
                    scopes: request.scopes.clone(),
                    audience: request.audience.clone(),
                    nonce: request.nonce.clone(),
                    code_challenge: request.code_challenge.clone(),
                    auth_time: session.auth_time.as_secs(),
                    amr: session.amr.clone(),
                },
            )
            .await?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = request.state.as_deref() {
            params.push(("state", state));
        }
        Ok(Next::Redirect(authorize::redirect_url(
            &request.redirect_uri,
            &self.issuer(tenant),
            &params,
        )))
    }
}
