//! [`AuditLog`]: a tenant's append-only audit log in SQL (SQLite or
//! PostgreSQL under row-level security) as an RFC 6962 Merkle tree, with
//! signed checkpoints, proofs and a full re-verification.
//!
//! Tables (migration 60_001): `audit_heads` (size, root and the tenant's
//! checkpoint key, sealed by the tenant's data key), `audit_entries` (the
//! leaf bytes by index, plus a `subject` column used only to find a
//! subject's entries — not hashed, cleared on erasure), `audit_nodes` (every
//! perfect subtree hash, so a proof reads O(log n) rows) and
//! `audit_checkpoints` (every checkpoint signed).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{AuditEvent, AuditSink, Db, Error, Result, SharedClock, TenantId, Timestamp, Tx};
use caas_crypto::KeyManager;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::checkpoint::{Checkpoint, verifier_key};
use super::entry::{AuditEntry, LEAF_VERSION, Leaf, Personal};
use super::merkle::{
    Frontier, Hash, MAX_SIZE, compact_range, consistency_ranges, fold, inclusion_ranges, leaf_hash,
    perfect_cover,
};

const KEY_PURPOSE: &str = "audit.checkpoint";
const SUBJECT_PURPOSE: &str = "audit";
/// Entries read per page when verifying or exporting.
const PAGE: i64 = 5_000;
/// The largest page of entries an API returns.
pub const MAX_ENTRIES_PAGE: u64 = 1_000;

/// A node's row key: `level · 2^48 + index`.
fn pos(level: u32, index: u64) -> i64 {
    // level ≤ 48 and index < 2^48 (MAX_SIZE), so this fits in 55 bits.
    ((i64::from(level)) << 48) | (index as i64 & ((1 << 48) - 1))
}

/// A signed checkpoint and the key that verifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The signed note text (C2SP checkpoint).
    pub note: String,
    /// The verifier key (`<name>+<hash>+<base64 key>`).
    pub verifier_key: String,
}

/// An inclusion proof: leaf `index` is in the tree of `size`.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older size.
    pub from: u64,
    /// The newer size.
    pub to: u64,
    /// The proof hashes, hex, in order.
    pub hashes: Vec<String>,
}

/// What [`AuditLog::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Entries re-hashed.
    pub size: u64,
    /// The recomputed root, hex.
    pub root: String,
    /// Signed checkpoints checked (signature and root).
    pub checkpoints: u64,
    /// Every problem found; empty when the log verifies.
    pub problems: Vec<String>,
}

impl Verification {
    /// Whether the log verified.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

struct HeadRow {
    size: i64,
    public_key: Vec<u8>,
}

impl FromRow for HeadRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(HeadRow {
            size: row.get("size")?,
            public_key: row.get("public_key")?,
        })
    }
}

struct NodeRow {
    pos: i64,
    hash: Vec<u8>,
}

impl FromRow for NodeRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(NodeRow {
            pos: row.get("pos")?,
            hash: row.get("hash")?,
        })
    }
}

struct EntryRow {
    idx: i64,
    entry: Vec<u8>,
    subject: Option<String>,
}

impl FromRow for EntryRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(EntryRow {
            idx: row.get("idx")?,
            entry: row.get("entry")?,
            subject: row.get("subject")?,
        })
    }
}

struct CheckpointRow {
    size: i64,
    root: Vec<u8>,
    note: String,
}

impl FromRow for CheckpointRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(CheckpointRow {
            size: row.get("size")?,
            root: row.get("root")?,
            note: row.get("note")?,
        })
    }
}

/// Node lookups per statement (the statement has this many `IN` slots).
const NODE_SLOTS: usize = 32;
const SELECT_NODES: &str = "SELECT pos, hash FROM audit_nodes WHERE tenant_id = $1 AND pos IN \
    ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
    $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)";

/// Rows per multi-row insert of nodes.
const NODE_ROWS: usize = 32;
const INSERT_NODES: &str = "INSERT INTO audit_nodes (tenant_id, pos, hash) VALUES ($1, $2, $3), ($1, $4, $5), ($1, \
    $6, $7), ($1, $8, $9), ($1, $10, $11), ($1, $12, $13), ($1, $14, $15), ($1, $16, \
    $17), ($1, $18, $19), ($1, $20, $21), ($1, $22, $23), ($1, $24, $25), ($1, $26, \
    $27), ($1, $28, $29), ($1, $30, $31), ($1, $32, $33), ($1, $34, $35), ($1, $36, \
    $37), ($1, $38, $39), ($1, $40, $41), ($1, $42, $43), ($1, $44, $45), ($1, $46, \
    $47), ($1, $48, $49), ($1, $50, $51), ($1, $52, $53), ($1, $54, $55), ($1, $56, \
    $57), ($1, $58, $59), ($1, $60, $61), ($1, $62, $63), ($1, $64, $65)";
/// Rows per multi-row insert of entries.
const ENTRY_ROWS: usize = 16;
const INSERT_ENTRIES: &str = "INSERT INTO audit_entries (tenant_id, idx, entry, subject, action, at) VALUES ($1, $2, \
    $3, $4, $5, $6), ($1, $7, $8, $9, $10, $11), ($1, $12, $13, $14, $15, $16), ($1, \
    $17, $18, $19, $20, $21), ($1, $22, $23, $24, $25, $26), ($1, $27, $28, $29, $30, \
    $31), ($1, $32, $33, $34, $35, $36), ($1, $37, $38, $39, $40, $41), ($1, $42, $43, \
    $44, $45, $46), ($1, $47, $48, $49, $50, $51), ($1, $52, $53, $54, $55, $56), ($1, \
    $57, $58, $59, $60, $61), ($1, $62, $63, $64, $65, $66), ($1, $67, $68, $69, $70, \
    $71), ($1, $72, $73, $74, $75, $76), ($1, $77, $78, $79, $80, $81)";

fn hash32(bytes: &[u8]) -> Result<Hash> {
    Hash::try_from(bytes).map_err(|_| Error::internal("a stored audit hash is not 32 bytes"))
}

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
            let empty = super::merkle::empty_root();
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

    /// Builds the leaf of `event`, sealing its personal part under its
    /// subject's key; returns the leaf bytes and the subject.
    async fn leaf(
        &self,
        tenant: &TenantId,
        event: &AuditEvent,
    ) -> Result<(Vec<u8>, Option<String>)> {
        let personal = Personal {
            actor: event.actor.clone(),
            target: event.target.clone(),
            details: event.details.clone(),
        };
        let subject = event.actor.clone().or_else(|| event.target.clone());
        let (clear, sealed) = match &subject {
            Some(subject) => {
                let plain = Zeroizing::new(serde_json::to_vec(&personal)?);
                let sealed = self
                    .keys
                    .encrypt_for_subject(tenant, subject, SUBJECT_PURPOSE, &plain)
                    .await?;
                (None, Some(B64.encode(sealed)))
            }
            None => (Some(personal), None),
        };
        let leaf = Leaf {
            v: LEAF_VERSION,
            id: event.id,
            at: event.at.as_millis(),
            action: event.action.clone(),
            outcome: event.outcome,
            request_id: event.request_id.clone(),
            clear,
            sealed,
        };
        Ok((leaf.to_bytes()?, subject))
    }

    /// Appends one event to `tenant`'s log; returns its index.
    pub async fn append(&self, tenant: &TenantId, event: &AuditEvent) -> Result<u64> {
        Ok(self
            .append_all(tenant, std::slice::from_ref(event))
            .await?
            .start)
    }

    /// Appends `events` in order in one transaction; returns their indices.
    pub async fn append_all(&self, tenant: &TenantId, events: &[AuditEvent]) -> Result<Range<u64>> {
        self.signer(tenant).await?;
        let mut leaves = Vec::with_capacity(events.len());
        for event in events {
            leaves.push(self.leaf(tenant, event).await?);
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        // Taking the head row first serialises appends of one tenant
        // (PostgreSQL row lock; SQLite has one writer).
        let Scalar(size): Scalar<i64> =
            query("UPDATE audit_heads SET updated_at = $2 WHERE tenant_id = $1 RETURNING size")
                .bind(tenant)
                .bind(self.clock.now())
                .fetch_one(&mut tx)
                .await?;
        let size = u64::try_from(size).map_err(|_| Error::internal("a negative log size"))?;
        if size + leaves.len() as u64 > MAX_SIZE {
            return Err(Error::unavailable("the audit log is full"));
        }
        let compact = fetch_nodes(&mut tx, tenant, &compact_range(size)).await?;
        let mut frontier = Frontier::from_compact(size, &compact)
            .ok_or_else(|| Error::internal("the audit log's compact range is incomplete"))?;
        let mut nodes = Vec::new();
        let mut rows = Vec::with_capacity(leaves.len());
        for ((bytes, subject), event) in leaves.iter().zip(events) {
            rows.push((frontier.size() as i64, bytes, subject, event));
            frontier.push(leaf_hash(bytes), |level, i, h| {
                nodes.push((pos(level, i), h))
            });
        }
        for chunk in rows.chunks(ENTRY_ROWS) {
            let sql = if chunk.len() == ENTRY_ROWS {
                INSERT_ENTRIES
            } else {
                "INSERT INTO audit_entries (tenant_id, idx, entry, subject, action, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            };
            for part in chunk.chunks(if chunk.len() == ENTRY_ROWS {
                ENTRY_ROWS
            } else {
                1
            }) {
                let mut q = query(sql).bind(tenant);
                for (index, bytes, subject, event) in part {
                    q = q
                        .bind(*index)
                        .bind(bytes.as_slice())
                        .bind(subject.as_deref())
                        .bind(event.action.as_str())
                        .bind(event.at);
                }
                q.execute(&mut tx).await?;
            }
        }
        for chunk in nodes.chunks(NODE_ROWS) {
            let sql = if chunk.len() == NODE_ROWS {
                INSERT_NODES
            } else {
                "INSERT INTO audit_nodes (tenant_id, pos, hash) VALUES ($1, $2, $3)"
            };
            for part in chunk.chunks(if chunk.len() == NODE_ROWS {
                NODE_ROWS
            } else {
                1
            }) {
                let mut q = query(sql).bind(tenant);
                for (p, h) in part {
                    q = q.bind(*p).bind(&h[..]);
                }
                q.execute(&mut tx).await?;
            }
        }
        let end = frontier.size();
        query("UPDATE audit_heads SET size = $2, root = $3 WHERE tenant_id = $1")
            .bind(tenant)
            .bind(end as i64)
            .bind(&frontier.root()[..])
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(size..end)
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
        Ok(fold(&hashes).unwrap_or_else(super::merkle::empty_root))
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

    async fn page(&self, tenant: &TenantId, from: u64, limit: i64) -> Result<Vec<EntryRow>> {
        let q = query(
            "SELECT idx, entry, subject FROM audit_entries WHERE tenant_id = $1 AND idx >= $2 \
             ORDER BY idx LIMIT $3",
        )
        .bind(tenant)
        .bind(from as i64)
        .bind(limit);
        crate::db::all(&self.db, tenant, q).await
    }

    async fn read(&self, tenant: &TenantId, row: &EntryRow) -> Result<AuditEntry> {
        let leaf = Leaf::from_bytes(&row.entry)?;
        let (personal, erased) = match (&leaf.clear, leaf.sealed_bytes()?, &row.subject) {
            (Some(p), _, _) => (Some(p.clone()), false),
            (None, Some(sealed), Some(subject)) => {
                match self
                    .keys
                    .decrypt_for_subject(tenant, subject, SUBJECT_PURPOSE, &sealed)
                    .await
                {
                    Ok(plain) => (Some(serde_json::from_slice::<Personal>(&plain)?), false),
                    Err(e) if e.code() == "erased" => (None, true),
                    Err(e) => return Err(e),
                }
            }
            _ => (None, true),
        };
        let personal = personal.unwrap_or(Personal {
            actor: None,
            target: None,
            details: serde_json::Value::Null,
        });
        Ok(AuditEntry {
            index: row.idx.max(0) as u64,
            id: leaf.id,
            at: Timestamp::from_millis(leaf.at),
            action: leaf.action,
            outcome: leaf.outcome,
            request_id: leaf.request_id,
            actor: personal.actor,
            target: personal.target,
            details: personal.details,
            erased,
            leaf_hash: hex::encode(leaf_hash(&row.entry)),
        })
    }

    /// Up to `limit` (at most [`MAX_ENTRIES_PAGE`]) entries from index
    /// `from`, personal parts opened where their subject is not erased.
    pub async fn entries(
        &self,
        tenant: &TenantId,
        from: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>> {
        let limit = limit.clamp(1, MAX_ENTRIES_PAGE) as i64;
        if from >= MAX_SIZE {
            return Ok(Vec::new());
        }
        let rows = self.page(tenant, from, limit).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.read(tenant, row).await?);
        }
        Ok(out)
    }

    /// Every entry whose subject is `subject`, opened.
    pub async fn subject_entries(
        &self,
        tenant: &TenantId,
        subject: &str,
    ) -> Result<Vec<AuditEntry>> {
        let q = query(
            "SELECT idx, entry, subject FROM audit_entries WHERE tenant_id = $1 AND subject = $2 \
             ORDER BY idx",
        )
        .bind(tenant)
        .bind(subject);
        let rows: Vec<EntryRow> = crate::db::all(&self.db, tenant, q).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.read(tenant, row).await?);
        }
        Ok(out)
    }

    /// Unlinks `subject` from its entries (the lookup column; the leaves
    /// and so the tree are unchanged — their personal part is shredded with
    /// the subject's key). Returns how many entries it unlinked.
    pub async fn forget_subject(&self, tenant: &TenantId, subject: &str) -> Result<u64> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n =
            query("UPDATE audit_entries SET subject = NULL WHERE tenant_id = $1 AND subject = $2")
                .bind(tenant)
                .bind(subject)
                .execute(&mut tx)
                .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Re-hashes every entry of `tenant`'s log from the stored leaf bytes
    /// and checks the result against the head, every stored node of the
    /// compact range, and every signed checkpoint (signature by
    /// `trusted_key` when given, else by the key the database holds).
    pub async fn verify(
        &self,
        tenant: &TenantId,
        trusted_key: Option<&str>,
    ) -> Result<Verification> {
        let mut problems = Vec::new();
        let head: Option<HeadRow> = crate::db::one(
            &self.db,
            tenant,
            query("SELECT size, public_key FROM audit_heads WHERE tenant_id = $1").bind(tenant),
        )
        .await?;
        if head.is_none() {
            // No log yet: nothing to check, and verifying creates nothing.
            if !self.page(tenant, 0, 1).await?.is_empty() {
                problems.push("entries are stored but the log's head is missing".into());
            }
            return Ok(Verification {
                size: 0,
                root: hex::encode(super::merkle::empty_root()),
                checkpoints: 0,
                problems,
            });
        }
        let vkey = match trusted_key {
            Some(k) => k.to_owned(),
            None => self.verifier_key(tenant).await?,
        };
        let head_size = head.as_ref().map_or(0, |h| h.size.max(0) as u64);
        if let (Some(h), Some(_)) = (&head, trusted_key) {
            let held = B64.encode([&[0x01][..], &h.public_key].concat());
            if !vkey.ends_with(&held) {
                problems.push(
                    "the database holds a different checkpoint key than the trusted one".into(),
                );
            }
        }
        let checkpoints: Vec<CheckpointRow> = crate::db::all(
            &self.db,
            tenant,
            query(
                "SELECT size, root, note FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY size",
            )
            .bind(tenant),
        )
        .await?;
        let mut pending = checkpoints.iter().peekable();
        let mut checked = 0u64;
        let mut frontier = Frontier::new();
        let mut check = |frontier: &Frontier, checked: &mut u64, problems: &mut Vec<String>| {
            while let Some(cp) = pending.next_if(|cp| cp.size.max(0) as u64 == frontier.size()) {
                *checked += 1;
                match super::checkpoint::verify_signed(&cp.note, &vkey) {
                    Ok(signed) if signed.root == frontier.root() && cp.root == frontier.root() => {}
                    Ok(_) => problems.push(format!(
                        "the signed checkpoint at size {} does not match the entries",
                        cp.size
                    )),
                    Err(e) => problems.push(format!("the checkpoint at size {}: {e}", cp.size)),
                }
            }
        };
        check(&frontier, &mut checked, &mut problems);
        loop {
            let rows = self.page(tenant, frontier.size(), PAGE).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                if row.idx.max(0) as u64 != frontier.size() {
                    problems.push(format!("entry {} is missing", frontier.size()));
                    return Ok(Verification {
                        size: frontier.size(),
                        root: hex::encode(frontier.root()),
                        checkpoints: checked,
                        problems,
                    });
                }
                frontier.push(leaf_hash(&row.entry), |_, _, _| {});
                check(&frontier, &mut checked, &mut problems);
            }
        }
        if frontier.size() != head_size {
            problems.push(format!(
                "the head says {head_size} entries; {} are stored",
                frontier.size()
            ));
        } else if head_size > 0 {
            let stored = self.root_at(tenant, head_size).await?;
            if stored != frontier.root() {
                problems.push("the stored tree nodes do not match the entries".into());
            }
        }
        let beyond: Vec<i64> = checkpoints
            .iter()
            .map(|cp| cp.size)
            .filter(|s| (*s).max(0) as u64 > frontier.size())
            .collect();
        for size in beyond {
            problems.push(format!(
                "a checkpoint at size {size} is beyond the {} entries stored",
                frontier.size()
            ));
        }
        Ok(Verification {
            size: frontier.size(),
            root: hex::encode(frontier.root()),
            checkpoints: checked,
            problems,
        })
    }
}

/// The hashes of perfect nodes, in the order asked.
async fn fetch_nodes(tx: &mut Tx, tenant: &TenantId, nodes: &[(u32, u64)]) -> Result<Vec<Hash>> {
    let mut found: HashMap<i64, Hash> = HashMap::with_capacity(nodes.len());
    for chunk in nodes.chunks(NODE_SLOTS) {
        let mut q = query(SELECT_NODES).bind(tenant);
        for slot in 0..NODE_SLOTS {
            q = q.bind(chunk.get(slot).map_or(-1, |(l, i)| pos(*l, *i)));
        }
        for row in q.fetch_all::<NodeRow>(&mut *tx).await? {
            found.insert(row.pos, hash32(&row.hash)?);
        }
    }
    nodes
        .iter()
        .map(|(l, i)| {
            found
                .get(&pos(*l, *i))
                .copied()
                .ok_or_else(|| Error::internal(format!("audit tree node ({l}, {i}) is missing")))
        })
        .collect()
}

/// The hash of each range, from its perfect cover.
async fn range_hashes(tx: &mut Tx, tenant: &TenantId, ranges: &[Range<u64>]) -> Result<Vec<Hash>> {
    let covers: Vec<Vec<(u32, u64)>> = ranges.iter().map(|r| perfect_cover(r.clone())).collect();
    let all: Vec<(u32, u64)> = covers.iter().flatten().copied().collect();
    let hashes = fetch_nodes(tx, tenant, &all).await?;
    let mut at = 0;
    let mut out = Vec::with_capacity(covers.len());
    for cover in &covers {
        let part = &hashes[at..at + cover.len()];
        at += cover.len();
        out.push(fold(part).ok_or_else(|| Error::internal("an empty proof range"))?);
    }
    Ok(out)
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
