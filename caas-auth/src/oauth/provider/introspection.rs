//! What a client may learn about, and undo of, the tokens it holds:
//! introspection (RFC 7662; every token of the tenant with
//! [`INTROSPECT_SCOPE`]) and revocation (RFC 7009).

use caas_core::{Result, Tenant};
use serde_json::{Value, json};

use super::Provider;
use super::holder::Grant;
use crate::oauth::client_auth::{self, ClientCredentials};
use crate::oauth::clients::ClientType;
use crate::oauth::error::OAuthError;
use crate::refresh;
use crate::revocation::Revoked;

/// The client scope with which a tenant administrator lets a confidential
/// client introspect every token of the tenant (RFC 7662 §4), not only
/// those issued to it or naming it in their audience.
pub const INTROSPECT_SCOPE: &str = "tokens:introspect";

impl Provider {
    /// RFC 7662: what `token` is, for an authenticated client of the tenant
    /// (public clients may not introspect). Anything unknown, expired,
    /// revoked or of another tenant is `{"active": false}` — and so is a
    /// token that was neither issued to the caller nor names it in its
    /// audience, unless an administrator gave the client the scope
    /// [`INTROSPECT_SCOPE`].
    pub async fn introspect(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        token: Option<&str>,
    ) -> Result<Value> {
        let client = self.client(tenant, credentials).await?;
        if client.settings.client_type == ClientType::Public {
            return Err(client_auth::invalid_client());
        }
        let token = token.ok_or_else(|| OAuthError::invalid_request("`token` is missing"))?;
        let may_introspect_all = client.settings.scopes.iter().any(|s| s == INTROSPECT_SCOPE);
        let p = self.auth.parts();
        if token.starts_with(refresh::PREFIX) {
            let Some(info) = p.refresh.inspect(&tenant.id, token).await? else {
                return Ok(json!({ "active": false }));
            };
            if !(may_introspect_all || info.client_id.as_deref() == Some(client.id.as_str())) {
                return Ok(json!({ "active": false }));
            }
            let grant: Option<Grant> = info.grant.and_then(|g| serde_json::from_value(g).ok());
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "client_id": info.client_id,
                "sub": info.user_id,
                "scope": grant.map(|g| g.scopes.join(" ")).unwrap_or_default(),
                "iat": info.issued_at.as_secs(),
                "exp": info.expires_at.as_secs(),
                "iss": self.issuer(tenant),
                "sid": info.session_id.to_string(),
            }));
        }
        match p.tokens.verify_any_audience(token, tenant).await {
            Ok(c)
                if !(may_introspect_all
                    || c.aud.0.contains(&client.id)
                    || c.client_id.as_deref() == Some(client.id.as_str())) =>
            {
                Ok(json!({ "active": false }))
            }
            Ok(c) => Ok(json!({
                "active": true,
                "token_type": "Bearer",
                "scope": c.scope,
                "client_id": c.client_id,
                "sub": c.sub,
                "aud": c.aud,
                "iss": c.iss,
                "exp": c.exp,
                "iat": c.iat,
                "nbf": c.nbf,
                "jti": c.jti,
                "sid": c.sid,
                "kind": c.kind,
                "tenant_id": c.tenant_id,
            })),
            Err(e) if e.kind() == caas_core::ErrorKind::Unauthenticated => {
                Ok(json!({ "active": false }))
            }
            Err(e) => Err(e),
        }
    }

    /// RFC 7009: revokes `token` if it was issued to the authenticated
    /// client (a refresh token: its whole family; an access token: itself).
    /// Unknown tokens, and other clients' tokens, change nothing and are
    /// answered the same way.
    pub async fn revoke(
        &self,
        tenant: &Tenant,
        credentials: &ClientCredentials,
        token: Option<&str>,
    ) -> Result<()> {
        let client = self.client(tenant, credentials).await?;
        let token = token.ok_or_else(|| OAuthError::invalid_request("`token` is missing"))?;
        let p = self.auth.parts();
        if token.starts_with(refresh::PREFIX) {
            if let Some(info) = p.refresh.inspect(&tenant.id, token).await?
                && info.client_id.as_deref() == Some(client.id.as_str())
            {
                p.refresh
                    .revoke_family(&tenant.id, info.family_id, "revoked_by_client")
                    .await?;
            }
            return Ok(());
        }
        if let Ok(claims) = p.tokens.verify_any_audience(token, tenant).await
            && claims.client_id.as_deref() == Some(client.id.as_str())
        {
            p.tokens
                .revocations()
                .revoke(&tenant.id, Revoked::Token(&claims.jti))
                .await?;
        }
        Ok(())
    }
}
