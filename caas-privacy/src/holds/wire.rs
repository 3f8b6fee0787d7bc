//! A hold to place ([`NewHold`]) and the form it is read from over the
//! wire ([`HoldRequest`]): exactly one scope, named explicitly, so a
//! misspelled field is never read as a tenant-wide hold.

use caas_core::{Error, Result, Timestamp};
use serde::{Deserialize, Serialize};

use super::HoldScope;

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
}
