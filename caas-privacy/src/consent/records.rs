//! Consent records (ISO/IEC TS 27560): record id, subject, notice (version,
//! language), purpose, PII categories, controller, jurisdiction, method,
//! consent type, validity, state (`given`, `withdrawn`, `expired`) and the
//! append-only event history. A given consent past its validity is marked
//! expired when next read.

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Error, Result, TenantId, Timestamp, new_id};
use serde::{Deserialize, Serialize};

use super::Consents;
use crate::check::{check_subject, check_text};
use crate::db;

/// The state of a consent record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// Given and valid.
    Given,
    /// Withdrawn by the subject.
    Withdrawn,
    /// Past its validity.
    Expired,
}

impl ConsentState {
    fn as_str(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Withdrawn => "withdrawn",
            ConsentState::Expired => "expired",
        }
    }
}

/// One event in a consent record's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentEvent {
    /// `given`, `withdrawn` or `expired`.
    pub state: ConsentState,
    /// When.
    pub at: Timestamp,
    /// How (e.g. `web-form`, `api`, `expiry`).
    pub method: String,
    /// The notice version it refers to.
    pub notice_version: String,
}

/// A consent record (ISO/IEC TS 27560 fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentRecord {
    /// Record id (UUIDv7).
    pub record_id: String,
    /// The data subject.
    pub subject: String,
    /// The purpose id.
    pub purpose: String,
    /// The version of the notice (privacy policy) shown.
    pub notice_version: String,
    /// The notice's language (BCP 47, e.g. `en`, `de-CH`).
    pub language: String,
    /// PII categories covered (from the purpose).
    pub pii_categories: Vec<String>,
    /// The controller.
    pub controller: String,
    /// The jurisdiction (e.g. `EU`).
    pub jurisdiction: String,
    /// How consent was collected (e.g. `web-form`).
    pub method: String,
    /// `explicit` or `expressed`.
    pub consent_type: String,
    /// The current state.
    pub state: ConsentState,
    /// When it was (last) given.
    pub given_at: Timestamp,
    /// Valid until (none: until withdrawn).
    pub valid_until: Option<Timestamp>,
    /// Every event, oldest first.
    pub events: Vec<ConsentEvent>,
}

/// Giving consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GiveConsent {
    /// The purpose id (registered).
    pub purpose: String,
    /// The notice version shown (1 to 64 characters).
    pub notice_version: String,
    /// The notice language (BCP 47), default `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// How it was collected, default `api`.
    #[serde(default = "default_method")]
    pub method: String,
    /// The controller, default the tenant.
    #[serde(default)]
    pub controller: Option<String>,
    /// The jurisdiction, default `EU`.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// `explicit` (default) or `expressed`.
    #[serde(default)]
    pub consent_type: Option<String>,
    /// Days the consent is valid (none: until withdrawn; 1 to 3650, about
    /// ten years: [`GiveConsent::MAX_VALID_DAYS`]).
    #[serde(default)]
    pub valid_days: Option<u32>,
}

impl GiveConsent {
    /// The most days a consent may be given for (about ten years).
    pub const MAX_VALID_DAYS: u32 = 3_650;

    /// How long the consent is valid: none (until withdrawn), or 1 to
    /// [`MAX_VALID_DAYS`](Self::MAX_VALID_DAYS) days; otherwise invalid
    /// input naming `valid_days`.
    pub fn validity(&self) -> Result<Option<std::time::Duration>> {
        match self.valid_days {
            None => Ok(None),
            Some(d) if (1..=Self::MAX_VALID_DAYS).contains(&d) => {
                Ok(Some(std::time::Duration::from_secs(u64::from(d) * 86_400)))
            }
            Some(_) => Err(Error::invalid_input(format!(
                "`valid_days` is 1 to {}",
                Self::MAX_VALID_DAYS
            ))
            .with_field("valid_days")),
        }
    }

    /// Checks the free-text fields, the language tag and the consent type;
    /// returns the consent type.
    fn check(&self) -> Result<String> {
        check_text(&self.notice_version, "notice_version", 64)?;
        check_text(&self.method, "method", 64)?;
        let language_ok = (2..=35).contains(&self.language.len())
            && self
                .language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !language_ok {
            return Err(Error::invalid_input(
                "`language` must be a BCP 47 tag such as `en` or `de-CH`",
            )
            .with_field("language"));
        }
        let consent_type = self
            .consent_type
            .clone()
            .unwrap_or_else(|| "explicit".into());
        if !matches!(consent_type.as_str(), "explicit" | "expressed") {
            return Err(
                Error::invalid_input("`consent_type` is `explicit` or `expressed`")
                    .with_field("consent_type"),
            );
        }
        Ok(consent_type)
    }
}

fn default_language() -> String {
    "en".into()
}

fn default_method() -> String {
    "api".into()
}

struct RecordRow {
    record: ConsentRecord,
}

impl FromRow for RecordRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let text: String = row.get("record")?;
        Ok(RecordRow {
            record: db::json(&text)?,
        })
    }
}

impl Consents {
    /// Records that `subject` gives consent; giving again renews the record
    /// (a new `given` event). The purpose must be registered.
    pub async fn give(
        &self,
        tenant: &TenantId,
        subject: &str,
        give: GiveConsent,
    ) -> Result<ConsentRecord> {
        check_subject(subject)?;
        let purpose = self.purpose(tenant, &give.purpose).await?;
        let consent_type = give.check()?;
        let validity = give.validity()?;
        for (field, v) in [
            ("controller", &give.controller),
            ("jurisdiction", &give.jurisdiction),
        ] {
            if let Some(v) = v {
                check_text(v, field, 200)?;
            }
        }
        let now = self.clock.now();
        let valid_until = validity.map(|d| now.saturating_add(d));
        let existing = self.record(tenant, subject, &purpose.id).await?;
        let event = ConsentEvent {
            state: ConsentState::Given,
            at: now,
            method: give.method.clone(),
            notice_version: give.notice_version.clone(),
        };
        let mut record = ConsentRecord {
            record_id: existing.as_ref().map_or_else(
                || new_id(self.clock.as_ref()).to_string(),
                |r| r.record_id.clone(),
            ),
            subject: subject.to_owned(),
            purpose: purpose.id.clone(),
            notice_version: give.notice_version,
            language: give.language,
            pii_categories: purpose.categories,
            controller: give
                .controller
                .unwrap_or_else(|| format!("tenant {tenant}")),
            jurisdiction: give.jurisdiction.unwrap_or_else(|| "EU".into()),
            method: give.method,
            consent_type,
            state: ConsentState::Given,
            given_at: now,
            valid_until,
            events: existing.map(|r| r.events).unwrap_or_default(),
        };
        record.events.push(event);
        self.store(tenant, &record).await?;
        self.trail
            .audit(
                tenant,
                subject,
                "privacy.consent_given",
                &record.purpose,
                serde_json::json!({ "record_id": record.record_id, "notice_version": record.notice_version }),
            )
            .await?;
        self.trail
            .publish(
                tenant,
                "privacy.consent_given",
                serde_json::json!({
                    "subject": subject, "purpose": record.purpose, "record_id": record.record_id,
                }),
            )
            .await;
        Ok(record)
    }

    /// Withdraws `subject`'s consent to `purpose`; `not_found` when none
    /// was given. Withdrawing a withdrawn consent changes nothing.
    pub async fn withdraw(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
        method: &str,
    ) -> Result<ConsentRecord> {
        check_subject(subject)?;
        check_text(method, "method", 64)?;
        let mut record = self
            .record(tenant, subject, purpose)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!("no consent to `{purpose}` was recorded"))
                    .with_field("purpose")
            })?;
        if record.state == ConsentState::Withdrawn {
            return Ok(record);
        }
        record.state = ConsentState::Withdrawn;
        record.events.push(ConsentEvent {
            state: ConsentState::Withdrawn,
            at: self.clock.now(),
            method: method.to_owned(),
            notice_version: record.notice_version.clone(),
        });
        self.store(tenant, &record).await?;
        self.trail
            .audit(
                tenant,
                subject,
                "privacy.consent_withdrawn",
                purpose,
                serde_json::json!({ "record_id": record.record_id }),
            )
            .await?;
        self.trail
            .publish(
                tenant,
                "privacy.consent_withdrawn",
                serde_json::json!({
                    "subject": subject, "purpose": purpose, "record_id": record.record_id,
                }),
            )
            .await;
        Ok(record)
    }

    /// Whether `subject` currently consents to `purpose` (given, not
    /// withdrawn, not past its validity).
    pub async fn has_consent(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
    ) -> Result<bool> {
        Ok(self
            .record(tenant, subject, purpose)
            .await?
            .is_some_and(|r| r.state == ConsentState::Given))
    }

    /// Every consent record of `subject`, by purpose.
    pub async fn list(&self, tenant: &TenantId, subject: &str) -> Result<Vec<ConsentRecord>> {
        let q = query(
            "SELECT record FROM privacy_consents WHERE tenant_id = $1 AND subject = $2 ORDER BY purpose",
        )
        .bind(tenant)
        .bind(subject);
        let rows: Vec<RecordRow> = db::all(&self.db, tenant, q).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.expire_if_due(tenant, row.record).await?);
        }
        Ok(out)
    }

    /// The append-only consent history of `subject`, oldest first.
    pub async fn history(
        &self,
        tenant: &TenantId,
        subject: &str,
    ) -> Result<Vec<serde_json::Value>> {
        let q = query(
            "SELECT event FROM privacy_consent_events WHERE tenant_id = $1 AND subject = $2 \
             ORDER BY at, id",
        )
        .bind(tenant)
        .bind(subject);
        let rows: Vec<Scalar<String>> = db::all(&self.db, tenant, q).await?;
        rows.iter().map(|Scalar(e)| db::json(e)).collect()
    }

    async fn record(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
    ) -> Result<Option<ConsentRecord>> {
        let q = query(
            "SELECT record FROM privacy_consents WHERE tenant_id = $1 AND subject = $2 AND purpose = $3",
        )
        .bind(tenant)
        .bind(subject)
        .bind(purpose);
        match db::one::<RecordRow>(&self.db, tenant, q).await? {
            Some(row) => Ok(Some(self.expire_if_due(tenant, row.record).await?)),
            None => Ok(None),
        }
    }

    /// Marks a given consent past its validity as expired (recorded once).
    async fn expire_if_due(
        &self,
        tenant: &TenantId,
        mut record: ConsentRecord,
    ) -> Result<ConsentRecord> {
        let now = self.clock.now();
        let due =
            record.state == ConsentState::Given && record.valid_until.is_some_and(|u| u <= now);
        if due {
            record.state = ConsentState::Expired;
            record.events.push(ConsentEvent {
                state: ConsentState::Expired,
                at: record.valid_until.unwrap_or(now),
                method: "expiry".into(),
                notice_version: record.notice_version.clone(),
            });
            self.store(tenant, &record).await?;
        }
        Ok(record)
    }

    /// Stores `record` and appends its last event to the history.
    async fn store(&self, tenant: &TenantId, record: &ConsentRecord) -> Result<()> {
        let now = self.clock.now();
        let Some(last) = record.events.last() else {
            return Err(Error::internal("a consent record without events"));
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO privacy_consents (tenant_id, id, subject, purpose, state, expires_at, record, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET state = $5, expires_at = $6, record = $7, \
             updated_at = $8",
        )
        .bind(tenant)
        .bind(record.record_id.as_str())
        .bind(record.subject.as_str())
        .bind(record.purpose.as_str())
        .bind(record.state.as_str())
        .bind(record.valid_until)
        .bind(serde_json::to_string(record)?)
        .bind(now)
        .execute(&mut tx)
        .await?;
        query(
            "INSERT INTO privacy_consent_events (tenant_id, id, record_id, subject, event, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant)
        .bind(new_id(self.clock.as_ref()))
        .bind(record.record_id.as_str())
        .bind(record.subject.as_str())
        .bind(serde_json::to_string(&serde_json::json!({
            "record_id": record.record_id,
            "purpose": record.purpose,
            "state": last.state,
            "at": last.at,
            "method": last.method,
            "notice_version": last.notice_version,
        }))?)
        .bind(last.at)
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn consent_validity_is_bounded_or_refused_by_name(days in any::<u32>()) {
            let give = GiveConsent {
                purpose: "newsletter".into(),
                notice_version: "1".into(),
                language: default_language(),
                method: default_method(),
                controller: None,
                jurisdiction: None,
                consent_type: None,
                valid_days: Some(days),
            };
            match give.validity() {
                Ok(d) => {
                    let d = d.unwrap_or_default();
                    prop_assert!((1..=GiveConsent::MAX_VALID_DAYS).contains(&days));
                    prop_assert_eq!(d.as_secs(), u64::from(days) * 86_400);
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("valid_days"));
                    prop_assert!(days == 0 || days > GiveConsent::MAX_VALID_DAYS);
                }
            }
        }
    }
}
