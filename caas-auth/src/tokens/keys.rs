//! [`SigningKeys`]: each tenant's token-signing keys in SQL, the private
//! halves sealed with the tenant's data key (purpose `auth.signing-keys`),
//! identified by `kid`, rotated on a schedule or on demand with an overlap
//! window, and published as a JWKS. Decoded keys are cached per tenant; an
//! unknown `kid` reloads the tenant's keys (at most once a second), so a key
//! made by another instance is found at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp, Tx};
use caas_crypto::KeyManager;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;
use zeroize::Zeroizing;

use super::material::{Private, SigningAlgorithm, decoding_key, ed25519_public};

const PURPOSE: &str = "auth.signing-keys";
/// How long a tenant's decoded keys are used before they are read again.
const CACHE_TTL: Duration = Duration::from_secs(30);
/// The least time between two reloads caused by unknown `kid`s.
const RELOAD_GAP: Duration = Duration::from_secs(1);

/// When keys rotate and how long a replaced one still verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// The algorithm of new keys (default EdDSA).
    pub algorithm: SigningAlgorithm,
    /// Rotate the signing key when it is this old (default 30 days).
    pub rotate_after: Duration,
    /// A replaced key keeps verifying this long: at least the longest
    /// access-token lifetime plus the leeway (set by the token service).
    pub overlap: Duration,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            algorithm: SigningAlgorithm::EdDSA,
            rotate_after: Duration::from_secs(30 * 24 * 3600),
            overlap: Duration::from_secs(3600),
        }
    }
}

/// A signing key as listed (public information only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub algorithm: SigningAlgorithm,
    /// Whether new tokens are signed with it.
    pub active: bool,
    /// Created.
    pub created_at: Timestamp,
    /// When it stopped signing.
    pub retired_at: Option<Timestamp>,
    /// When it stops verifying (`None` while active).
    pub verify_until: Option<Timestamp>,
}

struct KeyRow {
    info: KeyInfo,
    public_jwk: Option<String>,
    sealed: Vec<u8>,
}

impl FromRow for KeyRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let algorithm: String = row.get("algorithm")?;
        let retired: Option<i64> = row.get("retired_at")?;
        let until: Option<i64> = row.get("verify_until")?;
        Ok(KeyRow {
            info: KeyInfo {
                kid: row.get("kid")?,
                algorithm: SigningAlgorithm::parse(&algorithm)
                    .map_err(|_| Error::internal("a stored signing algorithm is unknown"))?,
                active: row.get("active")?,
                created_at: row.timestamp("created_at")?,
                retired_at: retired.map(Timestamp::from_millis),
                verify_until: until.map(Timestamp::from_millis),
            },
            public_jwk: row.get("public_jwk")?,
            sealed: row.get("sealed")?,
        })
    }
}

/// A key that verifies: its algorithm, the jsonwebtoken key, and the raw
/// Ed25519 public key (EdDSA keys, for PASETO).
pub(crate) type Verifying = (SigningAlgorithm, DecodingKey, Option<[u8; 32]>);

/// A tenant's decoded keys.
pub(crate) struct TenantKeys {
    /// The active key: kid, algorithm, signing key, created.
    pub(crate) signing: (String, SigningAlgorithm, EncodingKey, Timestamp),
    /// The active key's PASETO v4 secret (EdDSA keys only).
    pub(crate) paseto: Option<Zeroizing<Vec<u8>>>,
    /// Every key that verifies now, by kid.
    pub(crate) verifying: HashMap<String, Verifying>,
    loaded: Timestamp,
}

/// Token-signing keys of every tenant.
pub struct SigningKeys {
    db: Db,
    keys: Arc<dyn KeyManager>,
    clock: SharedClock,
    policy: KeyPolicy,
    cache: Mutex<HashMap<TenantId, Arc<TenantKeys>>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn kid() -> String {
    let mut bytes = [0u8; 12];
    rand::fill(&mut bytes[..]);
    B64.encode(bytes)
}

impl SigningKeys {
    /// Keys in `db`, sealed with `keys`.
    pub fn new(db: Db, keys: Arc<dyn KeyManager>, clock: SharedClock, policy: KeyPolicy) -> Self {
        SigningKeys {
            db,
            keys,
            clock,
            policy,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &KeyPolicy {
        &self.policy
    }

    fn cached(&self, tenant: &TenantId) -> Option<Arc<TenantKeys>> {
        self.cache.lock().ok()?.get(tenant).cloned()
    }

    /// Forgets the cached keys of `tenant` (after a rotation elsewhere).
    pub fn invalidate(&self, tenant: &TenantId) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(tenant);
        }
    }

    /// The tenant's keys for signing: creates the first key, rotates an
    /// expired one.
    pub(crate) async fn signer(&self, tenant: &TenantId) -> Result<Arc<TenantKeys>> {
        let now = self.clock.now();
        if let Some(keys) = self.cached(tenant)
            && now < keys.loaded.saturating_add(CACHE_TTL)
            && now < keys.signing.3.saturating_add(self.policy.rotate_after)
        {
            return Ok(keys);
        }
        let keys = self.load(tenant).await?;
        if now >= keys.signing.3.saturating_add(self.policy.rotate_after) {
            match self.rotate(tenant, None).await {
                Ok(_) => {}
                // Another instance rotated at the same moment: use its key.
                Err(e) if e.kind() == caas_core::ErrorKind::Conflict => {}
                Err(e) => return Err(e),
            }
            return self.load(tenant).await;
        }
        Ok(keys)
    }

    /// The verifying key `kid` of `tenant`, if it verifies now.
    pub(crate) async fn verifier(&self, tenant: &TenantId, kid: &str) -> Result<Option<Verifying>> {
        let now = self.clock.now();
        let keys = match self.cached(tenant) {
            Some(k) if now < k.loaded.saturating_add(CACHE_TTL) => k,
            _ => self.load(tenant).await?,
        };
        if let Some(found) = keys.verifying.get(kid) {
            return Ok(Some(found.clone()));
        }
        // Perhaps a key newer than the cache (made by another instance).
        if now >= keys.loaded.saturating_add(RELOAD_GAP) {
            let keys = self.load(tenant).await?;
            return Ok(keys.verifying.get(kid).cloned());
        }
        Ok(None)
    }

    async fn rows(&self, tx: &mut Tx, tenant: &TenantId) -> Result<Vec<KeyRow>> {
        query(
            "SELECT kid, algorithm, public_jwk, sealed, active, created_at, retired_at, verify_until \
             FROM auth_signing_keys WHERE tenant_id = $1 AND (active OR verify_until > $2) \
             ORDER BY created_at DESC",
        )
        .bind(tenant)
        .bind(self.clock.now())
        .fetch_all(&mut *tx)
        .await
    }

    async fn open(&self, tenant: &TenantId, row: &KeyRow) -> Result<Private> {
        let plain = self.keys.decrypt(tenant, PURPOSE, &row.sealed).await?;
        let kid = row.info.kid.as_bytes();
        let bytes = plain
            .strip_prefix(kid)
            .and_then(|rest| rest.strip_prefix(&[0u8]))
            .ok_or_else(|| Error::internal("a sealed signing key belongs to another kid"))?;
        Private::from_bytes(row.info.algorithm, bytes)
    }

    /// Reads, decodes and caches the tenant's keys, creating the first one.
    async fn load(&self, tenant: &TenantId) -> Result<Arc<TenantKeys>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let mut rows = self.rows(&mut tx, tenant).await?;
        tx.commit().await?;
        if !rows.iter().any(|r| r.info.active) {
            // First use: make the tenant's first key (a concurrent first use
            // loses the race on the unique index and reads the winner's).
            let created = self.create(tenant, self.policy.algorithm, None).await;
            let mut tx = self.db.tenant_tx(tenant).await?;
            rows = self.rows(&mut tx, tenant).await?;
            tx.commit().await?;
            if let Err(e) = created
                && !rows.iter().any(|r| r.info.active)
            {
                return Err(e);
            }
        }
        let mut signing = None;
        let mut paseto = None;
        let mut verifying = HashMap::new();
        for row in &rows {
            let (decoding, raw) = match &row.public_jwk {
                Some(jwk) => {
                    let jwk: serde_json::Value = serde_json::from_str(jwk)
                        .map_err(|_| Error::internal("a stored JWK is not JSON"))?;
                    (decoding_key(&jwk)?, ed25519_public(&jwk))
                }
                None => (
                    self.open(tenant, row).await?.decoding_key(&row.info.kid)?,
                    None,
                ),
            };
            verifying.insert(row.info.kid.clone(), (row.info.algorithm, decoding, raw));
            if row.info.active {
                let private = self.open(tenant, row).await?;
                paseto = private.paseto_secret();
                signing = Some((
                    row.info.kid.clone(),
                    row.info.algorithm,
                    private.encoding_key()?,
                    row.info.created_at,
                ));
            }
        }
        let signing = signing.ok_or_else(|| Error::unavailable("the tenant has no signing key"))?;
        let keys = Arc::new(TenantKeys {
            signing,
            paseto,
            verifying,
            loaded: self.clock.now(),
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(*tenant, keys.clone());
        }
        Ok(keys)
    }

    /// Inserts a new active key; `retire` names the key it replaces.
    async fn create(
        &self,
        tenant: &TenantId,
        algorithm: SigningAlgorithm,
        retire: Option<&str>,
    ) -> Result<KeyInfo> {
        let private = Private::generate(algorithm)?;
        let kid = kid();
        let jwk = private
            .public_jwk(&kid)?
            .map(|j| serde_json::to_string(&j))
            .transpose()?;
        let mut plain = Zeroizing::new(Vec::with_capacity(kid.len() + 33));
        plain.extend_from_slice(kid.as_bytes());
        plain.push(0);
        plain.extend_from_slice(&private.bytes[..]);
        let sealed = self.keys.encrypt(tenant, PURPOSE, &plain).await?;
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        if let Some(old) = retire {
            let n = query(
                "UPDATE auth_signing_keys SET active = FALSE, retired_at = $3, verify_until = $4 \
                 WHERE tenant_id = $1 AND kid = $2 AND active",
            )
            .bind(tenant)
            .bind(old)
            .bind(now)
            .bind(now.saturating_add(self.policy.overlap))
            .execute(&mut tx)
            .await?;
            if n == 0 {
                return Err(Error::conflict(
                    "the signing key was rotated concurrently; retry",
                ));
            }
        }
        query(
            "INSERT INTO auth_signing_keys (tenant_id, kid, algorithm, public_jwk, sealed, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6)",
        )
        .bind(tenant)
        .bind(kid.as_str())
        .bind(algorithm.as_str())
        .bind(jwk)
        .bind(sealed)
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.invalidate(tenant);
        Ok(KeyInfo {
            kid,
            algorithm,
            active: true,
            created_at: now,
            retired_at: None,
            verify_until: None,
        })
    }

    /// Makes a new key the signing key now (`algorithm` or the policy's);
    /// the old one keeps verifying for the overlap window.
    pub async fn rotate(
        &self,
        tenant: &TenantId,
        algorithm: Option<SigningAlgorithm>,
    ) -> Result<KeyInfo> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows = self.rows(&mut tx, tenant).await?;
        tx.commit().await?;
        let current = rows
            .iter()
            .find(|r| r.info.active)
            .map(|r| r.info.kid.clone());
        self.create(
            tenant,
            algorithm.unwrap_or(self.policy.algorithm),
            current.as_deref(),
        )
        .await
    }

    /// The tenant's keys that verify now, newest first.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<KeyInfo>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows = self.rows(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| r.info).collect())
    }

    /// The tenant's JWKS (RFC 7517): every public key that verifies now
    /// (HS256 secrets are never published). Creates the first key.
    pub async fn jwks(&self, tenant: &TenantId) -> Result<serde_json::Value> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let mut rows = self.rows(&mut tx, tenant).await?;
        tx.commit().await?;
        if rows.is_empty() {
            self.load(tenant).await?;
            let mut tx = self.db.tenant_tx(tenant).await?;
            rows = self.rows(&mut tx, tenant).await?;
            tx.commit().await?;
        }
        let keys = rows
            .iter()
            .filter_map(|r| r.public_jwk.as_deref())
            .map(serde_json::from_str)
            .collect::<std::result::Result<Vec<serde_json::Value>, _>>()
            .map_err(|_| Error::internal("a stored JWK is not JSON"))?;
        Ok(serde_json::json!({ "keys": keys }))
    }
}

#[async_trait::async_trait]
impl caas_core::TenantProvisioner for SigningKeys {
    fn name(&self) -> &'static str {
        "signing_keys"
    }

    /// Creates the tenant's first signing key unless it has one.
    async fn provision(&self, tenant: &caas_core::Tenant) -> Result<()> {
        self.load(&tenant.id).await.map(|_| ())
    }
}
