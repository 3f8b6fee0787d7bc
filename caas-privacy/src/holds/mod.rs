//! Legal holds: on one subject, one data category or a whole tenant, with
//! reason, case reference, start and optional end. A hold in force blocks
//! erasure (by request or retention) of what it covers, and only that;
//! releasing it is recorded, never deleted. [`Holds`] stores them; a hold to
//! place and its wire form are in `wire`.

mod wire;

pub use self::wire::{HoldRequest, HoldScopeKind, NewHold};

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp, new_id};
use serde::{Deserialize, Serialize};

use crate::check::{check_id, check_subject, check_text};
use crate::db;
use crate::parts::{PrivacyParts, Trail};

/// What a hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum HoldScope {
    /// Everything about one subject.
    Subject {
        /// The subject.
        subject: String,
    },
    /// One data category, for every subject.
    Category {
        /// The category name (as the sources name it).
        category: String,
    },
    /// Everything in the tenant.
    Tenant,
}

/// A release of a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Release {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// A legal hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegalHold {
    /// Id.
    pub id: String,
    /// What it covers.
    #[serde(flatten)]
    pub scope: HoldScope,
    /// Why (e.g. litigation).
    pub reason: String,
    /// The case or matter reference.
    pub case_reference: String,
    /// In force from.
    pub starts_at: Timestamp,
    /// In force until (none: until released).
    pub ends_at: Option<Timestamp>,
    /// Who placed it.
    pub created_by: String,
    /// When placed.
    pub created_at: Timestamp,
    /// Its release, once released.
    pub released: Option<Release>,
}

impl LegalHold {
    /// Whether it is in force at `now`.
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.released.is_none() && self.starts_at <= now && self.ends_at.is_none_or(|end| now < end)
    }

    /// Whether it covers `category` of `subject`.
    pub fn covers(&self, subject: &str, category: &str) -> bool {
        match &self.scope {
            HoldScope::Subject { subject: s } => s == subject,
            HoldScope::Category { category: c } => c == category,
            HoldScope::Tenant => true,
        }
    }

    /// Whether it covers every category of `subject`.
    pub fn covers_subject(&self, subject: &str) -> bool {
        match &self.scope {
            HoldScope::Subject { subject: s } => s == subject,
            HoldScope::Category { .. } => false,
            HoldScope::Tenant => true,
        }
    }
}

/// Checks a hold's dates at `now`: both writable in RFC 3339 (years 0000 to
/// 9999), and the end after the start and after now.
fn check_dates(starts_at: Timestamp, ends_at: Option<Timestamp>, now: Timestamp) -> Result<()> {
    let range = |field: &'static str| {
        Error::invalid_input(format!(
            "`{field}` must be from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"
        ))
        .with_field(field)
    };
    if !starts_at.is_rfc3339() {
        return Err(range("starts_at"));
    }
    if let Some(end) = ends_at {
        if !end.is_rfc3339() {
            return Err(range("ends_at"));
        }
        if end <= starts_at {
            return Err(
                Error::invalid_input("`ends_at` must be after `starts_at`").with_field("ends_at")
            );
        }
        if end <= now {
            return Err(Error::invalid_input(
                "`ends_at` must be in the future: a hold that has already ended holds nothing",
            )
            .with_field("ends_at"));
        }
    }
    Ok(())
}

struct HoldRow(LegalHold);

impl FromRow for HoldRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let body: String = row.get("body")?;
        Ok(HoldRow(db::json(&body)?))
    }
}

/// Legal holds. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Holds {
    db: Db,
    clock: SharedClock,
    trail: Trail,
}

impl Holds {
    /// The store on `parts.db`; placing and releasing are audited to
    /// `parts.audit` and published on `parts.events`.
    pub fn new(parts: &PrivacyParts) -> Self {
        Holds {
            db: parts.db.clone(),
            clock: parts.clock.clone(),
            trail: Trail::new(parts),
        }
    }

    /// Places a legal hold.
    pub async fn place(&self, tenant: &TenantId, new: NewHold, by: &str) -> Result<LegalHold> {
        check_text(&new.reason, "reason", 1_000)?;
        check_text(&new.case_reference, "case_reference", 200)?;
        let (subject, category, scope) = match &new.scope {
            HoldScope::Subject { subject } => {
                check_subject(subject)?;
                (Some(subject.clone()), None, "subject")
            }
            HoldScope::Category { category } => {
                check_id(category, "category")?;
                (None, Some(category.clone()), "category")
            }
            HoldScope::Tenant => (None, None, "tenant"),
        };
        let now = self.clock.now();
        let starts_at = new.starts_at.unwrap_or(now);
        check_dates(starts_at, new.ends_at, now)?;
        let hold = LegalHold {
            id: new_id(self.clock.as_ref()).to_string(),
            scope: new.scope,
            reason: new.reason,
            case_reference: new.case_reference,
            starts_at,
            ends_at: new.ends_at,
            created_by: by.to_owned(),
            created_at: now,
            released: None,
        };
        let q = query(
            "INSERT INTO privacy_holds (tenant_id, id, scope, subject, category, starts_at, ends_at, \
             released_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
        )
        .bind(tenant)
        .bind(hold.id.as_str())
        .bind(scope)
        .bind(subject)
        .bind(category)
        .bind(hold.starts_at)
        .bind(hold.ends_at)
        .bind(serde_json::to_string(&hold)?);
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.hold_placed",
                &hold.id,
                serde_json::json!({ "scope": scope }),
            )
            .await?;
        self.trail
            .publish(
                tenant,
                "privacy.hold_placed",
                serde_json::json!({ "hold_id": hold.id }),
            )
            .await;
        Ok(hold)
    }

    /// Releases a hold (recorded); `conflict` when already released.
    pub async fn release(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        reason: &str,
    ) -> Result<LegalHold> {
        check_text(reason, "reason", 1_000)?;
        let mut hold = self.get(tenant, id).await?;
        if hold.released.is_some() {
            return Err(Error::conflict("the hold was already released"));
        }
        let now = self.clock.now();
        hold.released = Some(Release {
            at: now,
            by: by.to_owned(),
            reason: reason.to_owned(),
        });
        let q = query(
            "UPDATE privacy_holds SET released_at = $3, body = $4 WHERE tenant_id = $1 AND id = $2 \
             AND released_at IS NULL",
        )
        .bind(tenant)
        .bind(id)
        .bind(now)
        .bind(serde_json::to_string(&hold)?);
        if db::exec(&self.db, tenant, q).await? == 0 {
            return Err(Error::conflict("the hold was already released"));
        }
        self.trail
            .audit(
                tenant,
                by,
                "privacy.hold_released",
                id,
                serde_json::json!({}),
            )
            .await?;
        self.trail
            .publish(
                tenant,
                "privacy.hold_released",
                serde_json::json!({ "hold_id": hold.id }),
            )
            .await;
        Ok(hold)
    }

    /// One hold; `not_found` when there is none.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<LegalHold> {
        let q = query("SELECT body FROM privacy_holds WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id);
        db::one::<HoldRow>(&self.db, tenant, q)
            .await?
            .map(|h| h.0)
            .ok_or_else(|| Error::not_found(format!("no legal hold `{id}`")))
    }

    /// Every hold of the tenant, released ones included, oldest first.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<LegalHold>> {
        let q =
            query("SELECT body FROM privacy_holds WHERE tenant_id = $1 ORDER BY id").bind(tenant);
        let rows: Vec<HoldRow> = db::all(&self.db, tenant, q).await?;
        Ok(rows.into_iter().map(|h| h.0).collect())
    }

    /// The holds in force now.
    pub async fn in_force(&self, tenant: &TenantId) -> Result<Vec<LegalHold>> {
        let now = self.clock.now();
        Ok(self
            .list(tenant)
            .await?
            .into_iter()
            .filter(|h| h.in_force(now))
            .collect())
    }
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

    use super::*;

    #[test]
    fn hold_dates_are_bounded() {
        let now = Timestamp::from_millis(1_000_000);
        let later = Timestamp::from_millis(2_000_000);
        assert!(check_dates(now, None, now).is_ok());
        assert!(check_dates(now, Some(later), now).is_ok());
        let field = |r: Result<()>| r.unwrap_err().field().map(str::to_owned);
        assert_eq!(
            field(check_dates(now, Some(now), now)).as_deref(),
            Some("ends_at")
        );
        // Ends after its start, but in the past.
        let past = Timestamp::from_millis(10);
        assert_eq!(
            field(check_dates(past, Some(Timestamp::from_millis(20)), now)).as_deref(),
            Some("ends_at")
        );
        let beyond = Timestamp::from_millis(Timestamp::MAX_RFC3339.as_millis() + 1);
        assert_eq!(
            field(check_dates(now, Some(beyond), now)).as_deref(),
            Some("ends_at")
        );
        assert_eq!(
            field(check_dates(beyond, None, now)).as_deref(),
            Some("starts_at")
        );
        assert_eq!(
            field(check_dates(Timestamp::from_millis(i64::MIN), None, now)).as_deref(),
            Some("starts_at")
        );
    }
}
