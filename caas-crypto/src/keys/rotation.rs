//! Tenant-key rotation: a new version becomes current at once; the data and
//! subject keys wrapped by older versions are re-wrapped afterwards in small
//! batches ([`KeyManager::rewrap`](super::KeyManager::rewrap)), so a rotation
//! never holds one long transaction over a tenant's keys. Until then the old
//! versions keep unwrapping what they wrap.

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Envelope, Result, TenantId, Timestamp, Tx};
use serde::Serialize;

use super::SqlKeyManager;
use super::envelope::{seal, unwrap_key};
use super::local::Key;
use crate::Error;
use crate::e2e::random32;

/// One rotation of a tenant key, as the history records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRotation {
    /// The version that was current before.
    pub from_version: u32,
    /// The version made current.
    pub to_version: u32,
    /// When.
    pub rotated_at: Timestamp,
    /// Data and subject keys re-wrapped under `to_version` so far.
    pub rewrapped: u64,
    /// When the last key was re-wrapped (`None` while some remain).
    pub completed_at: Option<Timestamp>,
}

impl FromRow for KeyRotation {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let completed: Option<i64> = row.get("completed_at")?;
        Ok(KeyRotation {
            from_version: version_u32(row.get("from_version")?)?,
            to_version: version_u32(row.get("to_version")?)?,
            rotated_at: row.timestamp("rotated_at")?,
            rewrapped: u64::try_from(row.get::<i64>("rewrapped")?).unwrap_or(0),
            completed_at: completed.map(Timestamp::from_millis),
        })
    }
}

/// What one re-wrapping step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rewrap {
    /// Keys re-wrapped by this step.
    pub rewrapped: u64,
    /// Keys still wrapped by an older tenant-key version.
    pub remaining: u64,
}

fn version_u32(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| caas_core::Error::internal("a stored key version is out of range"))
}

/// A data or subject key wrapped by an older tenant-key version.
struct Pending {
    /// `purpose` of a data key, `key_id` of a subject key.
    name: String,
    /// The data key's version (0 for subject keys).
    version: i64,
    kek_version: i64,
    wrapped: Vec<u8>,
}

impl FromRow for Pending {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Pending {
            name: row.get("name")?,
            version: row.get("version")?,
            kek_version: row.get("kek_version")?,
            wrapped: row.get("wrapped")?,
        })
    }
}

impl SqlKeyManager {
    pub(super) async fn rotate(&self, tenant: &TenantId) -> Result<u32> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let (old_version, _) = self.current_kek(&mut tx, tenant).await?;
        let version = old_version + 1;
        let key = random32();
        let wrapped = seal(
            self.master.bytes(),
            &Self::tenant_key_aad(tenant, version),
            &key[..],
        )?;
        let now = self.clock.now();
        query("UPDATE crypto_tenant_keys SET active = FALSE WHERE tenant_id = $1 AND active")
            .bind(tenant)
            .execute(&mut tx)
            .await?;
        // A concurrent rotation inserts the same version: one of the two
        // fails with a conflict and changes nothing.
        query(
            "INSERT INTO crypto_tenant_keys (tenant_id, version, wrapped, active, created_at) \
             VALUES ($1, $2, $3, TRUE, $4)",
        )
        .bind(tenant)
        .bind(version)
        .bind(wrapped)
        .bind(now)
        .execute(&mut tx)
        .await
        .map_err(|e| {
            if e.kind() == caas_core::ErrorKind::Conflict {
                caas_core::Error::conflict("another rotation of this tenant key is under way")
            } else {
                e
            }
        })?;
        query(
            "INSERT INTO crypto_key_rotations (tenant_id, to_version, from_version, rewrapped, rotated_at) \
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(tenant)
        .bind(version)
        .bind(old_version)
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.announce(
            tenant,
            "keys.rotated",
            serde_json::json!({ "from_version": old_version, "to_version": version }),
        )
        .await;
        version_u32(version)
    }

    pub(super) async fn rewrap_batch(&self, tenant: &TenantId, batch: usize) -> Result<Rewrap> {
        let batch = i64::try_from(batch.clamp(1, 10_000)).unwrap_or(10_000);
        let mut tx = self.db.tenant_tx(tenant).await?;
        let (current, kek) = self.current_kek(&mut tx, tenant).await?;
        let mut old_keks = std::collections::BTreeMap::new();
        let data: Vec<Pending> = query(
            "SELECT purpose AS name, version, tenant_key_version AS kek_version, wrapped \
             FROM crypto_data_keys WHERE tenant_id = $1 AND tenant_key_version <> $2 \
             ORDER BY purpose, version LIMIT $3",
        )
        .bind(tenant)
        .bind(current)
        .bind(batch)
        .fetch_all(&mut tx)
        .await?;
        let mut done: u64 = 0;
        for row in &data {
            let old = self
                .old_kek(&mut tx, tenant, row.kek_version, &mut old_keks)
                .await?;
            let key = unwrap_key(
                old,
                &Self::data_key_aad(tenant, &row.name, row.version, row.kek_version),
                &row.wrapped,
            )?;
            let again = seal(
                &kek,
                &Self::data_key_aad(tenant, &row.name, row.version, current),
                &key[..],
            )?;
            // `tenant_key_version = old`: a concurrent step that got there
            // first wins; this one then changes nothing and counts nothing.
            done += query(
                "UPDATE crypto_data_keys SET wrapped = $4, tenant_key_version = $5 \
                 WHERE tenant_id = $1 AND purpose = $2 AND version = $3 AND tenant_key_version = $6",
            )
            .bind(tenant)
            .bind(row.name.as_str())
            .bind(row.version)
            .bind(again)
            .bind(current)
            .bind(row.kek_version)
            .execute(&mut tx)
            .await?;
        }
        let left = batch - i64::try_from(data.len()).unwrap_or(batch);
        if left > 0 {
            let subjects: Vec<Pending> = query(
                "SELECT key_id AS name, CAST(0 AS BIGINT) AS version, tenant_key_version AS kek_version, wrapped \
                 FROM crypto_subject_keys WHERE tenant_id = $1 AND tenant_key_version <> $2 \
                 ORDER BY key_id LIMIT $3",
            )
            .bind(tenant)
            .bind(current)
            .bind(left)
            .fetch_all(&mut tx)
            .await?;
            for row in &subjects {
                let old = self
                    .old_kek(&mut tx, tenant, row.kek_version, &mut old_keks)
                    .await?;
                let key = unwrap_key(
                    old,
                    &Self::subject_key_aad(tenant, &row.name, row.kek_version),
                    &row.wrapped,
                )?;
                let again = seal(
                    &kek,
                    &Self::subject_key_aad(tenant, &row.name, current),
                    &key[..],
                )?;
                done += query(
                    "UPDATE crypto_subject_keys SET wrapped = $3, tenant_key_version = $4 \
                     WHERE tenant_id = $1 AND key_id = $2 AND tenant_key_version = $5",
                )
                .bind(tenant)
                .bind(row.name.as_str())
                .bind(again)
                .bind(current)
                .bind(row.kek_version)
                .execute(&mut tx)
                .await?;
            }
        }
        let Scalar(remaining): Scalar<i64> = query(
            "SELECT (SELECT COUNT(*) FROM crypto_data_keys WHERE tenant_id = $1 AND tenant_key_version <> $2) \
             + (SELECT COUNT(*) FROM crypto_subject_keys WHERE tenant_id = $1 AND tenant_key_version <> $2)",
        )
        .bind(tenant)
        .bind(current)
        .fetch_one(&mut tx)
        .await?;
        let done_i64 = i64::try_from(done).unwrap_or(i64::MAX);
        query(
            "UPDATE crypto_key_rotations SET rewrapped = rewrapped + $3 \
             WHERE tenant_id = $1 AND to_version = $2",
        )
        .bind(tenant)
        .bind(current)
        .bind(done_i64)
        .execute(&mut tx)
        .await?;
        let completed = if remaining == 0 {
            query(
                // Earlier rotations that were overtaken complete with this one.
                "UPDATE crypto_key_rotations SET completed_at = $3 \
                 WHERE tenant_id = $1 AND to_version <= $2 AND completed_at IS NULL",
            )
            .bind(tenant)
            .bind(current)
            .bind(self.clock.now())
            .execute(&mut tx)
            .await?
                > 0
        } else {
            false
        };
        tx.commit().await?;
        if completed {
            self.announce(
                tenant,
                "keys.rewrapped",
                serde_json::json!({ "version": current }),
            )
            .await;
        }
        Ok(Rewrap {
            rewrapped: done,
            remaining: u64::try_from(remaining).unwrap_or(0),
        })
    }

    /// Each old tenant-key version is read and unwrapped once per step.
    async fn old_kek<'a>(
        &self,
        tx: &mut Tx,
        tenant: &TenantId,
        version: i64,
        cache: &'a mut std::collections::BTreeMap<i64, Key>,
    ) -> Result<&'a Key> {
        if let std::collections::btree_map::Entry::Vacant(slot) = cache.entry(version) {
            slot.insert(self.kek(tx, tenant, version).await?);
        }
        Ok(cache.get(&version).ok_or(Error::UnknownKey)?)
    }

    pub(super) async fn rotation_history(&self, tenant: &TenantId) -> Result<Vec<KeyRotation>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows = query(
            "SELECT from_version, to_version, rotated_at, rewrapped, completed_at \
             FROM crypto_key_rotations WHERE tenant_id = $1 ORDER BY to_version DESC",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn announce(&self, tenant: &TenantId, event_type: &str, data: serde_json::Value) {
        if let Some(bus) = &self.events {
            Envelope::new(self.clock.as_ref(), *tenant, event_type, data)
                .publish_or_log(bus.as_ref())
                .await;
        }
    }
}
