//! Schemas of the caas-core types that cross the privacy API (caas-core
//! has no utoipa): the same serde shape, for `schema(value_type = …)` only.

#![allow(dead_code, reason = "schemas only: never built, read by utoipa")]

use serde::Serialize;
use utoipa::ToSchema;

/// How to erase a subject's data.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ErasureMethod {
    /// Delete the records.
    Delete,
    /// Keep the records but remove everything that identifies the subject.
    Anonymize,
}

/// Data a source had to keep when erasing, and why.
#[derive(Serialize, ToSchema)]
pub(crate) struct Retained {
    /// The category kept.
    pub(crate) category: String,
    /// The legal reason (e.g. `tax records, 10 years`).
    pub(crate) reason: String,
}

/// A kind of personal data a source holds, for records of processing.
#[derive(Serialize, ToSchema)]
pub(crate) struct DataCategory {
    /// Machine name, e.g. `account`.
    pub(crate) name: String,
    /// What it is and why it is kept.
    pub(crate) description: String,
    /// The personal fields in it, e.g. `["email", "display_name"]`.
    pub(crate) fields: Vec<String>,
    /// How long it is kept, in words (e.g. `until account deletion`).
    pub(crate) retention: String,
}

#[cfg(test)]
mod tests {
    use caas_core::{DataCategory, ErasureMethod, Retained};

    /// The mirrors describe what caas-core sends.
    #[test]
    fn mirrors_have_caas_core_shape() {
        assert_eq!(
            serde_json::to_value(ErasureMethod::Anonymize).unwrap(),
            serde_json::to_value(super::ErasureMethod::Anonymize).unwrap()
        );
        let kept = Retained {
            category: "c".into(),
            reason: "r".into(),
        };
        let mirror = super::Retained {
            category: "c".into(),
            reason: "r".into(),
        };
        assert_eq!(
            serde_json::to_value(kept).unwrap(),
            serde_json::to_value(mirror).unwrap()
        );
        let category = DataCategory {
            name: "n".into(),
            description: "d".into(),
            fields: vec!["f".into()],
            retention: "r".into(),
        };
        let mirror = super::DataCategory {
            name: "n".into(),
            description: "d".into(),
            fields: vec!["f".into()],
            retention: "r".into(),
        };
        assert_eq!(
            serde_json::to_value(category).unwrap(),
            serde_json::to_value(mirror).unwrap()
        );
    }
}
