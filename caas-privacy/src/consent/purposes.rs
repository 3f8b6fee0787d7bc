//! Purposes of processing: what a tenant processes personal data for, on
//! which legal basis (GDPR Art. 6(1)), which data categories, and how long
//! it is kept. Consent is given to a registered purpose.

use caas_core::sql::{FromRow, Row, query};
use caas_core::{Error, Result, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

use super::Consents;
use crate::check::{check_id, check_text};
use crate::db;

/// The legal basis of a processing purpose (GDPR Art. 6(1) a–f).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// (a) the subject's consent.
    Consent,
    /// (b) a contract with the subject.
    Contract,
    /// (c) a legal obligation.
    LegalObligation,
    /// (d) vital interests.
    VitalInterests,
    /// (e) a task in the public interest.
    PublicTask,
    /// (f) legitimate interests.
    LegitimateInterests,
}

/// A purpose of processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purpose {
    /// Machine id, e.g. `newsletter`.
    pub id: String,
    /// What the data is used for, as shown to the subject.
    pub description: String,
    /// The legal basis.
    pub legal_basis: LegalBasis,
    /// The data categories processed (names as in the sources' categories).
    pub categories: Vec<String>,
    /// How long the data is kept, in words.
    pub retention: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A purpose to register or replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPurpose {
    /// Machine id: 1 to 64 of a-z, 0-9, `_`, `-`, `.`.
    pub id: String,
    /// What the data is used for (1 to 2,000 characters).
    pub description: String,
    /// The legal basis.
    pub legal_basis: LegalBasis,
    /// Data categories (at most 50).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Retention in words (1 to 500 characters).
    pub retention: String,
}

struct PurposeRow(Purpose);

impl FromRow for PurposeRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let categories: String = row.get("categories")?;
        Ok(PurposeRow(Purpose {
            id: row.get("id")?,
            description: row.get("description")?,
            legal_basis: db::json(&format!("\"{}\"", row.get::<String>("legal_basis")?))?,
            categories: db::json(&categories)?,
            retention: row.get("retention")?,
            created_at: row.timestamp("created_at")?,
            updated_at: row.timestamp("updated_at")?,
        }))
    }
}

impl Consents {
    /// Registers (or replaces) a purpose.
    pub async fn put_purpose(
        &self,
        tenant: &TenantId,
        new: NewPurpose,
        by: &str,
    ) -> Result<Purpose> {
        check_id(&new.id, "id")?;
        check_text(&new.description, "description", 2_000)?;
        check_text(&new.retention, "retention", 500)?;
        if new.categories.len() > 50 {
            return Err(
                Error::invalid_input("a purpose has at most 50 data categories")
                    .with_field("categories"),
            );
        }
        for c in &new.categories {
            check_id(c, "categories")?;
        }
        // Registering the same purpose again (every instance of an app at
        // start-up) changes nothing, and so is not audited as a change.
        if let Ok(current) = self.purpose(tenant, &new.id).await
            && current.description == new.description
            && current.legal_basis == new.legal_basis
            && current.categories == new.categories
            && current.retention == new.retention
        {
            return Ok(current);
        }
        let now = self.clock.now();
        let basis = serde_json::to_value(new.legal_basis)?;
        let basis = basis.as_str().unwrap_or("consent").to_owned();
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO privacy_purposes (tenant_id, id, description, legal_basis, categories, \
             retention, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET description = $3, legal_basis = $4, \
             categories = $5, retention = $6, updated_at = $7",
        )
        .bind(tenant)
        .bind(new.id.as_str())
        .bind(new.description.as_str())
        .bind(basis)
        .bind(serde_json::to_string(&new.categories)?)
        .bind(new.retention.as_str())
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.purpose_changed",
                &new.id,
                serde_json::json!({}),
            )
            .await?;
        self.purpose(tenant, &new.id).await
    }

    /// The tenant's purposes, by id.
    pub async fn purposes(&self, tenant: &TenantId) -> Result<Vec<Purpose>> {
        let q = query(
            "SELECT id, description, legal_basis, categories, retention, created_at, updated_at \
             FROM privacy_purposes WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant);
        let rows: Vec<PurposeRow> = db::all(&self.db, tenant, q).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// One purpose; `not_found` when it is not registered.
    pub async fn purpose(&self, tenant: &TenantId, id: &str) -> Result<Purpose> {
        let q = query(
            "SELECT id, description, legal_basis, categories, retention, created_at, updated_at \
             FROM privacy_purposes WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id);
        db::one::<PurposeRow>(&self.db, tenant, q)
            .await?
            .map(|r| r.0)
            .ok_or_else(|| {
                Error::not_found(format!("no purpose `{id}` is registered")).with_field("purpose")
            })
    }
}
