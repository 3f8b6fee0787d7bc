//! caas-privacy's own personal data as data-subject sources: consent
//! records and requests ([`PrivacyRecordsSource`]), and the audit log's
//! entries about a subject ([`AuditLogSource`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{
    DataCategory, DataSubjectSource, ErasureMethod, ErasureOutcome, Result, Retained,
    SubjectExport, SubjectRef, TenantId, Timestamp,
};

use crate::audit::AuditLog;
use crate::consent::Consents;
use crate::requests;

/// Consent records, their history, and the subject's requests.
#[derive(Debug, Clone)]
pub struct PrivacyRecordsSource {
    // The consent store, not the request store: requests fan out to the
    // registry that holds this source.
    consents: Consents,
}

impl PrivacyRecordsSource {
    /// The records in `consents`'s database.
    pub fn new(consents: Consents) -> Self {
        PrivacyRecordsSource { consents }
    }
}

#[async_trait]
impl DataSubjectSource for PrivacyRecordsSource {
    fn name(&self) -> &str {
        "caas-privacy.records"
    }

    fn categories(&self) -> Vec<DataCategory> {
        vec![
            DataCategory {
                name: "consent".into(),
                description: "consent records (ISO/IEC TS 27560) and their history: purposes, \
                              notice versions, when and how consent was given or withdrawn"
                    .into(),
                fields: vec!["subject".into(), "purpose".into(), "events".into()],
                retention: "until erasure; withdrawn records per the retention policy".into(),
            },
            DataCategory {
                name: "privacy_requests".into(),
                description: "the subject's data-subject requests and their outcome".into(),
                fields: vec!["subject".into(), "kind".into(), "details".into()],
                retention: "kept without the subject once erased, as proof of compliance".into(),
            },
        ]
    }

    /// Its own tables, and the subject keys every erasure shreds.
    fn tables(&self) -> Vec<&'static str> {
        vec![
            "privacy_consents",
            "privacy_consent_events",
            "privacy_requests",
            "privacy_holds",
            "crypto_subject_keys",
            "crypto_shredded_keys",
        ]
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let mut categories = BTreeMap::new();
        let consents = self.consents.list(t, s).await?;
        let history = self.consents.history(t, s).await?;
        categories.insert(
            "consent".to_owned(),
            serde_json::json!({ "records": consents, "history": history }),
        );
        let requests = requests::of_subject(self.consents.db(), t, s).await?;
        categories.insert(
            "privacy_requests".to_owned(),
            serde_json::to_value(requests)?,
        );
        Ok(SubjectExport {
            source: self.name().to_owned(),
            categories,
        })
    }

    async fn erase(&self, subject: &SubjectRef, _method: ErasureMethod) -> Result<ErasureOutcome> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let mut tx = self.consents.db().tenant_tx(t).await?;
        let mut records = 0;
        for sql in [
            "DELETE FROM privacy_consents WHERE tenant_id = $1 AND subject = $2",
            "DELETE FROM privacy_consent_events WHERE tenant_id = $1 AND subject = $2",
            // Requests stay as proof of compliance, without the subject or
            // their export.
            "UPDATE privacy_requests SET subject = NULL, export = NULL WHERE tenant_id = $1 AND subject = $2",
        ] {
            records += query(sql).bind(t).bind(s).execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(ErasureOutcome {
            records,
            retained: vec![Retained {
                category: "legal_holds".into(),
                reason: "legal holds naming the subject are the controller's records of a legal \
                         obligation (Art. 17(3)(b), (e))"
                    .into(),
            }],
        })
    }

    async fn restrict(&self, _subject: &SubjectRef, _restricted: bool) -> Result<()> {
        // Consent records and requests are only used to answer the subject.
        Ok(())
    }

    /// `consent`: withdrawn and expired records (and their history) whose
    /// last change is older than `before`; given consent is never expired
    /// by retention.
    async fn expire(
        &self,
        tenant: &TenantId,
        category: &str,
        before: Timestamp,
        _method: ErasureMethod,
        keep: &[String],
    ) -> Result<Option<u64>> {
        if category != "consent" {
            return Ok(None);
        }
        let mut tx = self.consents.db().tenant_tx(tenant).await?;
        let rows: Vec<OldRecord> = query(
            "SELECT id, subject FROM privacy_consents WHERE tenant_id = $1 AND state <> 'given' \
             AND updated_at < $2",
        )
        .bind(tenant)
        .bind(before)
        .fetch_all(&mut tx)
        .await?;
        let mut n = 0;
        for row in rows.iter().filter(|r| !keep.contains(&r.subject)) {
            for sql in [
                "DELETE FROM privacy_consents WHERE tenant_id = $1 AND id = $2",
                "DELETE FROM privacy_consent_events WHERE tenant_id = $1 AND record_id = $2",
            ] {
                query(sql)
                    .bind(tenant)
                    .bind(row.id.as_str())
                    .execute(&mut tx)
                    .await?;
            }
            n += 1;
        }
        tx.commit().await?;
        Ok(Some(n))
    }
}

struct OldRecord {
    id: String,
    subject: String,
}

impl FromRow for OldRecord {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(OldRecord {
            id: row.get("id")?,
            subject: row.get("subject")?,
        })
    }
}

/// The audit log's entries about a subject: exported opened; erased by
/// unlinking them (their personal part is sealed under the subject's key,
/// which the erasure shreds — the tree is untouched).
#[derive(Debug, Clone)]
pub struct AuditLogSource(pub AuditLog);

#[async_trait]
impl DataSubjectSource for AuditLogSource {
    fn name(&self) -> &str {
        "caas-privacy.audit"
    }

    fn categories(&self) -> Vec<DataCategory> {
        vec![DataCategory {
            name: "security_events".into(),
            description: "security events the subject took part in (logins, MFA, revocations, \
                          authorization denials, privacy requests), kept to protect the service"
                .into(),
            fields: vec!["actor".into(), "target".into(), "details".into()],
            retention: "append-only; personal parts are crypto-shredded on erasure".into(),
        }]
    }

    fn tables(&self) -> Vec<&'static str> {
        vec!["audit_entries"]
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let entries = self
            .0
            .subject_entries(&subject.tenant, &subject.subject)
            .await?;
        let mut categories = BTreeMap::new();
        categories.insert("security_events".to_owned(), serde_json::to_value(entries)?);
        Ok(SubjectExport {
            source: self.name().to_owned(),
            categories,
        })
    }

    async fn erase(&self, subject: &SubjectRef, _method: ErasureMethod) -> Result<ErasureOutcome> {
        let records = self
            .0
            .forget_subject(&subject.tenant, &subject.subject)
            .await?;
        Ok(ErasureOutcome {
            records,
            retained: Vec::new(),
        })
    }

    async fn restrict(&self, _subject: &SubjectRef, _restricted: bool) -> Result<()> {
        Ok(())
    }
}
