//! [`ApiKeys`]: keys for SDK clients, `caas_<prefix>_<secret>` — the
//! 8-character prefix finds the key, the 256-bit secret is stored as a
//! SHA-256 hash and compared in constant time. Keys carry scopes and an
//! optional expiry, record when they were last used, and rotate (a new
//! secret and prefix; the old one stops working at once).

use std::time::Duration;

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{
    Db, Error, Principal, PrincipalKind, Result, SecretString, SharedClock, TenantId, Timestamp,
    Tx, new_id,
};
use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::opaque;

/// The prefix of every API key.
pub const PREFIX: &str = "caas_";
/// The most scopes a key may carry.
pub const MAX_SCOPES: usize = 50;
/// The longest lifetime a key may be given: ten years.
pub const MAX_LIFETIME: Duration = Duration::from_secs(10 * 366 * 24 * 3600);
/// `last_used_at` is written at most this often per key.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// An API key as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The public part of the key (`caas_<prefix>_…`).
    pub prefix: String,
    /// What it is for.
    pub name: String,
    /// The user who created it.
    pub owner_id: String,
    /// Scopes granted to it.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: Option<Timestamp>,
    /// When it last authenticated (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed (renamed, rescoped, rotated).
    pub updated_at: Timestamp,
}

impl ApiKey {
    /// The principal it authenticates as: a service `apikey:<id>` with its
    /// scopes, owned by its creator (whose rights cap it at every use).
    pub fn principal(&self) -> Principal {
        let mut p = Principal::new(
            format!("apikey:{}", self.id),
            Some(self.tenant_id),
            PrincipalKind::Service,
        )
        .owned_by(self.owner_id.clone());
        p.scopes = self.scopes.iter().cloned().collect();
        p.attributes.insert(
            "owner_id".into(),
            serde_json::Value::String(self.owner_id.clone()),
        );
        p
    }
}

/// What a new key (or a change) says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// What it is for (1–100 characters).
    pub name: String,
    /// Scopes (each 1–64 of a-z, 0-9, `:`, `.`, `_`, `-`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Seconds until it expires (1 to [`MAX_LIFETIME`]); never when absent.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl ApiKeyInput {
    /// Checks every field: invalid input naming the field.
    pub fn validate(&self) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(
                Error::invalid_input("`name` must be 1 to 100 characters").with_field("name")
            );
        }
        if self.scopes.len() > MAX_SCOPES {
            return Err(
                Error::invalid_input(format!("at most {MAX_SCOPES} scopes")).with_field("scopes")
            );
        }
        for s in &self.scopes {
            let ok = (1..=64).contains(&s.len())
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || matches!(b, b':' | b'.' | b'_' | b'-')
                });
            if !ok {
                return Err(Error::invalid_input(
                    "a scope is 1 to 64 of a-z, 0-9, `:`, `.`, `_`, `-`",
                )
                .with_field("scopes"));
            }
        }
        if let Some(secs) = self.expires_in {
            caas_core::bounded_duration("expires_in", secs, MAX_LIFETIME)?;
        }
        Ok(())
    }
}

struct KeyRow {
    key: ApiKey,
    secret_hash: String,
}

impl FromRow for KeyRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let scopes: String = row.get("scopes")?;
        let expires: Option<i64> = row.get("expires_at")?;
        let used: Option<i64> = row.get("last_used_at")?;
        Ok(KeyRow {
            key: ApiKey {
                id: row.parse("id")?,
                tenant_id: row.parse("tenant_id")?,
                prefix: row.get("prefix")?,
                name: row.get("name")?,
                owner_id: row.get("owner_id")?,
                scopes: serde_json::from_str(&scopes)
                    .map_err(|_| Error::internal("stored scopes are not JSON"))?,
                expires_at: expires.map(Timestamp::from_millis),
                last_used_at: used.map(Timestamp::from_millis),
                created_at: row.timestamp("created_at")?,
                updated_at: row.timestamp("updated_at")?,
            },
            secret_hash: row.get("secret_hash")?,
        })
    }
}

/// A fresh prefix (8 base32 characters) and secret (256 bits, base64url).
fn fresh() -> (String, String) {
    let mut p = [0u8; 5];
    rand::fill(&mut p[..]);
    (BASE32_NOPAD.encode(&p).to_lowercase(), opaque::token(""))
}

/// API keys of every tenant.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    db: Db,
    clock: SharedClock,
}

fn not_found(id: Uuid) -> Error {
    Error::not_found(format!("API key `{id}` not found"))
}

impl ApiKeys {
    /// Keys in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        ApiKeys { db, clock }
    }

    async fn row(tx: &mut Tx, tenant: &TenantId, id: Uuid) -> Result<Option<KeyRow>> {
        query(
            "SELECT tenant_id, id, prefix, secret_hash, name, owner_id, scopes, expires_at, last_used_at, \
             created_at, updated_at FROM auth_api_keys WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
    }

    /// Creates a key owned by `owner`; the full key is in the answer only.
    pub async fn create(
        &self,
        tenant: &TenantId,
        owner: &str,
        input: &ApiKeyInput,
    ) -> Result<(ApiKey, SecretString)> {
        input.validate()?;
        let now = self.clock.now();
        let id = new_id(self.clock.as_ref());
        let (prefix, secret) = fresh();
        let expires = input
            .expires_in
            .map(|s| now.saturating_add(Duration::from_secs(s)));
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_api_keys (tenant_id, id, prefix, secret_hash, name, owner_id, scopes, \
             expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(tenant)
        .bind(id)
        .bind(prefix.as_str())
        .bind(opaque::digest(&secret))
        .bind(input.name.trim())
        .bind(owner)
        .bind(serde_json::to_string(&input.scopes)?)
        .bind(expires)
        .bind(now)
        .execute(&mut tx)
        .await?;
        let key = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?
            .key;
        tx.commit().await?;
        let full = SecretString::new(format!("{PREFIX}{prefix}_{secret}"));
        Ok((key, full))
    }

    /// The key `id`.
    pub async fn get(&self, tenant: &TenantId, id: Uuid) -> Result<Option<ApiKey>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row = Self::row(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(row.map(|r| r.key))
    }

    /// The keys of `owner` (all of the tenant's with `None`), newest first.
    pub async fn list(&self, tenant: &TenantId, owner: Option<&str>) -> Result<Vec<ApiKey>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<KeyRow> = query(
            "SELECT tenant_id, id, prefix, secret_hash, name, owner_id, scopes, expires_at, last_used_at, \
             created_at, updated_at FROM auth_api_keys WHERE tenant_id = $1 AND ($2 = '' OR owner_id = $2) \
             ORDER BY id DESC LIMIT 1000",
        )
        .bind(tenant)
        .bind(owner.unwrap_or_default())
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| r.key).collect())
    }

    /// Renames and rescopes key `id` (its expiry is recomputed from now
    /// when `expires_in` is given).
    pub async fn update(&self, tenant: &TenantId, id: Uuid, input: &ApiKeyInput) -> Result<ApiKey> {
        input.validate()?;
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let current = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let expires = match input.expires_in {
            Some(s) => Some(now.saturating_add(Duration::from_secs(s))),
            None => current.key.expires_at,
        };
        query(
            "UPDATE auth_api_keys SET name = $3, scopes = $4, expires_at = $5, updated_at = $6 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(input.name.trim())
        .bind(serde_json::to_string(&input.scopes)?)
        .bind(expires)
        .bind(now)
        .execute(&mut tx)
        .await?;
        let key = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?
            .key;
        tx.commit().await?;
        Ok(key)
    }

    /// Gives key `id` a new prefix and secret; the old key stops working.
    pub async fn rotate(&self, tenant: &TenantId, id: Uuid) -> Result<(ApiKey, SecretString)> {
        let (prefix, secret) = fresh();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = query(
            "UPDATE auth_api_keys SET prefix = $3, secret_hash = $4, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(prefix.as_str())
        .bind(opaque::digest(&secret))
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        let key = Self::row(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| not_found(id))?
            .key;
        tx.commit().await?;
        Ok((key, SecretString::new(format!("{PREFIX}{prefix}_{secret}"))))
    }

    /// Deletes key `id`.
    pub async fn delete(&self, tenant: &TenantId, id: Uuid) -> Result<()> {
        let n = self
            .db
            .tenant_execute(
                tenant,
                query("DELETE FROM auth_api_keys WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id),
            )
            .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Deletes every key of `owner`; the ids of those deleted.
    pub async fn delete_owned(&self, tenant: &TenantId, owner: &str) -> Result<Vec<Uuid>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let ids: Vec<Scalar<String>> =
            query("DELETE FROM auth_api_keys WHERE tenant_id = $1 AND owner_id = $2 RETURNING id")
                .bind(tenant)
                .bind(owner)
                .fetch_all(&mut tx)
                .await?;
        tx.commit().await?;
        ids.iter()
            .map(|Scalar(id)| {
                id.parse()
                    .map_err(|_| Error::internal("a stored API key id is not a UUID"))
            })
            .collect()
    }

    /// Whether `presented` looks like an API key (for authenticators that
    /// must decline other credentials).
    pub fn looks_like_key(presented: &str) -> bool {
        presented
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .is_some_and(|(prefix, secret)| prefix.len() == 8 && secret.len() == 43)
    }

    /// The key `presented` stands for in `tenant`; 401 `invalid_token` for
    /// an unknown, wrong, or expired key (one message for all three).
    pub async fn authenticate(&self, tenant: &TenantId, presented: &str) -> Result<ApiKey> {
        let refused = || Error::invalid_token("the API key is unknown, wrong or expired");
        let (prefix, secret) = presented
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .filter(|(p, s)| p.len() == 8 && s.len() == 43)
            .ok_or_else(refused)?;
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row: Option<KeyRow> = query(
            "SELECT tenant_id, id, prefix, secret_hash, name, owner_id, scopes, expires_at, last_used_at, \
             created_at, updated_at FROM auth_api_keys WHERE tenant_id = $1 AND prefix = $2",
        )
        .bind(tenant)
        .bind(prefix)
        .fetch_optional(&mut tx)
        .await?;
        // An unknown prefix is compared against a dummy: one path, one timing.
        let same = opaque::matches(row.as_ref().map(|r| r.secret_hash.as_str()), secret);
        let Some(mut key) = row.map(|r| r.key).filter(|_| same) else {
            tx.commit().await?;
            return Err(refused());
        };
        if key.expires_at.is_some_and(|e| now >= e) {
            tx.commit().await?;
            return Err(refused());
        }
        if key
            .last_used_at
            .is_none_or(|t| now >= t.saturating_add(LAST_USED_EVERY))
        {
            query("UPDATE auth_api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(key.id)
                .bind(now)
                .execute(&mut tx)
                .await?;
            key.last_used_at = Some(now);
        }
        tx.commit().await?;
        Ok(key)
    }
}
