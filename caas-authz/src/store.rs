//! [`PolicyStore`]: a tenant's Cedar policy set and schema, published as
//! versions. Every publish parses both and validates the policies against
//! the schema in strict mode; any problem is a 400 whose details list each
//! of Cedar's diagnostics with line and column, and nothing is stored. A
//! publish names the version it replaces (or none): two concurrent
//! publishers cannot both win. Rollback publishes an earlier version's
//! content as a new version. Works on every SQL backend (RLS on PostgreSQL).

use std::str::FromStr;

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp};
use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};
use serde::{Deserialize, Serialize};

use crate::diagnostics::{Finding, findings, invalid};

/// The largest policy text accepted.
pub const MAX_POLICY_BYTES: usize = 4 * 1024 * 1024;
/// The largest schema accepted.
pub const MAX_SCHEMA_BYTES: usize = 512 * 1024;
/// The most policies in one set.
pub const MAX_POLICIES: usize = 20_000;

/// What a publish sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDraft {
    /// Cedar policies (Cedar syntax).
    pub policies: String,
    /// The Cedar schema (Cedar schema syntax) the policies are validated against.
    pub schema: String,
    /// Why (kept in the history).
    #[serde(default)]
    pub note: Option<String>,
}

/// A published version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyVersion {
    /// The tenant.
    pub tenant_id: TenantId,
    /// 1, 2, …
    pub version: i64,
    /// The policies.
    pub policies: String,
    /// The schema.
    pub schema: String,
    /// How many policies.
    pub policy_count: i64,
    /// Why.
    pub note: Option<String>,
    /// Who published it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

impl FromRow for PolicyVersion {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(PolicyVersion {
            tenant_id: row.parse("tenant_id")?,
            version: row.get("version")?,
            policies: row.get("policies")?,
            schema: row.get("schema")?,
            policy_count: row.get("policy_count")?,
            note: row.get("note")?,
            created_by: row.get("created_by")?,
            created_at: row.timestamp("created_at")?,
        })
    }
}

/// A checked draft: the parsed policies and schema.
#[derive(Debug)]
pub struct Checked {
    /// The policies.
    pub policies: PolicySet,
    /// The schema.
    pub schema: Schema,
}

/// Parses and validates `draft` (strict mode). Errors carry every finding.
pub fn check(draft: &PolicyDraft) -> Result<Checked> {
    if draft.policies.len() > MAX_POLICY_BYTES {
        return Err(Error::invalid_input(format!(
            "the policies are {} bytes; at most {MAX_POLICY_BYTES}",
            draft.policies.len()
        ))
        .with_field("policies"));
    }
    if draft.schema.len() > MAX_SCHEMA_BYTES {
        return Err(Error::invalid_input(format!(
            "the schema is {} bytes; at most {MAX_SCHEMA_BYTES}",
            draft.schema.len()
        ))
        .with_field("schema"));
    }
    if draft.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(Error::invalid_input("`note` may be at most 500 characters").with_field("note"));
    }
    let schema = crate::schema::parse(&draft.schema).map_err(|e| {
        invalid(
            "invalid_schema",
            "schema",
            findings(e.error.as_ref(), &draft.schema),
        )
        .with_field("schema")
    })?;
    let policies = PolicySet::from_str(&draft.policies).map_err(|e| {
        let all: Vec<Finding> = e
            .iter()
            .flat_map(|one| findings(one, &draft.policies))
            .collect();
        invalid("invalid_policy", "policy set", all).with_field("policies")
    })?;
    if policies.policies().count() > MAX_POLICIES {
        return Err(Error::invalid_input(format!(
            "a policy set may hold at most {MAX_POLICIES} policies"
        ))
        .with_field("policies"));
    }
    let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
    if !result.validation_passed() {
        let all: Vec<Finding> = result
            .validation_errors()
            .flat_map(|e| findings(e, &draft.policies))
            .collect();
        return Err(invalid("policy_validation_failed", "policy set", all).with_field("policies"));
    }
    Ok(Checked { policies, schema })
}

/// Policy versions of every tenant.
#[derive(Debug, Clone)]
pub struct PolicyStore {
    db: Db,
    clock: SharedClock,
}

impl PolicyStore {
    /// Versions in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        PolicyStore { db, clock }
    }

    /// Publishes `draft` as the next version. `replaces` is the version the
    /// caller read (`None`: there was none); another publish in between is
    /// a 409 and nothing is stored.
    pub async fn publish(
        &self,
        tenant: &TenantId,
        draft: &PolicyDraft,
        replaces: Option<i64>,
        by: Option<&str>,
    ) -> Result<(PolicyVersion, Checked)> {
        let checked = check(draft)?;
        let count = i64::try_from(checked.policies.policies().count()).unwrap_or(i64::MAX);
        let mut tx = self.db.tenant_tx(tenant).await?;
        let head: Option<Scalar<i64>> = query(
            "SELECT version FROM authz_policy_versions WHERE tenant_id = $1 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(tenant)
        .fetch_optional(&mut tx)
        .await?;
        let head = head.map(|h| h.0);
        if head != replaces {
            return Err(Error::conflict(format!(
                "the policies changed meanwhile (version {}); read them again",
                head.unwrap_or(0)
            ))
            .with_code("policy_version_conflict"));
        }
        let version = head.unwrap_or(0) + 1;
        // The primary key makes a concurrent publish of the same version fail.
        query(
            "INSERT INTO authz_policy_versions \
             (tenant_id, version, policies, schema, policy_count, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant)
        .bind(version)
        .bind(draft.policies.as_str())
        .bind(draft.schema.as_str())
        .bind(count)
        .bind(draft.note.as_deref())
        .bind(by)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await
        .map_err(|e| {
            if e.kind() == caas_core::ErrorKind::Conflict {
                Error::conflict("the policies changed meanwhile; read them again")
                    .with_code("policy_version_conflict")
            } else {
                e
            }
        })?;
        tx.commit().await?;
        let published = self
            .get(tenant, version)
            .await?
            .ok_or_else(|| Error::internal("a published policy version is missing"))?;
        Ok((published, checked))
    }

    /// The version in force.
    pub async fn current(&self, tenant: &TenantId) -> Result<Option<PolicyVersion>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(Self::select_latest())
            .bind(tenant)
            .fetch_optional(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    const fn select_latest() -> &'static str {
        "SELECT tenant_id, version, policies, schema, policy_count, note, created_by, created_at \
         FROM authz_policy_versions WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1"
    }

    /// Version `version`.
    pub async fn get(&self, tenant: &TenantId, version: i64) -> Result<Option<PolicyVersion>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(
            "SELECT tenant_id, version, policies, schema, policy_count, note, created_by, created_at \
             FROM authz_policy_versions WHERE tenant_id = $1 AND version = $2",
        )
        .bind(tenant)
        .bind(version)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The newest `limit` versions, newest first.
    pub async fn history(&self, tenant: &TenantId, limit: u32) -> Result<Vec<PolicyVersion>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let v = query(
            "SELECT tenant_id, version, policies, schema, policy_count, note, created_by, created_at \
             FROM authz_policy_versions WHERE tenant_id = $1 ORDER BY version DESC LIMIT $2",
        )
        .bind(tenant)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Publishes version `to`'s content again as the next version.
    pub async fn rollback(
        &self,
        tenant: &TenantId,
        to: i64,
        by: Option<&str>,
    ) -> Result<(PolicyVersion, Checked)> {
        let old = self
            .get(tenant, to)
            .await?
            .ok_or_else(|| Error::not_found(format!("policy version {to} not found")))?;
        let head = self.current(tenant).await?.map(|v| v.version);
        let draft = PolicyDraft {
            policies: old.policies,
            schema: old.schema,
            note: Some(format!("rollback to version {to}")),
        };
        self.publish(tenant, &draft, head, by).await
    }
}
