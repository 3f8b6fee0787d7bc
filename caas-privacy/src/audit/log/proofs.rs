//! What the log proves to others: signed checkpoints of its head (C2SP),
//! the root of any earlier tree, and inclusion and consistency proofs read
//! from the stored nodes.

use caas_core::sql::query;
use caas_core::{Error, Result, TenantId};
use serde::{Deserialize, Serialize};

use super::AuditLog;
use super::nodes::{NodeRow, fetch_nodes, hash32, range_hashes};
use crate::audit::checkpoint::{Checkpoint, verifier_key, verify_signed};
use crate::audit::merkle::{
    Hash, compact_range, consistency_ranges, fold, inclusion_ranges, verify_consistency,
};

/// A signed checkpoint and the key that verifies it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The signed note text (C2SP checkpoint).
    pub note: String,
    /// The verifier key (`<name>+<hash>+<base64 key>`).
    pub verifier_key: String,
}

impl SignedCheckpoint {
    /// The checkpoint its note signs, once the signature verifies with
    /// `trusted_key` (a verifier key obtained out of band) or, without one,
    /// with the key it carries (which proves integrity, not origin).
    pub fn verify(&self, trusted_key: Option<&str>) -> std::result::Result<Checkpoint, String> {
        let key = trusted_key.unwrap_or(&self.verifier_key);
        verify_signed(&self.note, key).map_err(|e| e.to_string())
    }
}

impl ConsistencyProof {
    /// Checks, offline, that the log of `new` extends the log of `old`: both
    /// checkpoints' signatures (see [`SignedCheckpoint::verify`]; one log,
    /// so one key), and this proof between their sizes and roots.
    pub fn verify(
        &self,
        old: &SignedCheckpoint,
        new: &SignedCheckpoint,
        trusted_key: Option<&str>,
    ) -> std::result::Result<(), String> {
        let key = trusted_key.unwrap_or(&old.verifier_key);
        let (a, b) = (old.verify(Some(key))?, new.verify(Some(key))?);
        // A reader looks at `checkpoint`: it must be what the note signs.
        if a != old.checkpoint || b != new.checkpoint {
            return Err("a checkpoint's fields differ from the note it carries".to_owned());
        }
        if (a.size, b.size) != (self.from, self.to) {
            return Err(format!(
                "the proof is from {} to {}; the checkpoints are of {} and {} entries",
                self.from, self.to, a.size, b.size
            ));
        }
        let hashes = self
            .hashes
            .iter()
            .map(|h| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(h, &mut out)
                    .map(|()| out)
                    .map_err(|_| "a proof hash is not 32 bytes of hex".to_owned())
            })
            .collect::<std::result::Result<Vec<Hash>, String>>()?;
        verify_consistency(a.size, b.size, &hashes, &a.root, &b.root).map_err(|e| e.to_string())
    }
}

/// An inclusion proof: leaf `index` is in the tree of `size`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The leaf index.
    pub index: u64,
    /// The tree size.
    pub size: u64,
    /// The leaf hash, hex.
    pub leaf_hash: String,
    /// The proof hashes, hex, in order.
    pub hashes: Vec<String>,
}

/// A consistency proof: the tree of `to` extends the tree of `from`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// The proof hashes, hex, in order.
    pub hashes: Vec<String>,
}

impl AuditLog {
    /// The root of the tree of `size` (up to the current size), from the
    /// stored nodes.
    pub async fn root_at(&self, tenant: &TenantId, size: u64) -> Result<Hash> {
        let current = self.size(tenant).await?;
        if size > current {
            return Err(Error::invalid_input(format!(
                "the log has {current} entries; there is no tree of size {size}"
            ))
            .with_field("size"));
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let hashes = fetch_nodes(&mut tx, tenant, &compact_range(size)).await?;
        tx.commit().await?;
        Ok(fold(&hashes).unwrap_or_else(crate::audit::merkle::empty_root))
    }

    /// Signs and records a checkpoint of the current tree.
    pub async fn checkpoint(&self, tenant: &TenantId) -> Result<SignedCheckpoint> {
        let key = self.signer(tenant).await?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let head: NodeRow =
            query("SELECT size AS pos, root AS hash FROM audit_heads WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&mut tx)
                .await?;
        let checkpoint = Checkpoint {
            origin: self.origin(tenant),
            size: head.pos.max(0) as u64,
            root: hash32(&head.hash)?,
        };
        let note = checkpoint.sign(&key);
        query(
            "INSERT INTO audit_checkpoints (tenant_id, size, root, note, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, size) DO NOTHING",
        )
        .bind(tenant)
        .bind(head.pos)
        .bind(&checkpoint.root[..])
        .bind(note.as_str())
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(SignedCheckpoint {
            verifier_key: verifier_key(&checkpoint.origin, &key.verifying_key()),
            checkpoint,
            note,
        })
    }

    /// The verifier key of `tenant`'s checkpoints.
    pub async fn verifier_key(&self, tenant: &TenantId) -> Result<String> {
        let key = self.signer(tenant).await?;
        Ok(verifier_key(&self.origin(tenant), &key.verifying_key()))
    }

    async fn check_size(&self, tenant: &TenantId, size: u64, field: &'static str) -> Result<()> {
        let current = self.size(tenant).await?;
        if size > current {
            return Err(Error::invalid_input(format!(
                "the log has {current} entries; `{field}` = {size} is beyond it"
            ))
            .with_field(field));
        }
        Ok(())
    }

    /// The proof that entry `index` is in the tree of `size`.
    pub async fn inclusion_proof(
        &self,
        tenant: &TenantId,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof> {
        if index >= size {
            return Err(Error::invalid_input(format!(
                "`index` ({index}) must be below `size` ({size})"
            ))
            .with_field("index"));
        }
        self.check_size(tenant, size, "size").await?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let leaf = fetch_nodes(&mut tx, tenant, &[(0, index)]).await?;
        let hashes = range_hashes(&mut tx, tenant, &inclusion_ranges(index, size)).await?;
        tx.commit().await?;
        Ok(InclusionProof {
            index,
            size,
            leaf_hash: hex::encode(leaf.first().copied().unwrap_or_default()),
            hashes: hashes.iter().map(hex::encode).collect(),
        })
    }

    /// The proof that the tree of `to` extends the tree of `from`.
    pub async fn consistency_proof(
        &self,
        tenant: &TenantId,
        from: u64,
        to: u64,
    ) -> Result<ConsistencyProof> {
        if from > to {
            return Err(Error::invalid_input(format!(
                "`from` ({from}) must not be above `to` ({to})"
            ))
            .with_field("from"));
        }
        if from == 0 && to > 0 {
            return Err(Error::invalid_input(
                "nothing can be proven consistent with the empty tree; `from` must be at least 1",
            )
            .with_field("from"));
        }
        self.check_size(tenant, to, "to").await?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let hashes = range_hashes(&mut tx, tenant, &consistency_ranges(from, to)).await?;
        tx.commit().await?;
        Ok(ConsistencyProof {
            from,
            to,
            hashes: hashes.iter().map(hex::encode).collect(),
        })
    }
}
