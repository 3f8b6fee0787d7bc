//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the
//! request's parameters, checked into a [`LogoutPlan`] — the ID token hint
//! of this tenant, the client, and a return URI registered for it.

use caas_core::{Error, Result, Tenant};
use serde::Deserialize;
use serde_json::Value;

use super::Provider;
use crate::oauth::error::OAuthError;

/// What RP-initiated logout asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards (registered for the client), with `state`.
    pub redirect: Option<String>,
    /// The client's name, when known.
    pub client_name: Option<String>,
}

/// The query of `GET {issuer}/oauth2/logout`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutParams {
    /// An ID token the provider issued (expired ones are accepted).
    pub id_token_hint: Option<String>,
    /// Where to return; must be registered for the client.
    pub post_logout_redirect_uri: Option<String>,
    /// The client (when no hint).
    pub client_id: Option<String>,
    /// Returned unchanged.
    pub state: Option<String>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
}

impl Provider {
    /// Checks an RP-initiated logout request: the hint must be an ID token
    /// of this tenant (expired ones are accepted) and the return URI
    /// registered for its client. Errors are shown, never redirected.
    pub async fn check_logout(&self, tenant: &Tenant, params: &LogoutParams) -> Result<LogoutPlan> {
        let p = self.auth.parts();
        let mut client_id = params.client_id.clone();
        if let Some(hint) = params.id_token_hint.as_deref() {
            let claims = p
                .tokens
                .verify_own_signature(hint, tenant)
                .await
                .map_err(|_| {
                    OAuthError::invalid_request("`id_token_hint` is not an ID token of this tenant")
                })?;
            let aud = match claims.get("aud") {
                Some(Value::String(a)) => Some(a.clone()),
                Some(Value::Array(a)) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
                _ => None,
            };
            if client_id.is_some() && client_id != aud {
                return Err(OAuthError::invalid_request(
                    "`client_id` is not the audience of `id_token_hint`",
                )
                .into());
            }
            client_id = aud;
        }
        let client = match client_id.as_deref() {
            Some(id) if id.len() <= 128 => p.clients.get(&tenant.id, id).await?,
            _ => None,
        };
        let redirect = match params.post_logout_redirect_uri.as_deref() {
            None => None,
            Some(uri) => {
                let registered = client.as_ref().is_some_and(|c| {
                    c.settings
                        .post_logout_redirect_uris
                        .iter()
                        .any(|r| r == uri)
                });
                if !registered {
                    return Err(OAuthError::invalid_request(
                        "`post_logout_redirect_uri` is not registered for the client",
                    )
                    .into());
                }
                let mut url = url::Url::parse(uri)
                    .map_err(|_| Error::invalid_input("`post_logout_redirect_uri` is not a URL"))?;
                if let Some(state) = params.state.as_deref() {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Some(url.to_string())
            }
        };
        Ok(LogoutPlan {
            redirect,
            client_name: client.map(|c| c.settings.name),
        })
    }
}
