//! [`AuditLog`]: a tenant's append-only audit log in SQL (SQLite or
//! PostgreSQL under row-level security) as an RFC 6962 Merkle tree. This
//! module holds the log, its checkpoint key and its head; `append` writes
//! entries, `nodes` reads and writes the stored tree, `entries` reads
//! entries back, `proofs` signs checkpoints and proves inclusion and
//! consistency, `verify` re-verifies the whole log.
//!
//! Tables (migration 60_001): `audit_heads` (size, root and the tenant's
//! checkpoint key, sealed by the tenant's data key), `audit_entries` (the
//! leaf bytes by index, plus a `subject` column used only to find a
//! subject's entries — not hashed, cleared on erasure), `audit_nodes` (every
//! perfect subtree hash, so a proof reads O(log n) rows) and
//! `audit_checkpoints` (every checkpoint signed).

mod append;
mod entries;
mod nodes;
mod proofs;
mod verify;

pub use self::proofs::{ConsistencyProof, InclusionProof, SignedCheckpoint};
pub use self::verify::Verification;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use caas_core::sql::{Scalar, query};
use caas_core::{AuditEvent, AuditSink, Db, Error, Result, SharedClock, TenantId};
use caas_crypto::KeyManager;
use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

const KEY_PURPOSE: &str = "audit.checkpoint";
const SUBJECT_PURPOSE: &str = "audit";
/// The largest page of entries an API returns.
pub const MAX_ENTRIES_PAGE: u64 = 1_000;

/// A tenant's audit log. Cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    db: Db,
    keys: Arc<dyn KeyManager>,
    clock: SharedClock,
    origin_prefix: Arc<str>,
    signers: Arc<Mutex<HashMap<TenantId, Arc<SigningKey>>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("origin_prefix", &self.origin_prefix)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// A log on `db` (migrated with caas-core's, caas-crypto's and this
    /// crate's migrations); checkpoint keys and personal data are sealed by
    /// `keys`. Origins are `caas/audit/<tenant id>`.
    pub fn new(db: Db, keys: Arc<dyn KeyManager>, clock: SharedClock) -> Self {
        Self::with_origin_prefix(db, keys, clock, "caas/audit/")
    }

    /// As [`new`](AuditLog::new), with origins `<prefix><tenant id>` (e.g.
    /// `auth.example.com/audit/`).
    pub fn with_origin_prefix(
        db: Db,
        keys: Arc<dyn KeyManager>,
        clock: SharedClock,
        prefix: &str,
    ) -> Self {
        AuditLog {
            db,
            keys,
            clock,
            origin_prefix: prefix.into(),
            signers: Arc::default(),
        }
    }

    /// The origin (checkpoint and key name) of `tenant`'s log.
    pub fn origin(&self, tenant: &TenantId) -> String {
        format!("{}{tenant}", self.origin_prefix)
    }

    fn cached_signer(&self, tenant: &TenantId) -> Result<Option<Arc<SigningKey>>> {
        let cache = self
            .signers
            .lock()
            .map_err(|_| Error::internal("the audit key cache is poisoned"))?;
        Ok(cache.get(tenant).cloned())
    }

    /// The tenant's checkpoint key; creates the log's head (and the key) on
    /// first use.
    async fn signer(&self, tenant: &TenantId) -> Result<Arc<SigningKey>> {
        if let Some(key) = self.cached_signer(tenant)? {
            return Ok(key);
        }
        let select = "SELECT signing_key FROM audit_heads WHERE tenant_id = $1";
        let mut row: Option<Scalar<Vec<u8>>> =
            crate::db::one(&self.db, tenant, query(select).bind(tenant)).await?;
        if row.is_none() {
            let mut seed = Zeroizing::new([0u8; 32]);
            rand::fill(&mut seed[..]);
            let key = SigningKey::from_bytes(&seed);
            let sealed = self.keys.encrypt(tenant, KEY_PURPOSE, &seed[..]).await?;
            let empty = crate::audit::merkle::empty_root();
            let mut tx = self.db.tenant_tx(tenant).await?;
            query(
                "INSERT INTO audit_heads (tenant_id, size, root, signing_key, public_key, updated_at) \
                 VALUES ($1, 0, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO NOTHING",
            )
            .bind(tenant)
            .bind(&empty[..])
            .bind(sealed)
            .bind(&key.verifying_key().as_bytes()[..])
            .bind(self.clock.now())
            .execute(&mut tx)
            .await?;
            tx.commit().await?;
            row = crate::db::one(&self.db, tenant, query(select).bind(tenant)).await?;
        }
        let sealed = row
            .ok_or_else(|| Error::internal("the audit log head vanished"))?
            .0;
        let seed = self.keys.decrypt(tenant, KEY_PURPOSE, &sealed).await?;
        // The seed is wiped when dropped, like the key made from it.
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            seed.as_slice()
                .try_into()
                .map_err(|_| Error::internal("a stored checkpoint key is not 32 bytes"))?,
        );
        let key = Arc::new(SigningKey::from_bytes(&seed));
        self.signers
            .lock()
            .map_err(|_| Error::internal("the audit key cache is poisoned"))?
            .insert(*tenant, key.clone());
        Ok(key)
    }

    /// The current size of `tenant`'s log (0 when it has none).
    pub async fn size(&self, tenant: &TenantId) -> Result<u64> {
        let row: Option<Scalar<i64>> = crate::db::one(
            &self.db,
            tenant,
            query("SELECT size FROM audit_heads WHERE tenant_id = $1").bind(tenant),
        )
        .await?;
        Ok(row.map_or(0, |Scalar(s)| s.max(0) as u64))
    }
}

#[async_trait]
impl AuditSink for AuditLog {
    async fn record(&self, event: AuditEvent) -> Result<()> {
        match &event.tenant {
            Some(tenant) => {
                let tenant = *tenant;
                self.append(&tenant, &event).await.map(|_| ())
            }
            None => {
                // Platform events (no tenant) have no tenant log; they go to
                // the operator's logs.
                tracing::info!(target: "caas::audit", action = %event.action, outcome = ?event.outcome, "platform audit event");
                Ok(())
            }
        }
    }
}
