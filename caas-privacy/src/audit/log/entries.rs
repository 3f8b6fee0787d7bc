//! Reading entries back: by index or by subject, their personal part
//! opened unless the subject was erased; and unlinking a subject from its
//! entries, which leaves the tree untouched.

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Result, TenantId, Timestamp};

use super::{AuditLog, MAX_ENTRIES_PAGE, SUBJECT_PURPOSE};
use crate::audit::entry::{AuditEntry, Leaf, Personal};
use crate::audit::merkle::{MAX_SIZE, leaf_hash};

pub(super) struct EntryRow {
    pub(super) idx: i64,
    pub(super) entry: Vec<u8>,
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

impl AuditLog {
    pub(super) async fn page(
        &self,
        tenant: &TenantId,
        from: u64,
        limit: i64,
    ) -> Result<Vec<EntryRow>> {
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
        let n = self
            .db
            .tenant_execute(
                tenant,
                query(
                    "UPDATE audit_entries SET subject = NULL WHERE tenant_id = $1 AND subject = $2",
                )
                .bind(tenant)
                .bind(subject),
            )
            .await?;
        Ok(n)
    }
}
