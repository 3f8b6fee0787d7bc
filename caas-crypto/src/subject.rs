//! [`E2eSource`]: caas-crypto's personal data for data-subject requests —
//! the subject's devices (public identity and prekeys), one-time prekeys,
//! and mailbox messages waiting for them or sent by them. The subject's
//! own key (per-subject encryption) is shredded by the privacy service's
//! erasure, not here.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{
    DataCategory, DataSubjectSource, Db, ErasureMethod, ErasureOutcome, Result, Retained,
    SubjectExport, SubjectRef, Timestamp,
};
use serde::Serialize;

/// caas-crypto's data-subject source.
#[derive(Debug, Clone)]
pub struct E2eSource {
    db: Db,
}

impl E2eSource {
    /// The source over caas-crypto's tables in `db`.
    pub fn new(db: Db) -> Self {
        E2eSource { db }
    }
}

#[derive(Serialize)]
struct Device {
    device_id: String,
    identity_key: String,
    signed_prekey_id: i64,
    one_time_prekeys: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl FromRow for Device {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Device {
            device_id: row.get("device_id")?,
            identity_key: B64.encode(row.get::<Vec<u8>>("identity_key")?),
            signed_prekey_id: row.get("signed_prekey_id")?,
            one_time_prekeys: row.get("one_time_prekeys")?,
            created_at: row.timestamp("created_at")?,
            updated_at: row.timestamp("updated_at")?,
        })
    }
}

#[derive(Serialize)]
struct Message {
    id: String,
    recipient_user: String,
    recipient_device: String,
    sender_user: String,
    sender_device: String,
    /// End-to-end encrypted; the server cannot read it.
    ciphertext: String,
    created_at: Timestamp,
    expires_at: Timestamp,
}

impl FromRow for Message {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Message {
            id: row.get("id")?,
            recipient_user: row.get("recipient_user")?,
            recipient_device: row.get("recipient_device")?,
            sender_user: row.get("sender_user")?,
            sender_device: row.get("sender_device")?,
            ciphertext: B64.encode(row.get::<Vec<u8>>("ciphertext")?),
            created_at: row.timestamp("created_at")?,
            expires_at: row.timestamp("expires_at")?,
        })
    }
}

#[async_trait]
impl DataSubjectSource for E2eSource {
    fn name(&self) -> &str {
        "caas-crypto.e2e"
    }

    fn categories(&self) -> Vec<DataCategory> {
        let category =
            |name: &str, description: &str, fields: &[&str], retention: &str| DataCategory {
                name: name.into(),
                description: description.into(),
                fields: fields.iter().map(|f| (*f).to_owned()).collect(),
                retention: retention.into(),
            };
        vec![
            category(
                "e2e_devices",
                "the subject's end-to-end devices: public identity key, signed prekey, \
                 one-time prekeys left",
                &["device_id", "identity_key"],
                "until the device is reset or the subject erased",
            ),
            category(
                "e2e_messages",
                "end-to-end encrypted messages waiting for the subject's devices, and those \
                 the subject sent that wait for others (the server cannot read them)",
                &["sender_user", "recipient_user", "ciphertext"],
                "until delivered or expired",
            ),
        ]
    }

    fn tables(&self) -> Vec<&'static str> {
        vec!["e2e_devices", "e2e_one_time_prekeys", "e2e_messages"]
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let mut tx = self.db.tenant_tx(t).await?;
        let devices: Vec<Device> = query(
            "SELECT d.device_id AS device_id, d.identity_key AS identity_key, \
             d.signed_prekey_id AS signed_prekey_id, d.created_at AS created_at, \
             d.updated_at AS updated_at, (SELECT COUNT(*) FROM e2e_one_time_prekeys p \
             WHERE p.tenant_id = d.tenant_id AND p.user_id = d.user_id AND p.device_id = d.device_id) \
             AS one_time_prekeys FROM e2e_devices d WHERE d.tenant_id = $1 AND d.user_id = $2 \
             ORDER BY d.device_id",
        )
        .bind(t)
        .bind(s)
        .fetch_all(&mut tx)
        .await?;
        let inbox: Vec<Message> = query(
            "SELECT id, recipient_user, recipient_device, sender_user, sender_device, ciphertext, \
             created_at, expires_at FROM e2e_messages WHERE tenant_id = $1 AND recipient_user = $2 \
             ORDER BY id",
        )
        .bind(t)
        .bind(s)
        .fetch_all(&mut tx)
        .await?;
        let sent: Vec<Message> = query(
            "SELECT id, recipient_user, recipient_device, sender_user, sender_device, ciphertext, \
             created_at, expires_at FROM e2e_messages WHERE tenant_id = $1 AND sender_user = $2 \
             ORDER BY id",
        )
        .bind(t)
        .bind(s)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        let mut categories = BTreeMap::new();
        categories.insert("e2e_devices".to_owned(), serde_json::to_value(devices)?);
        categories.insert(
            "e2e_messages".to_owned(),
            serde_json::json!({ "inbox": inbox, "sent": sent }),
        );
        Ok(SubjectExport {
            source: self.name().to_owned(),
            categories,
        })
    }

    async fn erase(&self, subject: &SubjectRef, _method: ErasureMethod) -> Result<ErasureOutcome> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let mut tx = self.db.tenant_tx(t).await?;
        let mut records = 0;
        for sql in [
            "DELETE FROM e2e_one_time_prekeys WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM e2e_devices WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM e2e_messages WHERE tenant_id = $1 AND recipient_user = $2",
        ] {
            records += query(sql).bind(t).bind(s).execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(ErasureOutcome {
            records,
            retained: vec![Retained {
                category: "e2e_messages".into(),
                reason: "messages the subject sent that still wait for their recipients are the \
                         recipients' data too; they are deleted on delivery or expiry"
                    .into(),
            }],
        })
    }

    async fn restrict(&self, _subject: &SubjectRef, _restricted: bool) -> Result<()> {
        // Public keys and ciphertexts are only relayed, never processed.
        Ok(())
    }
}
