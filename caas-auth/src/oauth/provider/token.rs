//! The token endpoint (RFC 6749 §3.2): its parameters and response,
//! client authentication, the choice of grant type, and the rules for
//! whom an access token is for (RFC 8707 `resource`, the client's
//! registered audiences). The grants themselves are in [`super::grants`].

use caas_core::{Result, Tenant};
use serde::{Deserialize, Serialize};

use super::Provider;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::clients::{GrantType, OAuthClient};
use crate::oauth::error::{OAuthError, OAuthErrorCode};

/// The body of `POST {issuer}/oauth2/token` (besides client credentials).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenParams {
    /// `authorization_code`, `refresh_token`, `client_credentials`, `password`.
    pub grant_type: Option<String>,
    /// The authorization code.
    pub code: Option<String>,
    /// The redirect URI of the authorization request.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// Requested scopes.
    pub scope: Option<String>,
    /// The API (RFC 8707).
    pub resource: Option<String>,
    /// Password grant: the login.
    pub username: Option<String>,
    /// Password grant: the password.
    pub password: Option<String>,
    /// The client's address (set by the server, not read from the form):
    /// the password grant's lockout per IP.
    #[serde(skip)]
    pub ip: Option<std::net::IpAddr>,
}

/// A successful token response (RFC 6749 §5.1).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: u64,
    /// A refresh token (with `offline_access`, or for first-party clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The ID token (with `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Granted scopes.
    pub scope: String,
}

impl Provider {
    /// Authenticates the client of a request at one of the provider's endpoints.
    pub async fn client(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
    ) -> Result<OAuthClient> {
        let audiences = [
            self.endpoint(tenant, "/oauth2/token"),
            self.endpoint(tenant, "/oauth2/introspect"),
            self.endpoint(tenant, "/oauth2/revoke"),
            self.issuer(tenant),
        ];
        client_auth::authenticate(
            &self.auth.parts().clients,
            &self.kv,
            &tenant.id,
            credentials,
            &audiences,
        )
        .await
    }

    /// The token endpoint.
    pub async fn token(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        let grant = params
            .grant_type
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("`grant_type` is missing"))?;
        let wanted = match grant {
            "authorization_code" => GrantType::AuthorizationCode,
            "refresh_token" => GrantType::RefreshToken,
            "client_credentials" => GrantType::ClientCredentials,
            "password" => GrantType::Password,
            _ => {
                return Err(OAuthError::new(
                    OAuthErrorCode::UnsupportedGrantType,
                    "the grant type is not supported",
                )
                .into());
            }
        };
        let client = self.client(tenant, credentials).await?;
        if !client.settings.grant_types.contains(&wanted) {
            return Err(OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                "this client may not use this grant type",
            )
            .into());
        }
        match wanted {
            GrantType::AuthorizationCode => self.code_grant(tenant, &client, params).await,
            GrantType::RefreshToken => self.refresh_grant(tenant, &client, params).await,
            GrantType::ClientCredentials => self.client_grant(tenant, &client, params).await,
            GrantType::Password => self.password_grant(tenant, &client, params).await,
        }
    }

    pub(super) fn audience(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        asked: &[String],
    ) -> Vec<String> {
        if !asked.is_empty() {
            return asked.to_vec();
        }
        if client.settings.first_party {
            // First-party clients call the tenant's own API.
            return Vec::new();
        }
        if !client.settings.audiences.is_empty() {
            return client.settings.audiences.clone();
        }
        // Not the platform's audience: a third-party token opens only the
        // provider's own endpoints (userinfo) until it names an API.
        vec![self.issuer(tenant)]
    }

    pub(super) fn resource(client: &OAuthClient, params: &TokenParams) -> Result<Vec<String>> {
        match params.resource.as_deref().filter(|r| !r.is_empty()) {
            None => Ok(Vec::new()),
            Some(r) if client.settings.audiences.iter().any(|a| a == r) => Ok(vec![r.to_owned()]),
            Some(_) => Err(OAuthError::new(
                OAuthErrorCode::InvalidTarget,
                "the requested `resource` is not allowed for this client",
            )
            .into()),
        }
    }
}
