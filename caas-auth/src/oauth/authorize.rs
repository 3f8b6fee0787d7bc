//! The authorization endpoint's request: [`AuthorizeParams`] as they arrive,
//! checked into an [`AuthorizationRequest`] — or an [`AuthorizeError`] that
//! is either shown to the user (the client or its redirect URI cannot be
//! trusted) or sent back to the client (RFC 6749 §4.1.2.1).

use std::collections::BTreeSet;

use caas_core::Result;
use serde::{Deserialize, Serialize};

use super::clients::{GrantType, OAuthClient};
use super::error::{OAuthError, OAuthErrorCode};
use super::pkce;

/// The scopes every client may ask for.
pub const STANDARD_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The query of `GET {issuer}/oauth2/authorize`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// The client.
    pub client_id: Option<String>,
    /// One of the client's redirect URIs, exactly.
    pub redirect_uri: Option<String>,
    /// Space-separated scopes.
    pub scope: Option<String>,
    /// Returned unchanged.
    pub state: Option<String>,
    /// Put in the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge (required).
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// `none`, `login`, `consent` (space-separated).
    pub prompt: Option<String>,
    /// Seconds since the last authentication that are still acceptable.
    pub max_age: Option<String>,
    /// Preferred languages (`sl en`).
    pub ui_locales: Option<String>,
    /// The API the access token is for (RFC 8707).
    pub resource: Option<String>,
    /// Only `query` is supported.
    pub response_mode: Option<String>,
    /// Prefills the login form.
    pub login_hint: Option<String>,
    /// Request objects are not supported.
    pub request: Option<String>,
    /// Request objects are not supported.
    pub request_uri: Option<String>,
}

/// A checked authorization request, parked while the user logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Its name (for the consent screen).
    pub client_name: String,
    /// No consent screen.
    pub first_party: bool,
    /// Where the answer goes.
    pub redirect_uri: String,
    /// Requested scopes (known to the client, in request order, no duplicates).
    pub scopes: Vec<String>,
    /// Returned unchanged.
    pub state: Option<String>,
    /// For the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// `none`, `login`, `consent`.
    pub prompt: BTreeSet<String>,
    /// Maximum authentication age in seconds.
    pub max_age: Option<i64>,
    /// Preferred languages.
    pub ui_locales: Option<String>,
    /// Requested audiences.
    pub audience: Vec<String>,
    /// Prefill.
    pub login_hint: Option<String>,
}

/// Why an authorization request cannot go on.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Show this error to the user: the client or the redirect URI is not
    /// trustworthy, so nothing is sent to it.
    Show(OAuthError),
    /// Send this error back to the client's redirect URI.
    Redirect(String),
}

/// The redirect URL carrying `params` (and the issuer, RFC 9207) to `redirect_uri`.
pub fn redirect_url(redirect_uri: &str, issuer: &str, params: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return redirect_uri.to_owned(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("iss", issuer);
    }
    url.to_string()
}

/// The redirect answering a request with `error` (RFC 6749 §4.1.2.1).
pub fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    issuer: &str,
    error: &OAuthError,
) -> String {
    let mut params = vec![
        ("error", error.code().as_str()),
        ("error_description", error.description()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    redirect_url(redirect_uri, issuer, &params)
}

fn show(message: &'static str) -> AuthorizeError {
    AuthorizeError::Show(OAuthError::invalid_request(message))
}

/// Checks `params` for `client` (looked up by the caller; `None`: unknown).
pub fn check(
    params: &AuthorizeParams,
    client: Option<&OAuthClient>,
    issuer: &str,
) -> std::result::Result<AuthorizationRequest, AuthorizeError> {
    if params.client_id.as_deref().is_none_or(str::is_empty) {
        return Err(show("the request names no client (`client_id`)"));
    }
    let Some(client) = client else {
        return Err(AuthorizeError::Show(OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "the client is unknown to this tenant",
        )));
    };
    let Some(redirect_uri) = params.redirect_uri.as_deref() else {
        return Err(show("the request names no `redirect_uri`"));
    };
    if !client
        .settings
        .redirect_uris
        .iter()
        .any(|r| r == redirect_uri)
    {
        return Err(show(
            "the `redirect_uri` is not registered for this client (exact match required)",
        ));
    }
    let state = params.state.as_deref();
    let fail = |code: OAuthErrorCode, description: &str| {
        AuthorizeError::Redirect(error_redirect(
            redirect_uri,
            state,
            issuer,
            &OAuthError::new(code, description.to_owned()),
        ))
    };
    if params.request.is_some() || params.request_uri.is_some() {
        return Err(fail(
            OAuthErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.response_type.as_deref() != Some("code") {
        return Err(fail(
            OAuthErrorCode::UnsupportedResponseType,
            "only `response_type=code` is supported",
        ));
    }
    if params
        .response_mode
        .as_deref()
        .is_some_and(|m| m != "query")
    {
        return Err(fail(
            OAuthErrorCode::InvalidRequest,
            "only `response_mode=query` is supported",
        ));
    }
    if !client
        .settings
        .grant_types
        .contains(&GrantType::AuthorizationCode)
    {
        return Err(fail(
            OAuthErrorCode::UnauthorizedClient,
            "this client may not use the authorization-code grant",
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for s in params.scope.as_deref().unwrap_or("").split_whitespace() {
        let known = STANDARD_SCOPES.contains(&s) || client.settings.scopes.iter().any(|c| c == s);
        if !known {
            return Err(fail(
                OAuthErrorCode::InvalidScope,
                "a requested scope is unknown to this client",
            ));
        }
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_owned());
        }
    }
    let challenge = pkce::check_challenge(
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    )
    .map_err(|e| fail(OAuthErrorCode::InvalidRequest, e.message()))?;
    let prompt: BTreeSet<String> = params
        .prompt
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if prompt
        .iter()
        .any(|p| !matches!(p.as_str(), "none" | "login" | "consent" | "select_account"))
    {
        return Err(fail(
            OAuthErrorCode::InvalidRequest,
            "`prompt` has an unknown value",
        ));
    }
    if prompt.contains("none") && prompt.len() > 1 {
        return Err(fail(
            OAuthErrorCode::InvalidRequest,
            "`prompt=none` cannot be combined with other values",
        ));
    }
    let max_age = match params.max_age.as_deref() {
        None | Some("") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return Err(fail(
                    OAuthErrorCode::InvalidRequest,
                    "`max_age` must be a number of seconds",
                ));
            }
        },
    };
    let mut audience = Vec::new();
    if let Some(resource) = params.resource.as_deref().filter(|r| !r.is_empty()) {
        if !client.settings.audiences.iter().any(|a| a == resource) {
            return Err(fail(
                OAuthErrorCode::InvalidTarget,
                "the requested `resource` is not allowed for this client",
            ));
        }
        audience.push(resource.to_owned());
    }
    let bounded =
        |v: Option<&String>, field: &str| -> std::result::Result<Option<String>, AuthorizeError> {
            match v {
                Some(v) if v.len() > 512 => Err(fail(
                    OAuthErrorCode::InvalidRequest,
                    &format!("`{field}` may be at most 512 characters"),
                )),
                other => Ok(other.cloned()),
            }
        };
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        client_name: client.settings.name.clone(),
        first_party: client.settings.first_party,
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: bounded(params.state.as_ref(), "state")?,
        nonce: bounded(params.nonce.as_ref(), "nonce")?,
        code_challenge: challenge,
        prompt,
        max_age,
        ui_locales: bounded(params.ui_locales.as_ref(), "ui_locales")?,
        audience,
        login_hint: bounded(params.login_hint.as_ref(), "login_hint")?,
    })
}

/// Checks that a scope request at the token endpoint stays within `allowed`.
pub fn narrow(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>> {
    match requested {
        None | Some("") => Ok(allowed.to_vec()),
        Some(r) => {
            let wanted: Vec<String> = r.split_whitespace().map(str::to_owned).collect();
            if wanted.iter().all(|w| allowed.contains(w)) {
                Ok(wanted)
            } else {
                Err(OAuthError::new(
                    OAuthErrorCode::InvalidScope,
                    "a requested scope was not granted",
                )
                .into())
            }
        }
    }
}
