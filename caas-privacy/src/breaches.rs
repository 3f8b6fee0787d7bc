//! Personal-data breaches (GDPR Art. 33/34): the record, the 72-hour
//! deadline for notifying the supervisory authority (from detection), the
//! notifications to the authority and to the subjects, and an event
//! (`privacy.breach_overdue`) once a breach is past its deadline without
//! notification.

use std::time::Duration;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp, new_id};
use serde::{Deserialize, Serialize};

use crate::check::{check_id, check_text};
use crate::db;
use crate::parts::{PrivacyParts, Trail};

/// The authority must be told within this long of detection (Art. 33(1)).
pub const AUTHORITY_DEADLINE: Duration = Duration::from_secs(72 * 3600);

/// A breach record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breach {
    /// Id.
    pub id: String,
    /// When it was detected (the deadline runs from here).
    pub detected_at: Timestamp,
    /// What happened.
    pub nature: String,
    /// Data categories concerned.
    pub categories: Vec<String>,
    /// Approximate number of subjects concerned.
    pub approx_subjects: u64,
    /// Approximate number of records concerned.
    pub approx_records: u64,
    /// Likely consequences.
    pub consequences: String,
    /// Measures taken or proposed.
    pub measures: String,
    /// Whether it is likely a high risk to the subjects (Art. 34: tell them).
    pub high_risk: bool,
    /// The authority must be notified by then: detection + 72 h.
    pub authority_deadline: Timestamp,
    /// When the authority was notified.
    pub authority_notified_at: Option<Timestamp>,
    /// Why the notification was late, if it was (Art. 33(1)).
    pub delay_reason: Option<String>,
    /// When the subjects were notified.
    pub subjects_notified_at: Option<Timestamp>,
    /// Who recorded it.
    pub created_by: String,
    /// Last change.
    pub updated_at: Timestamp,
}

impl Breach {
    /// Whether the authority deadline passed without notification.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.authority_notified_at.is_none() && now > self.authority_deadline
    }
}

/// A breach to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewBreach {
    /// Detection time (default now; not in the future).
    #[serde(default)]
    pub detected_at: Option<Timestamp>,
    /// What happened (1 to 4,000 characters).
    pub nature: String,
    /// Data categories concerned.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Approximate subjects.
    #[serde(default)]
    pub approx_subjects: u64,
    /// Approximate records.
    #[serde(default)]
    pub approx_records: u64,
    /// Likely consequences.
    #[serde(default)]
    pub consequences: Option<String>,
    /// Measures.
    #[serde(default)]
    pub measures: Option<String>,
    /// High risk to the subjects.
    #[serde(default)]
    pub high_risk: bool,
}

/// Changes to a breach; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BreachUpdate {
    /// Replace the consequences.
    #[serde(default)]
    pub consequences: Option<String>,
    /// Replace the measures.
    #[serde(default)]
    pub measures: Option<String>,
    /// Replace the subject count.
    #[serde(default)]
    pub approx_subjects: Option<u64>,
    /// Replace the record count.
    #[serde(default)]
    pub approx_records: Option<u64>,
    /// Set the high-risk flag.
    #[serde(default)]
    pub high_risk: Option<bool>,
    /// The authority was notified at (not in the future, not before detection).
    #[serde(default)]
    pub authority_notified_at: Option<Timestamp>,
    /// Why late (required when notifying after the deadline).
    #[serde(default)]
    pub delay_reason: Option<String>,
    /// The subjects were notified at.
    #[serde(default)]
    pub subjects_notified_at: Option<Timestamp>,
}

struct BreachRow(Breach);

impl FromRow for BreachRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let body: String = row.get("body")?;
        Ok(BreachRow(db::json(&body)?))
    }
}

/// Breach records. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Breaches {
    db: Db,
    clock: SharedClock,
    trail: Trail,
}

impl Breaches {
    /// The store on `parts.db`; changes are audited to `parts.audit`, and
    /// `privacy.breach_*` events published on `parts.events`.
    pub fn new(parts: &PrivacyParts) -> Self {
        Breaches {
            db: parts.db.clone(),
            clock: parts.clock.clone(),
            trail: Trail::new(parts),
        }
    }

    /// Records a breach.
    pub async fn record(&self, tenant: &TenantId, new: NewBreach, by: &str) -> Result<Breach> {
        check_text(&new.nature, "nature", 4_000)?;
        for c in &new.categories {
            check_id(c, "categories")?;
        }
        for (field, v) in [
            ("consequences", &new.consequences),
            ("measures", &new.measures),
        ] {
            if let Some(v) = v {
                check_text(v, field, 4_000)?;
            }
        }
        let now = self.clock.now();
        let detected_at = new.detected_at.unwrap_or(now);
        if detected_at > now {
            return Err(
                Error::invalid_input("`detected_at` is in the future").with_field("detected_at")
            );
        }
        let breach = Breach {
            id: new_id(self.clock.as_ref()).to_string(),
            detected_at,
            nature: new.nature,
            categories: new.categories,
            approx_subjects: new.approx_subjects,
            approx_records: new.approx_records,
            consequences: new.consequences.unwrap_or_default(),
            measures: new.measures.unwrap_or_default(),
            high_risk: new.high_risk,
            authority_deadline: detected_at.saturating_add(AUTHORITY_DEADLINE),
            authority_notified_at: None,
            delay_reason: None,
            subjects_notified_at: None,
            created_by: by.to_owned(),
            updated_at: now,
        };
        let q = query(
            "INSERT INTO privacy_breaches (tenant_id, id, detected_at, authority_notified_at, \
             overdue_announced, body, updated_at) VALUES ($1, $2, $3, NULL, FALSE, $4, $5)",
        )
        .bind(tenant)
        .bind(breach.id.as_str())
        .bind(breach.detected_at)
        .bind(serde_json::to_string(&breach)?)
        .bind(now);
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.breach_recorded",
                &breach.id,
                serde_json::json!({
                    "deadline": breach.authority_deadline,
                }),
            )
            .await?;
        self.trail.publish(
            tenant,
            "privacy.breach_recorded",
            serde_json::json!({ "breach_id": breach.id, "deadline": breach.authority_deadline }),
        )
        .await;
        Ok(breach)
    }

    /// One breach; `not_found` when there is none.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<Breach> {
        let q = query("SELECT body FROM privacy_breaches WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id);
        db::one::<BreachRow>(&self.db, tenant, q)
            .await?
            .map(|b| b.0)
            .ok_or_else(|| Error::not_found(format!("no breach `{id}`")))
    }

    /// The tenant's breaches, newest first.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<Breach>> {
        let q = query("SELECT body FROM privacy_breaches WHERE tenant_id = $1 ORDER BY id DESC")
            .bind(tenant);
        let rows: Vec<BreachRow> = db::all(&self.db, tenant, q).await?;
        Ok(rows.into_iter().map(|b| b.0).collect())
    }

    /// Updates a breach (notifications, counts, measures).
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: &str,
        update: BreachUpdate,
        by: &str,
    ) -> Result<Breach> {
        let mut breach = self.get(tenant, id).await?;
        let now = self.clock.now();
        for (field, v) in [
            ("consequences", &update.consequences),
            ("measures", &update.measures),
            ("delay_reason", &update.delay_reason),
        ] {
            if let Some(v) = v {
                check_text(v, field, 4_000)?;
            }
        }
        for (field, at) in [
            ("authority_notified_at", update.authority_notified_at),
            ("subjects_notified_at", update.subjects_notified_at),
        ] {
            if at.is_some_and(|at| at > now || at < breach.detected_at) {
                return Err(Error::invalid_input(format!(
                    "`{field}` must be between the detection and now"
                ))
                .with_field(field));
            }
        }
        if let Some(at) = update.authority_notified_at {
            let late = at > breach.authority_deadline;
            let reason = update.delay_reason.clone().or(breach.delay_reason.clone());
            if late && reason.is_none() {
                return Err(Error::invalid_input(
                    "the authority was notified after 72 hours: give the reasons for the delay \
                     in `delay_reason` (Art. 33(1))",
                )
                .with_field("delay_reason"));
            }
            breach.authority_notified_at = Some(at);
        }
        if let Some(v) = update.consequences {
            breach.consequences = v;
        }
        if let Some(v) = update.measures {
            breach.measures = v;
        }
        if let Some(v) = update.approx_subjects {
            breach.approx_subjects = v;
        }
        if let Some(v) = update.approx_records {
            breach.approx_records = v;
        }
        if let Some(v) = update.high_risk {
            breach.high_risk = v;
        }
        if let Some(v) = update.delay_reason {
            breach.delay_reason = Some(v);
        }
        if let Some(v) = update.subjects_notified_at {
            breach.subjects_notified_at = Some(v);
        }
        breach.updated_at = now;
        let q = query(
            "UPDATE privacy_breaches SET authority_notified_at = $3, body = $4, updated_at = $5 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(breach.authority_notified_at)
        .bind(serde_json::to_string(&breach)?)
        .bind(now);
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.breach_updated",
                id,
                serde_json::json!({}),
            )
            .await?;
        Ok(breach)
    }

    /// Announces (`privacy.breach_overdue`, once per breach) every breach
    /// past its deadline without notification; returns them.
    pub async fn announce_overdue(&self, tenant: &TenantId) -> Result<Vec<Breach>> {
        let now = self.clock.now();
        let deadline_detected = now.saturating_sub(AUTHORITY_DEADLINE);
        let q = query(
            "SELECT body FROM privacy_breaches WHERE tenant_id = $1 AND authority_notified_at IS NULL \
             AND overdue_announced = FALSE AND detected_at < $2",
        )
        .bind(tenant)
        .bind(deadline_detected);
        let rows: Vec<BreachRow> = db::all(&self.db, tenant, q).await?;
        let mut out = Vec::new();
        for BreachRow(breach) in rows {
            if !breach.overdue(now) {
                continue;
            }
            let q = query(
                "UPDATE privacy_breaches SET overdue_announced = TRUE WHERE tenant_id = $1 AND id = $2 \
                 AND overdue_announced = FALSE",
            )
            .bind(tenant)
            .bind(breach.id.as_str());
            if db::exec(&self.db, tenant, q).await? == 1 {
                self.trail
                    .publish(
                        tenant,
                        "privacy.breach_overdue",
                        serde_json::json!({
                            "breach": breach.id, "deadline": breach.authority_deadline,
                        }),
                    )
                    .await;
                out.push(breach);
            }
        }
        Ok(out)
    }
}
