//! Records of processing activities (GDPR Art. 30(1) a–g), per tenant:
//! the controller's part is edited by the tenant; the export adds the
//! registered purposes and every source's data categories.

use caas_core::sql::{Scalar, query};
use caas_core::{DataCategory, Db, Error, Result, SharedClock, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::check::check_text;
use crate::consent::{Consents, Purpose};
use crate::db;
use crate::parts::{PrivacyParts, Trail};
use crate::registry::SourceRegistry;

/// (a) The controller and its contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Name.
    pub name: String,
    /// Contact details.
    pub contact: String,
    /// Joint controller, if any.
    #[serde(default)]
    pub joint_controller: Option<String>,
    /// Representative in the Union, if any.
    #[serde(default)]
    pub representative: Option<String>,
    /// Data protection officer, if any.
    #[serde(default)]
    pub dpo: Option<String>,
}

/// One processing activity: (b)–(g).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Name.
    pub name: String,
    /// (b) Purposes (ids of registered purposes or free text).
    pub purposes: Vec<String>,
    /// (c) Categories of data subjects.
    pub subject_categories: Vec<String>,
    /// (c) Categories of personal data.
    pub data_categories: Vec<String>,
    /// (d) Recipients.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// (e) Transfers to third countries, with safeguards.
    #[serde(default)]
    pub transfers: Vec<String>,
    /// (f) Time limits for erasure.
    pub retention: String,
    /// (g) Technical and organisational security measures.
    pub security_measures: String,
}

/// The editable records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProcessingRecords {
    /// (a).
    pub controller: Controller,
    /// (b)–(g) per activity.
    pub activities: Vec<Activity>,
}

/// A source's categories, as described by the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceCategories {
    /// The source.
    pub source: String,
    /// Its categories.
    pub categories: Vec<DataCategory>,
}

/// The export: the records plus what the platform knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessingExport {
    /// The tenant.
    pub tenant: TenantId,
    /// The edited records (empty until edited).
    pub records: ProcessingRecords,
    /// The registered purposes.
    pub purposes: Vec<Purpose>,
    /// Every source's categories (from `describe`).
    pub sources: Vec<SourceCategories>,
    /// When the records were last edited.
    pub updated_at: Option<Timestamp>,
}

const MAX_DOCUMENT: usize = 256 * 1024;

/// The records of processing. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Processing {
    db: Db,
    clock: SharedClock,
    trail: Trail,
    sources: SourceRegistry,
    consents: Consents,
}

impl Processing {
    /// The store on `parts.db`; the export lists every source in `sources`
    /// and the purposes registered in `consents`. Changes are audited to
    /// `parts.audit`.
    pub fn new(parts: &PrivacyParts, sources: SourceRegistry, consents: Consents) -> Self {
        Processing {
            db: parts.db.clone(),
            clock: parts.clock.clone(),
            trail: Trail::audit_only(parts),
            sources,
            consents,
        }
    }

    /// Replaces the tenant's records of processing.
    pub async fn put(
        &self,
        tenant: &TenantId,
        records: ProcessingRecords,
        by: &str,
    ) -> Result<ProcessingExport> {
        check_text(&records.controller.name, "controller.name", 500)?;
        check_text(&records.controller.contact, "controller.contact", 1_000)?;
        for a in &records.activities {
            check_text(&a.name, "activities.name", 500)?;
            check_text(&a.retention, "activities.retention", 1_000)?;
            check_text(&a.security_measures, "activities.security_measures", 4_000)?;
            if a.purposes.is_empty() {
                return Err(
                    Error::invalid_input("every activity names at least one purpose")
                        .with_field("activities.purposes"),
                );
            }
        }
        let text = serde_json::to_string(&records)?;
        if text.len() > MAX_DOCUMENT {
            return Err(Error::invalid_input(
                "the records of processing exceed 256 KiB",
            ));
        }
        let q = query(
            "INSERT INTO privacy_processing (tenant_id, document, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET document = $2, updated_at = $3",
        )
        .bind(tenant)
        .bind(text)
        .bind(self.clock.now());
        db::exec(&self.db, tenant, q).await?;
        self.trail
            .audit(
                tenant,
                by,
                "privacy.processing_changed",
                &tenant.to_string(),
                serde_json::json!({}),
            )
            .await?;
        self.export(tenant).await
    }

    /// The records of processing with the purposes and every source's
    /// categories.
    pub async fn export(&self, tenant: &TenantId) -> Result<ProcessingExport> {
        let q = query("SELECT document FROM privacy_processing WHERE tenant_id = $1").bind(tenant);
        let doc: Option<Scalar<String>> = db::one(&self.db, tenant, q).await?;
        let q =
            query("SELECT updated_at FROM privacy_processing WHERE tenant_id = $1").bind(tenant);
        let updated: Option<Scalar<i64>> = db::one(&self.db, tenant, q).await?;
        let records = match doc {
            Some(Scalar(text)) => db::json(&text)?,
            None => ProcessingRecords::default(),
        };
        let sources = self
            .sources
            .all()?
            .iter()
            .map(|s| SourceCategories {
                source: s.name().to_owned(),
                categories: s.categories(),
            })
            .collect();
        Ok(ProcessingExport {
            tenant: *tenant,
            records,
            purposes: self.consents.purposes(tenant).await?,
            sources,
            updated_at: updated.map(|Scalar(ms)| Timestamp::from_millis(ms)),
        })
    }
}
