//! The token endpoint's four grants (RFC 6749 §4): the authorization code
//! (PKCE, the redirect URI and the client checked; a reused code revokes
//! what it gave), the refresh token (rotation within its family, scopes
//! only narrowed), client credentials (confidential clients), and the
//! password grant (first-party clients, when the tenant enables it).

use std::time::Duration;

use caas_core::{Error, PrincipalKind, Result, Tenant, new_id};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Provider;
use super::holder::{Grant, Holder};
use super::token::{TokenParams, TokenResponse};
use crate::Login;
use crate::oauth::authorize;
use crate::oauth::clients::{ClientType, OAuthClient};
use crate::oauth::codes::Redeemed;
use crate::oauth::error::{OAuthError, OAuthErrorCode};
use crate::oauth::pkce;
use crate::revocation::Revoked;
use crate::service::SignIn;
use crate::sessions::{EndReason, Fingerprint, NewSession};
use crate::settings::AuthSettings;
use crate::tokens::TokenRequest;

impl Provider {
    pub(super) async fn code_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        let p = self.auth.parts();
        let code = params
            .code
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("`code` is missing"))?;
        let verifier = params.code_verifier.as_deref().ok_or_else(|| {
            OAuthError::invalid_request("`code_verifier` is missing: PKCE is required")
        })?;
        let sid = new_id(p.clock.as_ref());
        let grant = match self.codes.redeem(&tenant.id, code, sid).await? {
            Redeemed::Fresh(g) => *g,
            Redeemed::Reused(first) => {
                self.end_grant(tenant, first).await?;
                return Err(OAuthError::invalid_grant("the authorization code was already used: the tokens issued for it were revoked").into());
            }
        };
        if grant.client_id != client.id {
            self.end_grant(tenant, sid).await?;
            return Err(OAuthError::invalid_grant(
                "the authorization code was issued to another client",
            )
            .into());
        }
        if params.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
            self.end_grant(tenant, sid).await?;
            return Err(OAuthError::invalid_grant(
                "`redirect_uri` differs from the authorization request's",
            )
            .into());
        }
        if !pkce::verify(verifier, &grant.code_challenge) {
            self.end_grant(tenant, sid).await?;
            return Err(OAuthError::invalid_grant(
                "the PKCE `code_verifier` does not match the challenge",
            )
            .into());
        }
        let kind = if grant.guest {
            PrincipalKind::Guest
        } else {
            PrincipalKind::User
        };
        let Some(holder) = self.holder(tenant, kind, &grant.user_id).await? else {
            return Err(OAuthError::invalid_grant("the user is no longer active").into());
        };
        let mut metadata = Map::new();
        metadata.insert("client_id".into(), Value::String(client.id.clone()));
        let session = p
            .sessions
            .create_with_id(
                &tenant.id,
                sid,
                &NewSession {
                    user_id: grant.user_id.clone(),
                    kind,
                    fingerprint: Fingerprint::default(),
                    metadata,
                    amr: grant.amr.clone(),
                },
            )
            .await?;
        let carried = Grant {
            scopes: grant.scopes.clone(),
            audience: grant.audience.clone(),
            auth_time: grant.auth_time,
            amr: grant.amr.clone(),
            browser_session: Some(grant.browser_session),
            refresh_ttl_secs: client.settings.refresh_token_ttl_secs,
        };
        let response = self
            .user_tokens(
                tenant,
                client,
                &holder,
                &session,
                &carried,
                grant.nonce.as_deref(),
                true,
            )
            .await?;
        if self.codes.was_reused(&tenant.id, code).await? {
            self.end_grant(tenant, sid).await?;
            return Err(OAuthError::invalid_grant(
                "the authorization code was used twice: the tokens issued for it were revoked",
            )
            .into());
        }
        Ok(response)
    }

    /// Ends a grant's session: its refresh tokens and access tokens die.
    async fn end_grant(&self, tenant: &Tenant, sid: Uuid) -> Result<()> {
        let p = self.auth.parts();
        p.tokens
            .revocations()
            .revoke(&tenant.id, Revoked::Session(&sid.to_string()))
            .await?;
        p.refresh
            .revoke_session(&tenant.id, sid, "code_reuse")
            .await?;
        p.sessions
            .end(&tenant.id, sid, EndReason::Terminated)
            .await?;
        Ok(())
    }

    pub(super) async fn refresh_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        let p = self.auth.parts();
        let presented = params
            .refresh_token
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("`refresh_token` is missing"))?;
        // Scopes are checked before the token is spent: a refused request
        // must not consume it.
        if let Some(info) = p.refresh.inspect(&tenant.id, presented).await?
            && info.client_id.as_deref() == Some(client.id.as_str())
            && let Some(grant) = info
                .grant
                .and_then(|g| serde_json::from_value::<Grant>(g).ok())
        {
            authorize::narrow(params.scope.as_deref(), &grant.scopes)?;
        }
        let rotated = p
            .refresh
            .rotate_for(&tenant.id, presented, Some(&client.id))
            .await
            .map_err(|e| OAuthError::invalid_grant(e.message().to_owned()))?;
        let mut grant: Grant = rotated
            .grant
            .clone()
            .and_then(|g| serde_json::from_value(g).ok())
            .ok_or_else(|| Error::internal("a refresh family has no readable grant"))?;
        let Some(user) = self.active_user(tenant, &rotated.session.user_id).await? else {
            p.sessions
                .end(&tenant.id, rotated.session.id, EndReason::Terminated)
                .await?;
            return Err(OAuthError::invalid_grant("the user is no longer active").into());
        };
        grant.scopes = authorize::narrow(params.scope.as_deref(), &grant.scopes)?;
        let mut response = self
            .user_tokens(
                tenant,
                client,
                &Holder::User(Box::new(user)),
                &rotated.session,
                &grant,
                None,
                false,
            )
            .await?;
        response.refresh_token = Some(rotated.refresh.token.expose().clone());
        Ok(response)
    }

    pub(super) async fn client_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        if client.settings.client_type != ClientType::Confidential {
            return Err(OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                "a public client cannot use client credentials",
            )
            .into());
        }
        let scopes = authorize::narrow(params.scope.as_deref(), &client.settings.scopes)?;
        let asked = Self::resource(client, params)?;
        let request = TokenRequest {
            scopes: scopes.clone(),
            audience: self.audience(tenant, client, &asked),
            client_id: Some(client.id.clone()),
            ttl: client
                .settings
                .access_token_ttl_secs
                .map(Duration::from_secs),
            ..TokenRequest::new(client.id.clone(), PrincipalKind::Service)
        };
        let p = self.auth.parts();
        let format = AuthSettings::of(&tenant.settings)?.token_format;
        let issued = p.tokens.issue_as(tenant, &request, format).await?;
        Ok(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: u64::try_from(issued.claims.exp - issued.claims.iat).unwrap_or(0),
            refresh_token: None,
            id_token: None,
            scope: scopes.join(" "),
        })
    }

    pub(super) async fn password_grant(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        params: &TokenParams,
    ) -> Result<TokenResponse> {
        if !AuthSettings::of(&tenant.settings)?.allow_password_grant || !client.settings.first_party
        {
            return Err(OAuthError::new(
                OAuthErrorCode::UnauthorizedClient,
                "the password grant is not enabled for this tenant and client",
            )
            .into());
        }
        let (Some(username), Some(password)) =
            (params.username.as_deref(), params.password.as_deref())
        else {
            return Err(
                OAuthError::invalid_request("`username` and `password` are required").into(),
            );
        };
        let mut allowed: Vec<String> = authorize::STANDARD_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        allowed.extend(client.settings.scopes.iter().cloned());
        let scopes = match params.scope.as_deref() {
            None | Some("") => Vec::new(),
            s => authorize::narrow(s, &allowed)?,
        };
        let asked = Self::resource(client, params)?;
        let login = Login {
            login: username.to_owned(),
            password: caas_core::SecretString::new(password.to_owned()),
            fingerprint: Fingerprint::default(),
            ip: params.ip,
            trusted_device: None,
        };
        let (user, session) = match self.auth.sign_in(tenant, &login).await {
            Ok(SignIn::Session(done)) => *done,
            Ok(SignIn::MfaRequired { .. }) => {
                return Err(OAuthError::invalid_grant(
                    "this account needs a second factor: use the authorization-code flow",
                )
                .into());
            }
            Err(e) if e.kind() == caas_core::ErrorKind::RateLimited => return Err(e),
            Err(e) => return Err(OAuthError::invalid_grant(e.message().to_owned()).into()),
        };
        let grant = Grant {
            scopes,
            audience: asked,
            auth_time: session.auth_time.as_secs(),
            amr: session.amr.clone(),
            browser_session: None,
            refresh_ttl_secs: client.settings.refresh_token_ttl_secs,
        };
        self.user_tokens(
            tenant,
            client,
            &Holder::User(Box::new(user)),
            &session,
            &grant,
            None,
            true,
        )
        .await
    }
}
