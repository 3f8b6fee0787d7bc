//! Legal holds: on one subject, one data category or a whole tenant, with
//! reason, case reference, start and optional end. A hold in force blocks
//! erasure (by request or retention) of what it covers, and only that;
//! releasing it is recorded, never deleted.

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Error, Result, TenantId, Timestamp, new_id};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::service::{Privacy, check_id, check_subject, check_text};

/// What a hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A hold to place.
///
/// In Rust the scope is the explicit [`HoldScope`]. Read from JSON it is a
/// [`HoldRequest`] (unknown fields refused), which must name its scope: a
/// `subject`, a `category`, or `"tenant_wide": true` — a hold that names
/// nothing (say, a misspelled `"subjct"`) is refused rather than read as
/// holding the whole tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HoldRequest", into = "HoldRequest")]
pub struct NewHold {
    /// What it covers.
    pub scope: HoldScope,
    /// Why (1 to 1,000 characters).
    pub reason: String,
    /// Case reference (1 to 200 characters).
    pub case_reference: String,
    /// Start (default now).
    pub starts_at: Option<Timestamp>,
    /// End (optional): after the start and after now, at most
    /// [`Timestamp::MAX_RFC3339`].
    pub ends_at: Option<Timestamp>,
}

/// The scope a [`HoldRequest`] may state in `scope` (optional; when given it
/// must agree with the fields the request names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldScopeKind {
    /// One subject (`subject`).
    Subject,
    /// One data category (`category`).
    Category,
    /// The whole tenant (`"tenant_wide": true`).
    Tenant,
}

impl HoldScopeKind {
    fn as_str(self) -> &'static str {
        match self {
            HoldScopeKind::Subject => "subject",
            HoldScopeKind::Category => "category",
            HoldScopeKind::Tenant => "tenant",
        }
    }
}

/// A hold as sent over the wire (`POST /v1/privacy/legal-holds`): exactly
/// one of `subject`, `category` and `"tenant_wide": true`; unknown fields
/// are refused. Turned into a [`NewHold`] with `TryFrom`, whose errors are
/// `invalid_input` naming the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// Optional, for clients that state it: `subject`, `category` or
    /// `tenant`; must agree with the fields named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<HoldScopeKind>,
    /// Hold everything about this subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Hold this data category, for every subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Hold everything in the tenant: must be `true`, explicitly, for a
    /// tenant-wide hold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tenant_wide: bool,
    /// Why (1 to 1,000 characters).
    pub reason: String,
    /// Case reference (1 to 200 characters).
    pub case_reference: String,
    /// Start (default now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<Timestamp>,
    /// End (optional): after the start and after now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Timestamp>,
}

impl TryFrom<HoldRequest> for NewHold {
    type Error = Error;

    fn try_from(r: HoldRequest) -> Result<Self> {
        let scope = match (r.subject, r.category, r.tenant_wide) {
            (Some(subject), None, false) => HoldScope::Subject { subject },
            (None, Some(category), false) => HoldScope::Category { category },
            (None, None, true) => HoldScope::Tenant,
            (None, None, false) if r.scope == Some(HoldScopeKind::Tenant) => {
                return Err(Error::invalid_input(
                    "a tenant-wide hold must say so: set `\"tenant_wide\": true`",
                )
                .with_field("tenant_wide"));
            }
            (None, None, false) => {
                return Err(Error::invalid_input(
                    "a hold names a `subject` or a `category`, or sets `\"tenant_wide\": true` \
                     to hold everything in the tenant",
                )
                .with_field("subject"));
            }
            (_, _, true) => return Err(one_scope("tenant_wide")),
            (Some(_), Some(_), false) => return Err(one_scope("category")),
        };
        let named = match scope {
            HoldScope::Subject { .. } => HoldScopeKind::Subject,
            HoldScope::Category { .. } => HoldScopeKind::Category,
            HoldScope::Tenant => HoldScopeKind::Tenant,
        };
        if let Some(stated) = r.scope
            && stated != named
        {
            return Err(Error::invalid_input(format!(
                "`scope` is `{}` but the hold names a {} scope",
                stated.as_str(),
                named.as_str()
            ))
            .with_field("scope"));
        }
        Ok(NewHold {
            scope,
            reason: r.reason,
            case_reference: r.case_reference,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
        })
    }
}

fn one_scope(field: &'static str) -> Error {
    Error::invalid_input("a hold names exactly one of `subject`, `category` and `tenant_wide`")
        .with_field(field)
}

impl From<NewHold> for HoldRequest {
    fn from(h: NewHold) -> Self {
        let (scope, subject, category, tenant_wide) = match h.scope {
            HoldScope::Subject { subject } => (HoldScopeKind::Subject, Some(subject), None, false),
            HoldScope::Category { category } => {
                (HoldScopeKind::Category, None, Some(category), false)
            }
            HoldScope::Tenant => (HoldScopeKind::Tenant, None, None, true),
        };
        HoldRequest {
            scope: Some(scope),
            subject,
            category,
            tenant_wide,
            reason: h.reason,
            case_reference: h.case_reference,
            starts_at: h.starts_at,
            ends_at: h.ends_at,
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

impl Privacy {
    /// Places a legal hold.
    pub async fn place_hold(&self, tenant: &TenantId, new: NewHold, by: &str) -> Result<LegalHold> {
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
        let now = self.now();
        let starts_at = new.starts_at.unwrap_or(now);
        check_dates(starts_at, new.ends_at, now)?;
        let hold = LegalHold {
            id: new_id(self.0.clock.as_ref()).to_string(),
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
        db::exec(self.db(), tenant, q).await?;
        self.audit(
            tenant,
            by,
            "privacy.hold_placed",
            &hold.id,
            serde_json::json!({ "scope": scope }),
        )
        .await?;
        self.publish(
            tenant,
            "privacy.hold_placed",
            serde_json::json!({ "hold_id": hold.id }),
        )
        .await;
        Ok(hold)
    }

    /// Releases a hold (recorded); `conflict` when already released.
    pub async fn release_hold(
        &self,
        tenant: &TenantId,
        id: &str,
        by: &str,
        reason: &str,
    ) -> Result<LegalHold> {
        check_text(reason, "reason", 1_000)?;
        let mut hold = self.hold(tenant, id).await?;
        if hold.released.is_some() {
            return Err(Error::conflict("the hold was already released"));
        }
        let now = self.now();
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
        if db::exec(self.db(), tenant, q).await? == 0 {
            return Err(Error::conflict("the hold was already released"));
        }
        self.audit(
            tenant,
            by,
            "privacy.hold_released",
            id,
            serde_json::json!({}),
        )
        .await?;
        self.publish(
            tenant,
            "privacy.hold_released",
            serde_json::json!({ "hold_id": hold.id }),
        )
        .await;
        Ok(hold)
    }

    /// One hold; `not_found` when there is none.
    pub async fn hold(&self, tenant: &TenantId, id: &str) -> Result<LegalHold> {
        let q = query("SELECT body FROM privacy_holds WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id);
        db::one::<HoldRow>(self.db(), tenant, q)
            .await?
            .map(|h| h.0)
            .ok_or_else(|| Error::not_found(format!("no legal hold `{id}`")))
    }

    /// Every hold of the tenant, released ones included, oldest first.
    pub async fn holds(&self, tenant: &TenantId) -> Result<Vec<LegalHold>> {
        let q =
            query("SELECT body FROM privacy_holds WHERE tenant_id = $1 ORDER BY id").bind(tenant);
        let rows: Vec<HoldRow> = db::all(self.db(), tenant, q).await?;
        Ok(rows.into_iter().map(|h| h.0).collect())
    }

    /// The holds in force now.
    pub async fn holds_in_force(&self, tenant: &TenantId) -> Result<Vec<LegalHold>> {
        let now = self.now();
        Ok(self
            .holds(tenant)
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

    fn read(json: serde_json::Value) -> std::result::Result<NewHold, String> {
        serde_json::from_value::<NewHold>(json).map_err(|e| e.to_string())
    }

    fn request(json: serde_json::Value) -> HoldRequest {
        serde_json::from_value(json).unwrap()
    }

    fn field(json: serde_json::Value) -> Option<String> {
        NewHold::try_from(request(json))
            .unwrap_err()
            .field()
            .map(str::to_owned)
    }

    #[test]
    fn holds_name_their_scope() {
        let base = |extra: serde_json::Value| {
            let mut v = serde_json::json!({ "reason": "dispute", "case_reference": "C-1" });
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        let h = read(base(serde_json::json!({ "subject": "ana" }))).unwrap();
        assert_eq!(
            h.scope,
            HoldScope::Subject {
                subject: "ana".into()
            }
        );
        let h = read(base(
            serde_json::json!({ "scope": "category", "category": "orders" }),
        ))
        .unwrap();
        assert_eq!(
            h.scope,
            HoldScope::Category {
                category: "orders".into()
            }
        );
        let h = read(base(serde_json::json!({ "tenant_wide": true }))).unwrap();
        assert_eq!(h.scope, HoldScope::Tenant);
        let h = read(base(
            serde_json::json!({ "scope": "tenant", "tenant_wide": true }),
        ))
        .unwrap();
        assert_eq!(h.scope, HoldScope::Tenant);

        // A misspelled field is refused, not read as a tenant-wide hold.
        let e = read(base(serde_json::json!({ "subjct": "ana" }))).unwrap_err();
        assert!(e.contains("unknown field `subjct`"), "{e}");
        let e = read(base(
            serde_json::json!({ "scope": "tenant", "subjct": "ana" }),
        ))
        .unwrap_err();
        assert!(e.contains("unknown field `subjct`"), "{e}");
        // Naming nothing is refused, naming the field to set.
        assert_eq!(
            field(base(serde_json::json!({}))).as_deref(),
            Some("subject")
        );
        assert_eq!(
            field(base(serde_json::json!({ "tenant_wide": false }))).as_deref(),
            Some("subject")
        );
        assert_eq!(
            field(base(serde_json::json!({ "scope": "tenant" }))).as_deref(),
            Some("tenant_wide")
        );
        // More than one scope, or a scope that disagrees.
        assert_eq!(
            field(base(
                serde_json::json!({ "subject": "ana", "tenant_wide": true })
            ))
            .as_deref(),
            Some("tenant_wide")
        );
        assert_eq!(
            field(base(
                serde_json::json!({ "subject": "ana", "category": "orders" })
            ))
            .as_deref(),
            Some("category")
        );
        assert_eq!(
            field(base(
                serde_json::json!({ "scope": "tenant", "subject": "ana" })
            ))
            .as_deref(),
            Some("scope")
        );
        assert!(
            read(base(
                serde_json::json!({ "scope": "planet", "subject": "ana" })
            ))
            .is_err()
        );
        // Years beyond 9999 do not parse.
        assert!(
            read(base(
                serde_json::json!({ "subject": "ana", "ends_at": "10000-01-01T00:00:00Z" })
            ))
            .is_err()
        );
    }

    #[test]
    fn holds_write_the_form_they_read() {
        for scope in [
            HoldScope::Subject {
                subject: "ana".into(),
            },
            HoldScope::Category {
                category: "orders".into(),
            },
            HoldScope::Tenant,
        ] {
            let h = NewHold {
                scope,
                reason: "r".into(),
                case_reference: "c".into(),
                starts_at: None,
                ends_at: Some(Timestamp::from_millis(5)),
            };
            let json = serde_json::to_value(&h).unwrap();
            assert_eq!(serde_json::from_value::<NewHold>(json).unwrap(), h);
        }
    }

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
