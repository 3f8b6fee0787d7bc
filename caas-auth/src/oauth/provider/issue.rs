//! What a grant yields: the access token (scopes capped by what the holder
//! may do, the client's audience and lifetime), a refresh token when the
//! grant allows one, and the ID token (OIDC Core §2: `acr`, `amr`,
//! `nonce`, `sid`, `at_hash`, claims by scope).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::{Result, Tenant};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};

use super::Provider;
use super::holder::{Grant, Holder};
use super::token::TokenResponse;
use crate::attenuation::Attenuation;
use crate::oauth::clients::{GrantType, OAuthClient};
use crate::service::roles;
use crate::sessions::Session;
use crate::settings::AuthSettings;
use crate::tokens::{SigningAlgorithm, TokenRequest};

impl Provider {
    /// The token response for `holder` under `grant`: an access token; a
    /// refresh token of a new family when `new_family` is set and the
    /// client and scopes allow one (users only, never guests); and, with
    /// `openid`, an ID token.
    #[expect(
        clippy::too_many_arguments,
        reason = "the pieces of one token response, each needed"
    )]
    pub(super) async fn user_tokens(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        holder: &Holder,
        session: &Session,
        grant: &Grant,
        nonce: Option<&str>,
        new_family: bool,
    ) -> Result<TokenResponse> {
        let p = self.auth.parts();
        let first_party = client.settings.first_party;
        let settings = AuthSettings::of(&tenant.settings)?;
        let mut ttl = client
            .settings
            .access_token_ttl_secs
            .map(Duration::from_secs);
        let roles = match holder {
            Holder::User(user) if first_party => roles(user),
            _ => Vec::new(),
        };
        if let Holder::Guest(_) = holder {
            let guest = Duration::from_secs(settings.guest_ttl_secs);
            ttl = Some(ttl.map_or(guest, |t| t.min(guest)));
        }
        // Requested ∩ client-allowed (the grant) ∩ what the holder may do:
        // a scope never grants the user a right they lack.
        let owner = match holder {
            Holder::User(user) => Attenuation::user_principal(user),
            Holder::Guest(_) => {
                caas_core::Principal::new(holder.subject(), Some(tenant.id), holder.kind())
            }
        };
        let mut grant = grant.clone();
        grant.scopes = self
            .auth
            .attenuation()
            .cap(&tenant.id, &owner, &grant.scopes)
            .await?;
        let grant = &grant;
        let request = TokenRequest {
            session: Some(session.id.to_string()),
            scopes: grant.scopes.clone(),
            roles,
            amr: grant.amr.clone(),
            auth_time: Some(caas_core::Timestamp::from_millis(
                grant.auth_time.saturating_mul(1000),
            )),
            audience: self.audience(tenant, client, &grant.audience),
            client_id: Some(client.id.clone()),
            ttl,
            ..TokenRequest::new(holder.subject(), holder.kind())
        };
        let issued = p
            .tokens
            .issue_as(tenant, &request, settings.token_format)
            .await?;
        // Guests get no refresh tokens (as on the first-party routes).
        let refresh = if new_family
            && matches!(holder, Holder::User(_))
            && client
                .settings
                .grant_types
                .contains(&GrantType::RefreshToken)
            && (grant.scopes.iter().any(|s| s == "offline_access") || first_party)
        {
            let data = serde_json::to_value(grant)?;
            Some(
                p.refresh
                    .issue_for(&tenant.id, session, Some((&client.id, &data)))
                    .await?
                    .token,
            )
        } else {
            None
        };
        let id_token = if grant.scopes.iter().any(|s| s == "openid") {
            Some(
                self.id_token(tenant, client, holder, grant, nonce, Some(&issued.token))
                    .await?,
            )
        } else {
            None
        };
        Ok(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: u64::try_from(issued.claims.exp - issued.claims.iat).unwrap_or(0),
            refresh_token: refresh.map(|r| r.expose().clone()),
            id_token,
            scope: grant.scopes.join(" "),
        })
    }

    async fn id_token(
        &self,
        tenant: &Tenant,
        client: &OAuthClient,
        holder: &Holder,
        grant: &Grant,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String> {
        let p = self.auth.parts();
        let now = p.clock.now().as_secs();
        let ttl = i64::try_from(p.tokens.config().access_ttl.as_secs()).unwrap_or(900);
        let has = |m: &str| grant.amr.iter().any(|a| a == m);
        let acr = if has("mfa") {
            "urn:caas:acr:mfa"
        } else if has("fed") {
            "urn:caas:acr:fed"
        } else {
            "urn:caas:acr:pwd"
        };
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer(tenant)));
        claims.insert("sub".into(), json!(holder.subject()));
        claims.insert("aud".into(), json!(client.id));
        claims.insert("azp".into(), json!(client.id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(ttl)));
        claims.insert("auth_time".into(), json!(grant.auth_time));
        claims.insert("acr".into(), json!(acr));
        if !grant.amr.is_empty() {
            claims.insert("amr".into(), json!(grant.amr));
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        if let Some(sid) = grant.browser_session {
            claims.insert("sid".into(), json!(sid.to_string()));
        }
        claims.extend(holder.claims(&grant.scopes));
        let algorithm = p.tokens.keys().signer(&tenant.id).await?.signing.1;
        if let Some(at) = access_token {
            claims.insert("at_hash".into(), json!(half_hash(algorithm, at)));
        }
        let (token, _) = p.tokens.sign_json(tenant, &Value::Object(claims)).await?;
        Ok(token)
    }
}

/// `at_hash`: the left half of the access token's hash with the ID token's
/// hash function (SHA-512 for Ed25519, SHA-256 otherwise), base64url.
pub fn half_hash(algorithm: SigningAlgorithm, token: &str) -> String {
    match algorithm {
        SigningAlgorithm::EdDSA => {
            let d = Sha512::digest(token.as_bytes());
            B64.encode(&d[..32])
        }
        _ => {
            let d = Sha256::digest(token.as_bytes());
            B64.encode(&d[..16])
        }
    }
}
