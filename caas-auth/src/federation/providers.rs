//! [`IdentityProviders`]: a tenant's upstream identity providers — Google,
//! Microsoft, GitHub, or any OpenID Connect issuer (found by discovery) —
//! with the client secret sealed with a data key of the tenant (so a
//! tenant-key rotation re-wraps it and crypto-shredding the tenant
//! destroys it). The secret is write-only: no read returns it.

use std::sync::Arc;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp, Tx};
use caas_crypto::KeyManager;
use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The key purpose of sealed client secrets.
pub const PURPOSE: &str = "auth.federation";

/// What kind of provider.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Google (OIDC, issuer `https://accounts.google.com`).
    Google,
    /// Microsoft Entra ID (OIDC; `issuer` names the directory, default `common`).
    Microsoft,
    /// GitHub (OAuth 2.0 and its user API; no ID token).
    Github,
    /// Any OpenID Connect issuer, found by discovery.
    Oidc,
}

/// A provider's settings: the body of create and update.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// The kind.
    pub kind: ProviderKind,
    /// Shown on the login button (1–60 characters).
    pub name: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret (write-only; absent on update keeps the old one).
    /// Never serialized: `skip_serializing_if` that always skips, rather
    /// than `skip_serializing`, so the OpenAPI schema still lists it (as
    /// write-only).
    #[serde(default, skip_serializing_if = "never_written")]
    #[cfg_attr(feature = "openapi", schema(write_only))]
    pub client_secret: Option<String>,
    /// The issuer URL (`oidc`: required; `microsoft`:
    /// `https://login.microsoftonline.com/{tenant}/v2.0`, default `common`).
    #[serde(default)]
    pub issuer: Option<String>,
    /// Scopes to ask for (defaults per kind).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// On a first login, link to an existing user with the same verified
    /// email (default on).
    #[serde(default = "yes")]
    pub link_by_email: bool,
    /// On a first login without a match, create the user (default on).
    #[serde(default = "yes")]
    pub create_users: bool,
    /// Shown on the login page and usable (default on).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn never_written(_: &Option<String>) -> bool {
    true
}

fn yes() -> bool {
    true
}

/// A provider as listed (never its secret).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityProvider {
    /// Id (in the callback URL).
    pub id: String,
    /// The tenant.
    pub tenant_id: TenantId,
    /// Settings (without the secret).
    #[serde(flatten)]
    pub settings: ProviderSettings,
    /// Whether a client secret is stored.
    pub has_secret: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

fn bad(field: &'static str, message: &'static str) -> Error {
    Error::invalid_input(message).with_field(field)
}

impl ProviderSettings {
    /// Checks every rule; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(bad("name", "`name` must be 1 to 60 characters"));
        }
        if self.client_id.is_empty() || self.client_id.len() > 256 {
            return Err(bad("client_id", "`client_id` must be 1 to 256 characters"));
        }
        if self
            .client_secret
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.len() > 1024)
        {
            return Err(bad(
                "client_secret",
                "`client_secret` must be 1 to 1024 characters",
            ));
        }
        match (self.kind, self.issuer.as_deref()) {
            (ProviderKind::Oidc, None) => {
                return Err(bad(
                    "issuer",
                    "a generic OIDC provider needs its `issuer` URL",
                ));
            }
            (ProviderKind::Google | ProviderKind::Github, Some(_)) => {
                return Err(bad("issuer", "this kind of provider has a fixed issuer"));
            }
            _ => {}
        }
        if let Some(issuer) = &self.issuer {
            let ok = url::Url::parse(issuer).is_ok_and(|u| {
                matches!(u.scheme(), "https" | "http")
                    && u.query().is_none()
                    && u.fragment().is_none()
            });
            if !ok || issuer.len() > 500 {
                return Err(bad(
                    "issuer",
                    "`issuer` must be an http(s) URL without query or fragment",
                ));
            }
        }
        if self.scopes.len() > 20
            || self
                .scopes
                .iter()
                .any(|s| s.is_empty() || s.len() > 100 || s.contains(' '))
        {
            return Err(bad(
                "scopes",
                "at most 20 scopes of 1 to 100 characters without spaces",
            ));
        }
        Ok(())
    }

    /// The issuer in force (the kind's own for Google and Microsoft).
    pub fn issuer(&self) -> Option<String> {
        match self.kind {
            ProviderKind::Google => Some("https://accounts.google.com".into()),
            ProviderKind::Microsoft => Some(
                self.issuer
                    .clone()
                    .unwrap_or_else(|| "https://login.microsoftonline.com/common/v2.0".into()),
            ),
            ProviderKind::Github => None,
            ProviderKind::Oidc => self.issuer.clone(),
        }
    }

    /// The scopes to ask for.
    pub fn scopes(&self) -> Vec<String> {
        if !self.scopes.is_empty() {
            return self.scopes.clone();
        }
        let default: &[&str] = match self.kind {
            ProviderKind::Github => &["read:user", "user:email"],
            _ => &["openid", "email", "profile"],
        };
        default.iter().map(|s| (*s).to_owned()).collect()
    }
}

struct ProviderRow {
    provider: IdentityProvider,
    sealed: Option<Vec<u8>>,
}

impl FromRow for ProviderRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let settings: String = row.get("settings")?;
        let sealed: Option<Vec<u8>> = row.get("sealed_secret")?;
        Ok(ProviderRow {
            provider: IdentityProvider {
                id: row.get("id")?,
                tenant_id: row.parse("tenant_id")?,
                settings: serde_json::from_str(&settings)
                    .map_err(|_| Error::internal("stored provider settings are not JSON"))?,
                has_secret: sealed.is_some(),
                created_at: row.timestamp("created_at")?,
                updated_at: row.timestamp("updated_at")?,
            },
            sealed,
        })
    }
}

fn not_found(id: &str) -> Error {
    Error::not_found(format!(
        "identity provider `{}` not found",
        id.chars().take(64).collect::<String>()
    ))
}

/// Upstream identity providers of every tenant.
#[derive(Debug, Clone)]
pub struct IdentityProviders {
    db: Db,
    keys: Arc<dyn KeyManager>,
    clock: SharedClock,
}

impl IdentityProviders {
    /// Providers in `db`, secrets sealed with `keys`.
    pub fn new(db: Db, keys: Arc<dyn KeyManager>, clock: SharedClock) -> Self {
        IdentityProviders { db, keys, clock }
    }

    async fn row(tx: &mut Tx, tenant: &TenantId, id: &str) -> Result<Option<ProviderRow>> {
        query(
            "SELECT tenant_id, id, settings, sealed_secret, created_at, updated_at \
             FROM auth_identity_providers WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
    }

    async fn seal(&self, tenant: &TenantId, secret: Option<&str>) -> Result<Option<Vec<u8>>> {
        match secret {
            Some(s) => Ok(Some(
                self.keys.encrypt(tenant, PURPOSE, s.as_bytes()).await?,
            )),
            None => Ok(None),
        }
    }

    /// Registers a provider.
    pub async fn create(
        &self,
        tenant: &TenantId,
        settings: &ProviderSettings,
    ) -> Result<IdentityProvider> {
        settings.validate()?;
        let mut bytes = [0u8; 8];
        rand::fill(&mut bytes[..]);
        let id = format!("idp_{}", BASE32_NOPAD.encode(&bytes).to_lowercase());
        let sealed = self.seal(tenant, settings.client_secret.as_deref()).await?;
        let stored = ProviderSettings {
            client_secret: None,
            ..settings.clone()
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_identity_providers (tenant_id, id, settings, sealed_secret, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(tenant)
        .bind(id.as_str())
        .bind(serde_json::to_string(&stored)?)
        .bind(sealed)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        let row = Self::row(&mut tx, tenant, &id)
            .await?
            .ok_or_else(|| not_found(&id))?;
        tx.commit().await?;
        Ok(row.provider)
    }

    /// The provider `id`.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<Option<IdentityProvider>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row = Self::row(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(row.map(|r| r.provider))
    }

    /// The provider `id` and its client secret (for a login).
    pub async fn with_secret(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<(IdentityProvider, Option<Zeroizing<String>>)>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row = Self::row(&mut tx, tenant, id).await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let secret = match &row.sealed {
            Some(sealed) => {
                let plain = self.keys.decrypt(tenant, PURPOSE, sealed).await?;
                Some(Zeroizing::new(String::from_utf8(plain.to_vec()).map_err(
                    |_| Error::internal("a sealed client secret is not text"),
                )?))
            }
            None => None,
        };
        Ok(Some((row.provider, secret)))
    }

    /// The tenant's providers.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<IdentityProvider>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<ProviderRow> = query(
            "SELECT tenant_id, id, settings, sealed_secret, created_at, updated_at \
             FROM auth_identity_providers WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 100",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| r.provider).collect())
    }

    /// Replaces a provider's settings (a missing secret keeps the stored one).
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: &str,
        settings: &ProviderSettings,
    ) -> Result<IdentityProvider> {
        settings.validate()?;
        let sealed = self.seal(tenant, settings.client_secret.as_deref()).await?;
        let stored = ProviderSettings {
            client_secret: None,
            ..settings.clone()
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query(
            "UPDATE auth_identity_providers SET settings = $3, \
             sealed_secret = COALESCE($4, sealed_secret), updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(serde_json::to_string(&stored)?)
        .bind(sealed)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        let row = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok(row.provider)
    }

    /// Deletes a provider and its links (linked users stay).
    pub async fn delete(&self, tenant: &TenantId, id: &str) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        query("DELETE FROM auth_federated_links WHERE tenant_id = $1 AND provider_id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let n = query("DELETE FROM auth_identity_providers WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_secret_is_read_but_never_written() {
        let settings: ProviderSettings = serde_json::from_value(serde_json::json!({
            "kind": "github", "name": "GitHub", "client_id": "gh", "client_secret": "s3cret"
        }))
        .unwrap();
        assert_eq!(settings.client_secret.as_deref(), Some("s3cret"));
        let written = serde_json::to_string(&settings).unwrap();
        assert!(!written.contains("s3cret"), "{written}");
        assert!(!written.contains("client_secret"), "{written}");
    }
}
