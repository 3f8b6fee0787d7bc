//! [`OAuthClients`]: a tenant's OAuth 2.0 clients — confidential (with a
//! secret, stored as SHA-256 and compared in constant time) or public (PKCE
//! only), their grant types, exact redirect URIs, scopes, first-party flag
//! and token lifetimes — validated on every write.

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SecretString, SharedClock, TenantId, Timestamp, Tx};
use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use crate::opaque;

/// Whether a client can keep a secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// A server-side application with a secret.
    Confidential,
    /// A browser or native application: no secret, PKCE only.
    Public,
}

/// The grants a client may use.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// Authorization code with PKCE.
    AuthorizationCode,
    /// Refresh tokens.
    RefreshToken,
    /// Machine-to-machine (confidential clients only).
    ClientCredentials,
    /// Resource-owner password (first-party confidential clients only, when
    /// the tenant enables it).
    Password,
}

/// How a client authenticates at the token, introspection and revocation
/// endpoints (OIDC Core §9).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// The secret in HTTP Basic (the default for confidential clients).
    ClientSecretBasic,
    /// The secret in the form body.
    ClientSecretPost,
    /// A JWT signed with a key of the client's registered `jwks` (RFC 7523).
    PrivateKeyJwt,
    /// No authentication: public clients.
    None,
}

impl AuthMethod {
    /// The OIDC name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }
}

/// What a client is allowed; the body of create and update.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    /// Shown on the consent screen (1–100 characters).
    pub name: String,
    /// Confidential or public.
    pub client_type: ClientType,
    /// Exact redirect URIs (https, or http on a loopback host; no fragment; at most 20).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may return to (same rules).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed grants.
    pub grant_types: Vec<GrantType>,
    /// Scopes it may ask for (besides `openid profile email offline_access`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A client of the tenant itself: no consent screen; may use the password grant.
    #[serde(default)]
    pub first_party: bool,
    /// Access-token lifetime in seconds (60 to 86400, one day; the server
    /// default when absent).
    #[serde(default)]
    pub access_token_ttl_secs: Option<u64>,
    /// Refresh-token lifetime in seconds (300 to 7776000, 90 days; the
    /// server default when absent).
    #[serde(default)]
    pub refresh_token_ttl_secs: Option<u64>,
    /// How it authenticates: `none` for public clients; for confidential
    /// ones `client_secret_basic` (default), `client_secret_post` (both
    /// secret methods are accepted) or `private_key_jwt`.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<AuthMethod>,
    /// The client's public keys (a JWK Set) for `private_key_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// APIs (audiences) it may ask access tokens for with `resource`
    /// (RFC 8707); its tokens are restricted to them.
    #[serde(default)]
    pub audiences: Vec<String>,
}

impl ClientSettings {
    /// The authentication method in force.
    pub fn auth_method(&self) -> AuthMethod {
        match (self.client_type, self.token_endpoint_auth_method) {
            (ClientType::Public, _) => AuthMethod::None,
            (ClientType::Confidential, Some(m)) if m != AuthMethod::None => m,
            (ClientType::Confidential, _) => AuthMethod::ClientSecretBasic,
        }
    }
}

/// A registered client (never its secret).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthClient {
    /// `client_id`.
    pub id: String,
    /// The tenant.
    pub tenant_id: TenantId,
    /// What it may do.
    #[serde(flatten)]
    pub settings: ClientSettings,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

const MAX_URIS: usize = 20;

fn bad(field: &'static str, message: impl Into<String>) -> Error {
    Error::invalid_input(message.into()).with_field(field)
}

fn check_uri(uri: &str, field: &'static str) -> Result<()> {
    let parsed = url::Url::parse(uri).map_err(|_| {
        bad(
            field,
            format!(
                "`{}` is not an absolute URL",
                uri.chars().take(200).collect::<String>()
            ),
        )
    })?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback);
    if !scheme_ok || parsed.fragment().is_some() || uri.len() > 2000 {
        return Err(bad(
            field,
            "a redirect URI must be https (or http on localhost), without a fragment",
        ));
    }
    Ok(())
}

impl ClientSettings {
    /// Checks every rule; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(bad("name", "`name` must be 1 to 100 characters"));
        }
        for (uris, field) in [
            (&self.redirect_uris, "redirect_uris"),
            (&self.post_logout_redirect_uris, "post_logout_redirect_uris"),
        ] {
            if uris.len() > MAX_URIS {
                return Err(bad(field, format!("at most {MAX_URIS} URIs")));
            }
            for uri in uris {
                check_uri(uri, field)?;
            }
        }
        if self.grant_types.is_empty() {
            return Err(bad("grant_types", "a client needs at least one grant type"));
        }
        let has = |g: GrantType| self.grant_types.contains(&g);
        if has(GrantType::AuthorizationCode) && self.redirect_uris.is_empty() {
            return Err(bad(
                "redirect_uris",
                "the authorization-code grant needs a redirect URI",
            ));
        }
        if self.client_type == ClientType::Public && has(GrantType::ClientCredentials) {
            return Err(bad(
                "grant_types",
                "a public client cannot use client credentials",
            ));
        }
        if has(GrantType::Password)
            && (!self.first_party || self.client_type != ClientType::Confidential)
        {
            return Err(bad(
                "grant_types",
                "the password grant is only for first-party confidential clients",
            ));
        }
        for s in &self.scopes {
            let ok = (1..=64).contains(&s.len())
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || matches!(b, b':' | b'.' | b'_' | b'-')
                });
            if !ok {
                return Err(bad(
                    "scopes",
                    "a scope is 1 to 64 of a-z, 0-9, `:`, `.`, `_`, `-`",
                ));
            }
        }
        match (self.client_type, self.token_endpoint_auth_method) {
            (ClientType::Public, Some(m)) if m != AuthMethod::None => {
                return Err(bad(
                    "token_endpoint_auth_method",
                    "a public client authenticates with `none`",
                ));
            }
            (ClientType::Confidential, Some(AuthMethod::None)) => {
                return Err(bad(
                    "token_endpoint_auth_method",
                    "a confidential client must authenticate",
                ));
            }
            _ => {}
        }
        if self.auth_method() == AuthMethod::PrivateKeyJwt {
            let keys = self
                .jwks
                .as_ref()
                .and_then(|j| j.get("keys"))
                .and_then(|k| k.as_array());
            if keys.is_none_or(|k| k.is_empty() || k.len() > 10) {
                return Err(bad(
                    "jwks",
                    "`private_key_jwt` needs `jwks` with 1 to 10 public keys",
                ));
            }
        }
        if self
            .jwks
            .as_ref()
            .is_some_and(|j| j.to_string().len() > 16 * 1024)
        {
            return Err(bad("jwks", "`jwks` may be at most 16 KiB"));
        }
        if self.audiences.len() > 20
            || self
                .audiences
                .iter()
                .any(|a| a.is_empty() || a.len() > 200 || a.chars().any(char::is_whitespace))
        {
            return Err(bad(
                "audiences",
                "at most 20 audiences of 1 to 200 characters without spaces",
            ));
        }
        if self
            .access_token_ttl_secs
            .is_some_and(|t| !(60..=86_400).contains(&t))
        {
            return Err(bad(
                "access_token_ttl_secs",
                "`access_token_ttl_secs` must be 60 to 86400 seconds",
            ));
        }
        if self
            .refresh_token_ttl_secs
            .is_some_and(|t| !(300..=7_776_000).contains(&t))
        {
            return Err(bad(
                "refresh_token_ttl_secs",
                "`refresh_token_ttl_secs` must be 300 to 7776000 seconds",
            ));
        }
        Ok(())
    }
}

struct ClientRow {
    client: OAuthClient,
    secret_hash: Option<String>,
}

impl FromRow for ClientRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let settings: String = row.get("settings")?;
        Ok(ClientRow {
            client: OAuthClient {
                id: row.get("id")?,
                tenant_id: row.parse("tenant_id")?,
                settings: serde_json::from_str(&settings)
                    .map_err(|_| Error::internal("stored client settings are not JSON"))?,
                created_at: row.timestamp("created_at")?,
                updated_at: row.timestamp("updated_at")?,
            },
            secret_hash: row.get("secret_hash")?,
        })
    }
}

fn new_secret() -> String {
    opaque::token("cs_")
}

fn new_id() -> String {
    let mut bytes = [0u8; 10];
    rand::fill(&mut bytes[..]);
    format!("cl_{}", BASE32_NOPAD.encode(&bytes).to_lowercase())
}

fn not_found(id: &str) -> Error {
    Error::not_found(format!(
        "client `{}` not found",
        id.chars().take(64).collect::<String>()
    ))
}

/// OAuth clients of every tenant.
#[derive(Debug, Clone)]
pub struct OAuthClients {
    db: Db,
    clock: SharedClock,
}

impl OAuthClients {
    /// Clients in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        OAuthClients { db, clock }
    }

    async fn row(tx: &mut Tx, tenant: &TenantId, id: &str) -> Result<Option<ClientRow>> {
        query(
            "SELECT tenant_id, id, secret_hash, settings, created_at, updated_at \
             FROM auth_oauth_clients WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
    }

    /// Registers a client; a confidential one gets its secret (shown once).
    pub async fn create(
        &self,
        tenant: &TenantId,
        settings: &ClientSettings,
    ) -> Result<(OAuthClient, Option<SecretString>)> {
        settings.validate()?;
        let id = new_id();
        let secret = (settings.client_type == ClientType::Confidential).then(new_secret);
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_oauth_clients (tenant_id, id, secret_hash, settings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(tenant)
        .bind(id.as_str())
        .bind(secret.as_deref().map(opaque::digest))
        .bind(serde_json::to_string(settings)?)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        let client = Self::row(&mut tx, tenant, &id)
            .await?
            .ok_or_else(|| not_found(&id))?
            .client;
        tx.commit().await?;
        Ok((client, secret.map(SecretString::new)))
    }

    /// The client `id`.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<Option<OAuthClient>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row = Self::row(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(row.map(|r| r.client))
    }

    /// The tenant's clients.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<OAuthClient>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<ClientRow> = query(
            "SELECT tenant_id, id, secret_hash, settings, created_at, updated_at \
             FROM auth_oauth_clients WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1000",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| r.client).collect())
    }

    /// Replaces a client's settings (its type cannot change: register a new client).
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: &str,
        settings: &ClientSettings,
    ) -> Result<OAuthClient> {
        settings.validate()?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let current = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if current.client.settings.client_type != settings.client_type {
            return Err(bad(
                "client_type",
                "a client's type cannot change; register a new client",
            ));
        }
        query(
            "UPDATE auth_oauth_clients SET settings = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(serde_json::to_string(settings)?)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        let client = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?
            .client;
        tx.commit().await?;
        Ok(client)
    }

    /// A new secret for a confidential client; the old one stops working.
    pub async fn rotate_secret(&self, tenant: &TenantId, id: &str) -> Result<SecretString> {
        let secret = new_secret();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let current = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        if current.client.settings.client_type != ClientType::Confidential {
            return Err(Error::conflict("a public client has no secret"));
        }
        query(
            "UPDATE auth_oauth_clients SET secret_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(opaque::digest(&secret))
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(SecretString::new(secret))
    }

    /// Deletes a client.
    pub async fn delete(&self, tenant: &TenantId, id: &str) -> Result<()> {
        let n = self
            .db
            .tenant_execute(
                tenant,
                query("DELETE FROM auth_oauth_clients WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id),
            )
            .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Authenticates a confidential client by its secret (constant time, one
    /// answer for an unknown client and a wrong secret: 401 `invalid_client`).
    pub async fn authenticate(
        &self,
        tenant: &TenantId,
        id: &str,
        secret: &str,
    ) -> Result<OAuthClient> {
        let refused = || Error::from(OAuthError::invalid_client());
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row = Self::row(&mut tx, tenant, id).await?;
        tx.commit().await?;
        // Unknown clients and public ones (no secret) take the same path.
        let same = opaque::matches(row.as_ref().and_then(|r| r.secret_hash.as_deref()), secret);
        row.map(|r| r.client).filter(|_| same).ok_or_else(refused)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn settings() -> ClientSettings {
        ClientSettings {
            name: "app".into(),
            client_type: ClientType::Confidential,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: Vec::new(),
            first_party: false,
            access_token_ttl_secs: None,
            refresh_token_ttl_secs: None,
            token_endpoint_auth_method: None,
            jwks: None,
            audiences: Vec::new(),
        }
    }

    proptest! {
        #[test]
        fn access_token_lifetimes_are_bounded_or_refused_by_name(secs in any::<u64>()) {
            let s = ClientSettings { access_token_ttl_secs: Some(secs), ..settings() };
            match s.validate() {
                Ok(()) => prop_assert!((60..=86_400).contains(&secs)),
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("access_token_ttl_secs"));
                }
            }
        }

        #[test]
        fn refresh_token_lifetimes_are_bounded_or_refused_by_name(secs in any::<u64>()) {
            let s = ClientSettings { refresh_token_ttl_secs: Some(secs), ..settings() };
            match s.validate() {
                Ok(()) => prop_assert!((300..=7_776_000).contains(&secs)),
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("refresh_token_ttl_secs"));
                }
            }
        }
    }
}
