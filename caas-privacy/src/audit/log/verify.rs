//! Re-verification: every entry re-hashed from its stored bytes and checked
//! against the head, the stored nodes and every signed checkpoint.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{Result, TenantId};
use serde::{Deserialize, Serialize};

use super::AuditLog;
use crate::audit::merkle::{Frontier, leaf_hash};

/// Entries read per page when verifying or exporting.
const PAGE: i64 = 5_000;

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

impl AuditLog {
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
                root: hex::encode(crate::audit::merkle::empty_root()),
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
                match crate::audit::checkpoint::verify_signed(&cp.note, &vkey) {
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
