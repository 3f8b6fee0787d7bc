//! Appending: each event becomes a leaf (its personal part sealed under
//! its subject's key), and a batch of leaves is written with the perfect
//! subtrees it completes and the new head, in one transaction that
//! serialises a tenant's appends.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_core::sql::{Scalar, query};
use caas_core::{AuditEvent, Error, Result, TenantId};
use zeroize::Zeroizing;

use super::nodes::{fetch_nodes, insert_nodes, pos};
use super::{AuditLog, SUBJECT_PURPOSE};
use crate::audit::entry::{LEAF_VERSION, Leaf, Personal};
use crate::audit::merkle::{Frontier, MAX_SIZE, compact_range, leaf_hash};

/// Rows per multi-row insert of entries.
const ENTRY_ROWS: usize = 16;
const INSERT_ENTRIES: &str = "INSERT INTO audit_entries (tenant_id, idx, entry, subject, action, at) VALUES ($1, $2, \
    $3, $4, $5, $6), ($1, $7, $8, $9, $10, $11), ($1, $12, $13, $14, $15, $16), ($1, \
    $17, $18, $19, $20, $21), ($1, $22, $23, $24, $25, $26), ($1, $27, $28, $29, $30, \
    $31), ($1, $32, $33, $34, $35, $36), ($1, $37, $38, $39, $40, $41), ($1, $42, $43, \
    $44, $45, $46), ($1, $47, $48, $49, $50, $51), ($1, $52, $53, $54, $55, $56), ($1, \
    $57, $58, $59, $60, $61), ($1, $62, $63, $64, $65, $66), ($1, $67, $68, $69, $70, \
    $71), ($1, $72, $73, $74, $75, $76), ($1, $77, $78, $79, $80, $81)";

impl AuditLog {
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
        insert_nodes(&mut tx, tenant, &nodes).await?;
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
}
