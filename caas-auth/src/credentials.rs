//! Credentials a principal derives from itself, each an attenuation of its
//! owner (see [`Attenuation`](crate::attenuation::Attenuation)): guest
//! sessions and tokens, one-time tickets, API keys — made, rescoped,
//! rotated, deleted and exchanged for tokens — and [`Auth::cut_off`], which
//! ends every credential of a user at once.

use std::time::Duration;

use caas_core::{Error, Principal, PrincipalKind, Result, SecretString, Tenant, new_id};
use uuid::Uuid;

use crate::api_keys::{ApiKey, ApiKeyInput};
use crate::revocation::Revoked;
use crate::service::{Auth, TokenPair};
use crate::sessions::{EndReason, Fingerprint, NewSession, Session};
use crate::settings::AuthSettings;
use crate::tokens::TokenRequest;

/// The subject of an API key's principal and of the tokens exchanged for it.
pub(crate) fn key_subject(id: Uuid) -> String {
    format!("apikey:{id}")
}

fn no_such_key() -> Error {
    Error::not_found("no such API key of yours")
}

impl Auth {
    /// A guest's session (for the OAuth provider's "continue as guest"), when
    /// the tenant allows guests (403 otherwise); it lasts the guest lifetime.
    pub async fn guest_session(
        &self,
        tenant: &Tenant,
        fingerprint: Fingerprint,
    ) -> Result<Session> {
        if !AuthSettings::of(&tenant.settings)?.allow_guests {
            return Err(
                Error::forbidden("this tenant does not allow guests").with_code("guests_disabled")
            );
        }
        let subject = format!("guest:{}", new_id(self.parts().clock.as_ref()));
        self.parts()
            .sessions
            .create(
                &tenant.id,
                &NewSession {
                    user_id: subject,
                    kind: PrincipalKind::Guest,
                    fingerprint,
                    metadata: serde_json::Map::new(),
                    amr: Vec::new(),
                },
            )
            .await
    }

    /// A guest token, when the tenant allows guests (403 otherwise).
    pub async fn guest(&self, tenant: &Tenant) -> Result<TokenPair> {
        let settings = AuthSettings::of(&tenant.settings)?;
        if !settings.allow_guests {
            return Err(
                Error::forbidden("this tenant does not allow guests").with_code("guests_disabled")
            );
        }
        let ttl = Duration::from_secs(settings.guest_ttl_secs);
        let subject = format!("guest:{}", new_id(self.parts().clock.as_ref()));
        let issued = self
            .parts()
            .tokens
            .issue(
                tenant,
                &TokenRequest {
                    ttl: Some(ttl),
                    ..TokenRequest::new(subject, PrincipalKind::Guest)
                },
            )
            .await?;
        Ok(TokenPair {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: ttl
                .as_secs()
                .min(self.parts().tokens.config().max_ttl.as_secs()),
            refresh_token: None,
            session_id: None,
            trusted_device_token: None,
        })
    }

    /// Redeems a one-time ticket for an access token of its principal (the
    /// same subject, kind, roles, scopes, owner and session). The principal
    /// must still be alive: a user's account active, a key's owner active
    /// and the key not deleted.
    pub async fn redeem_ticket(&self, tenant: &Tenant, ticket: &str) -> Result<TokenPair> {
        let p = self.parts();
        let principal = p.tickets.redeem(&tenant.id, ticket).await?;
        self.attenuation().alive(&tenant.id, &principal).await?;
        if let Some(id) = principal.subject.strip_prefix("apikey:") {
            let id: Uuid = id
                .parse()
                .map_err(|_| Error::invalid_token("the ticket names a malformed API key"))?;
            if p.api_keys.get(&tenant.id, id).await?.is_none() {
                return Err(Error::invalid_token(
                    "the ticket's API key no longer exists",
                ));
            }
        }
        let principal = self.attenuation().at_use(&tenant.id, principal).await?;
        let session = principal.text_attribute("sid").map(str::to_owned);
        let request = TokenRequest {
            session: session.clone(),
            scopes: principal.scopes.iter().cloned().collect(),
            roles: principal.roles.iter().cloned().collect(),
            amr: principal.amr(),
            owner: principal.owner.clone(),
            ..TokenRequest::new(principal.subject.clone(), principal.kind)
        };
        let issued = p.tokens.issue(tenant, &request).await?;
        Ok(TokenPair {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: p.tokens.config().access_ttl.as_secs(),
            refresh_token: None,
            session_id: session.and_then(|s| s.parse().ok()),
            trusted_device_token: None,
        })
    }

    /// Exchanges an API key for a short-lived access token: the key's
    /// scopes as capped by its owner now, with the owner named so every use
    /// of the token is capped again.
    pub async fn exchange_api_key(&self, tenant: &Tenant, api_key: &str) -> Result<TokenPair> {
        let p = self.parts();
        let key = p.api_keys.authenticate(&tenant.id, api_key).await?;
        let principal = self
            .attenuation()
            .at_use(&tenant.id, key.principal())
            .await?;
        let issued = p
            .tokens
            .issue(
                tenant,
                &TokenRequest {
                    scopes: principal.scopes.iter().cloned().collect(),
                    owner: principal.owner.clone(),
                    ..TokenRequest::new(principal.subject, PrincipalKind::Service)
                },
            )
            .await?;
        Ok(TokenPair {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: p.tokens.config().access_ttl.as_secs(),
            refresh_token: None,
            session_id: None,
            trusted_device_token: None,
        })
    }

    /// The key `id` if `owner` owns it; 404 otherwise (another's key is
    /// not told apart from none).
    pub async fn owned_api_key(
        &self,
        tenant: &Tenant,
        owner: &Principal,
        id: Uuid,
    ) -> Result<ApiKey> {
        self.parts()
            .api_keys
            .get(&tenant.id, id)
            .await?
            .filter(|k| k.owner_id == owner.subject && owner.owner.is_none())
            .ok_or_else(no_such_key)
    }

    /// Makes an API key for `owner`: only users may, and only with the
    /// platform scopes they could exercise themselves (403 naming the
    /// first other). The full key is in the answer only.
    pub async fn create_api_key(
        &self,
        tenant: &Tenant,
        owner: &Principal,
        input: &ApiKeyInput,
    ) -> Result<(ApiKey, SecretString)> {
        input.validate()?;
        self.attenuation()
            .check_grant(&tenant.id, owner, &input.scopes)
            .await?;
        self.parts()
            .api_keys
            .create(&tenant.id, &owner.subject, input)
            .await
    }

    /// Renames, rescopes or extends `owner`'s key `id` (the same rules as
    /// [`Auth::create_api_key`]).
    pub async fn update_api_key(
        &self,
        tenant: &Tenant,
        owner: &Principal,
        id: Uuid,
        input: &ApiKeyInput,
    ) -> Result<ApiKey> {
        input.validate()?;
        let key = self.owned_api_key(tenant, owner, id).await?;
        self.attenuation()
            .check_grant(&tenant.id, owner, &input.scopes)
            .await?;
        self.parts()
            .api_keys
            .update(&tenant.id, key.id, input)
            .await
    }

    /// Gives `owner`'s key `id` a new secret; the old secret, and every
    /// token exchanged for it, stop working at once. Refused (403 naming the
    /// scope) while the key carries a platform scope its owner no longer
    /// holds: rescope it first.
    pub async fn rotate_api_key(
        &self,
        tenant: &Tenant,
        owner: &Principal,
        id: Uuid,
    ) -> Result<(ApiKey, SecretString)> {
        let key = self.owned_api_key(tenant, owner, id).await?;
        self.attenuation()
            .check_grant(&tenant.id, owner, &key.scopes)
            .await?;
        let rotated = self.parts().api_keys.rotate(&tenant.id, key.id).await?;
        self.revoke_key_tokens(tenant, key.id).await?;
        Ok(rotated)
    }

    /// Deletes `owner`'s key `id`; tokens exchanged for it stop working.
    pub async fn delete_api_key(&self, tenant: &Tenant, owner: &Principal, id: Uuid) -> Result<()> {
        let key = self.owned_api_key(tenant, owner, id).await?;
        self.parts().api_keys.delete(&tenant.id, key.id).await?;
        self.revoke_key_tokens(tenant, key.id).await
    }

    async fn revoke_key_tokens(&self, tenant: &Tenant, id: Uuid) -> Result<()> {
        self.parts()
            .tokens
            .revocations()
            .revoke(&tenant.id, Revoked::User(&key_subject(id)))
            .await
    }

    /// Registers an OAuth client; answers it and, for a confidential
    /// client, its secret (shown once). Announces `oauth_client.created`.
    pub async fn create_oauth_client(
        &self,
        tenant: &Tenant,
        settings: &crate::oauth::ClientSettings,
    ) -> Result<(crate::oauth::OAuthClient, Option<SecretString>)> {
        let (client, secret) = self.parts().clients.create(&tenant.id, settings).await?;
        self.announce(
            tenant,
            "oauth_client.created",
            serde_json::json!({
                "client_id": client.id, "client_type": settings.client_type,
                "grant_types": settings.grant_types,
            }),
        )
        .await;
        Ok((client, secret))
    }

    /// Deletes the OAuth client `id`: its refresh families die with it (a
    /// refresh needs the client's authentication) and its client-credentials
    /// tokens are revoked at once.
    pub async fn delete_oauth_client(&self, tenant: &Tenant, id: &str) -> Result<()> {
        let p = self.parts();
        p.clients.delete(&tenant.id, id).await?;
        p.tokens
            .revocations()
            .revoke(&tenant.id, Revoked::User(id))
            .await
    }

    /// Ends every credential of user `user`: sessions (with their refresh
    /// families and OAuth grants), access tokens issued so far, API keys and
    /// the tokens exchanged for them. Tickets die at redemption, which
    /// checks the account. Used when a user is locked, disabled or deleted.
    pub async fn cut_off(&self, tenant: &Tenant, user: &str) -> Result<()> {
        let p = self.parts();
        p.sessions
            .end_all(&tenant.id, user, None, EndReason::Terminated)
            .await?;
        p.tokens
            .revocations()
            .revoke(&tenant.id, Revoked::User(user))
            .await?;
        for id in p.api_keys.delete_owned(&tenant.id, user).await? {
            self.revoke_key_tokens(tenant, id).await?;
        }
        Ok(())
    }
}
