//! The stored tree: every perfect subtree's hash in `audit_nodes`, keyed by
//! its position, read in batches (a proof or root reads O(log n) rows) and
//! written in multi-row inserts.

use std::collections::HashMap;
use std::ops::Range;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Error, Result, TenantId, Tx};

use crate::audit::merkle::{Hash, fold, perfect_cover};

/// A node's row key: `level · 2^48 + index`.
pub(super) fn pos(level: u32, index: u64) -> i64 {
    // level ≤ 48 and index < 2^48 (MAX_SIZE), so this fits in 55 bits.
    ((i64::from(level)) << 48) | (index as i64 & ((1 << 48) - 1))
}

pub(super) struct NodeRow {
    pub(super) pos: i64,
    pub(super) hash: Vec<u8>,
}

impl FromRow for NodeRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(NodeRow {
            pos: row.get("pos")?,
            hash: row.get("hash")?,
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

pub(super) fn hash32(bytes: &[u8]) -> Result<Hash> {
    Hash::try_from(bytes).map_err(|_| Error::internal("a stored audit hash is not 32 bytes"))
}

/// The hashes of perfect nodes, in the order asked.
pub(super) async fn fetch_nodes(
    tx: &mut Tx,
    tenant: &TenantId,
    nodes: &[(u32, u64)],
) -> Result<Vec<Hash>> {
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
pub(super) async fn range_hashes(
    tx: &mut Tx,
    tenant: &TenantId,
    ranges: &[Range<u64>],
) -> Result<Vec<Hash>> {
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

/// Stores `nodes` (position and hash), in multi-row inserts where they fill one.
pub(super) async fn insert_nodes(
    tx: &mut Tx,
    tenant: &TenantId,
    nodes: &[(i64, Hash)],
) -> Result<()> {
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
            q.execute(&mut *tx).await?;
        }
    }
    Ok(())
}
