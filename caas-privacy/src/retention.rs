//! Retention: per data category a maximum age and an action (delete or
//! anonymize). A run asks every source to expire the category's records
//! older than the cutoff, skips a category under a category or tenant
//! hold, keeps the records of subjects under hold, and is logged.

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, ErasureMethod, Error, Result, SharedClock, TenantId, Timestamp, new_id};
use serde::{Deserialize, Serialize};

use crate::check::check_id;
use crate::db;
use crate::holds::{HoldScope, Holds};
use crate::parts::{PrivacyParts, Trail};
use crate::registry::SourceRegistry;

/// The longest retention a policy may set (100 years).
pub const MAX_RETENTION_DAYS: u32 = 36_500;

/// A retention policy for one data category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// The category (as the sources name it, e.g. `game_history`).
    pub category: String,
    /// Records older than this many days are erased (1 to 36500, 100 years:
    /// [`MAX_RETENTION_DAYS`]).
    pub max_age_days: u32,
    /// How.
    pub action: ErasureMethod,
}

impl RetentionPolicy {
    /// Checks every field; the error names it.
    pub fn validate(&self) -> Result<()> {
        check_id(&self.category, "category")?;
        if !(1..=MAX_RETENTION_DAYS).contains(&self.max_age_days) {
            return Err(Error::invalid_input(format!(
                "`max_age_days` is 1 to {MAX_RETENTION_DAYS}"
            ))
            .with_field("max_age_days"));
        }
        Ok(())
    }
}

/// What a run did for one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRun {
    /// The category.
    pub category: String,
    /// The action.
    pub action: ErasureMethod,
    /// Records older than this were erased.
    pub cutoff: Timestamp,
    /// Records erased per source that holds the category.
    pub sources: Vec<(String, u64)>,
    /// Holds that stopped the category entirely.
    pub skipped_by_holds: Vec<String>,
    /// Subjects kept because of holds on them (count only).
    pub subjects_kept: usize,
}

/// One retention run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRun {
    /// Id.
    pub id: String,
    /// When.
    pub at: Timestamp,
    /// Per policy.
    pub categories: Vec<CategoryRun>,
}

impl RetentionRun {
    /// Records erased in all.
    pub fn erased(&self) -> u64 {
        self.categories
            .iter()
            .flat_map(|c| c.sources.iter().map(|(_, n)| n))
            .sum()
    }
}

struct PolicyRow(RetentionPolicy);

impl FromRow for PolicyRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let action: String = row.get("action")?;
        let ms: i64 = row.get("max_age_ms")?;
        Ok(PolicyRow(RetentionPolicy {
            category: row.get("category")?,
            max_age_days: u32::try_from(ms / 86_400_000).unwrap_or(MAX_RETENTION_DAYS),
            action: if action == "anonymize" {
                ErasureMethod::Anonymize
            } else {
                ErasureMethod::Delete
            },
        }))
    }
}

struct RunRow(String);

impl FromRow for RunRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(RunRow(row.get("report")?))
    }
}

/// Retention policies and runs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Retention {
    db: Db,
    clock: SharedClock,
    trail: Trail,
    sources: SourceRegistry,
    holds: Holds,
}

impl Retention {
    /// The store on `parts.db`; runs reach every source in `sources` and
    /// spare what `holds` keeps. Policy changes and runs are audited to
    /// `parts.audit`.
    pub fn new(parts: &PrivacyParts, sources: SourceRegistry, holds: Holds) -> Self {
        Retention {
            db: parts.db.clone(),
            clock: parts.clock.clone(),
            trail: Trail::audit_only(parts),
            sources,
            holds,
        }
    }

    /// Sets (or replaces) the policy of a category.
    pub async fn put_policy(
        &self,
        tenant: &TenantId,
        policy: RetentionPolicy,
        by: &str,
    ) -> Result<RetentionPolicy> {
        policy.validate()?;
        let action = match policy.action {
            ErasureMethod::Delete => "delete",
            ErasureMethod::Anonymize => "anonymize",
        };
        let q = query(
            "INSERT INTO privacy_retention_policies (tenant_id, category, max_age_ms, action, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, category) DO UPDATE \
             SET max_age_ms = $3, action = $4, updated_at = $5",
        )
        .bind(tenant)
        .bind(policy.category.as_str())
        .bind(i64::from(policy.max_age_days) * 86_400_000)
        .bind(action)
        .bind(self.clock.now());
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.retention_policy_changed",
                &policy.category,
                serde_json::json!({
                    "max_age_days": policy.max_age_days, "action": action,
                }),
            )
            .await?;
        Ok(policy)
    }

    /// The tenant's retention policies, by category.
    pub async fn policies(&self, tenant: &TenantId) -> Result<Vec<RetentionPolicy>> {
        let q = query(
            "SELECT category, max_age_ms, action FROM privacy_retention_policies WHERE tenant_id = $1 \
             ORDER BY category",
        )
        .bind(tenant);
        let rows: Vec<PolicyRow> = db::all(&self.db, tenant, q).await?;
        Ok(rows.into_iter().map(|p| p.0).collect())
    }

    /// Runs every policy of `tenant` now; the run is stored and audited.
    pub async fn run(&self, tenant: &TenantId, by: &str) -> Result<RetentionRun> {
        let now = self.clock.now();
        let holds = self.holds.in_force(tenant).await?;
        let keep: Vec<String> = holds
            .iter()
            .filter_map(|h| match &h.scope {
                HoldScope::Subject { subject } => Some(subject.clone()),
                _ => None,
            })
            .collect();
        let sources = self.sources.all()?;
        let mut categories = Vec::new();
        for policy in self.policies(tenant).await? {
            let cutoff = now.saturating_sub(std::time::Duration::from_secs(
                u64::from(policy.max_age_days) * 86_400,
            ));
            let blocking: Vec<String> = holds
                .iter()
                .filter(|h| match &h.scope {
                    HoldScope::Tenant => true,
                    HoldScope::Category { category } => *category == policy.category,
                    HoldScope::Subject { .. } => false,
                })
                .map(|h| h.id.clone())
                .collect();
            let mut done = Vec::new();
            if blocking.is_empty() {
                for source in &sources {
                    if let Some(n) = source
                        .expire(tenant, &policy.category, cutoff, policy.action, &keep)
                        .await?
                    {
                        done.push((source.name().to_owned(), n));
                    }
                }
            }
            categories.push(CategoryRun {
                category: policy.category,
                action: policy.action,
                cutoff,
                sources: done,
                skipped_by_holds: blocking,
                subjects_kept: keep.len(),
            });
        }
        let run = RetentionRun {
            id: new_id(self.clock.as_ref()).to_string(),
            at: now,
            categories,
        };
        let q = query(
            "INSERT INTO privacy_retention_runs (tenant_id, id, at, report) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant)
        .bind(run.id.as_str())
        .bind(now)
        .bind(serde_json::to_string(&run)?);
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.retention_run",
                &run.id,
                serde_json::json!({
                    "erased": run.erased(),
                }),
            )
            .await?;
        Ok(run)
    }

    /// The tenant's retention runs, newest first (at most `limit`).
    pub async fn runs(&self, tenant: &TenantId, limit: u32) -> Result<Vec<RetentionRun>> {
        let q = query(
            "SELECT report FROM privacy_retention_runs WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(tenant)
        .bind(i64::from(limit.clamp(1, 1_000)));
        let rows: Vec<RunRow> = db::all(&self.db, tenant, q).await?;
        rows.iter().map(|r| db::json(&r.0)).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_longest_retention_gives_a_cutoff_that_can_be_written() {
        // 100 years before 2026 is before the unix epoch: the run report
        // (stored as JSON) must still serialize and read back.
        let now = Timestamp::from_millis(1_767_225_600_000);
        let cutoff =
            now.saturating_sub(Duration::from_secs(u64::from(MAX_RETENTION_DAYS) * 86_400));
        assert!(cutoff.as_millis() < 0);
        let run = CategoryRun {
            category: "game_history".into(),
            action: ErasureMethod::Delete,
            cutoff,
            sources: Vec::new(),
            skipped_by_holds: Vec::new(),
            subjects_kept: 0,
        };
        let json = serde_json::to_string(&run).unwrap();
        assert!(json.contains("\"1926-"), "{json}");
        assert_eq!(serde_json::from_str::<CategoryRun>(&json).unwrap(), run);
    }

    proptest! {
        #[test]
        fn retention_is_bounded_or_refused_by_name(days in any::<u32>()) {
            let policy = RetentionPolicy {
                category: "game_history".into(),
                max_age_days: days,
                action: ErasureMethod::Delete,
            };
            match policy.validate() {
                Ok(()) => prop_assert!((1..=MAX_RETENTION_DAYS).contains(&days)),
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("max_age_days"));
                    prop_assert!(days == 0 || days > MAX_RETENTION_DAYS);
                }
            }
        }
    }
}
