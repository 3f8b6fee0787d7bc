//! [`AuthzSource`]: caas-authz's personal data for data-subject requests —
//! the subject's `User` entity (attributes, groups, role assignments) and
//! the access entries it holds on resources. Erasure goes through the
//! engine, so every instance drops what it cached.

use std::collections::BTreeMap;

use async_trait::async_trait;
use caas_core::{
    DataCategory, DataSubjectSource, ErasureMethod, ErasureOutcome, Result, SubjectExport,
    SubjectRef,
};

use crate::{Engine, EntityRef};

/// caas-authz's data-subject source.
#[derive(Debug, Clone)]
pub struct AuthzSource(pub Engine);

#[async_trait]
impl DataSubjectSource for AuthzSource {
    fn name(&self) -> &str {
        "caas-authz.entities"
    }

    fn categories(&self) -> Vec<DataCategory> {
        vec![
            DataCategory {
                name: "authz_entity".into(),
                description: "the subject's authorization entity: attributes used by policies, \
                              groups and role assignments"
                    .into(),
                fields: vec!["attrs".into(), "parents".into()],
                retention: "until the subject is erased".into(),
            },
            DataCategory {
                name: "access_entries".into(),
                description: "resources shared with the subject, with the role held".into(),
                fields: vec!["resource".into(), "role".into()],
                retention: "until revoked or the subject is erased".into(),
            },
        ]
    }

    fn tables(&self) -> Vec<&'static str> {
        vec!["authz_entities", "authz_entity_parents", "authz_access"]
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let user = EntityRef::new("User", subject.subject.as_str());
        let entity = self.0.admin().get_entity(&subject.tenant, &user).await?;
        let access = self
            .0
            .admin()
            .access_held_by(&subject.tenant, &user)
            .await?;
        let mut categories = BTreeMap::new();
        categories.insert("authz_entity".to_owned(), serde_json::to_value(entity)?);
        categories.insert("access_entries".to_owned(), serde_json::to_value(access)?);
        Ok(SubjectExport {
            source: self.name().to_owned(),
            categories,
        })
    }

    async fn erase(&self, subject: &SubjectRef, _method: ErasureMethod) -> Result<ErasureOutcome> {
        let user = EntityRef::new("User", subject.subject.as_str());
        Ok(ErasureOutcome {
            records: self
                .0
                .admin()
                .erase_principal(&subject.tenant, &user)
                .await?,
            retained: Vec::new(),
        })
    }

    async fn restrict(&self, _subject: &SubjectRef, _restricted: bool) -> Result<()> {
        // Authorization data is what keeps a restricted subject's data from
        // being used; it is not processed for anything else.
        Ok(())
    }
}
