//! Erasing one category of a subject's data — a player deleting their game
//! history — as a data-subject erasure limited to that category: legal
//! holds are respected, the subject's keys stay (the rest of their data is
//! still sealed under them), and the step is audited.

use caas_core::{ErasureMethod, Error, Result, Retained, SubjectRef};

use super::Requests;
use super::model::{ErasureReport, SourceErasure};
use crate::check::check_subject;

/// The longest category or part name accepted.
const MAX_NAME: usize = 128;

fn check_name(value: &str, field: &'static str) -> Result<()> {
    if value.is_empty() || value.len() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(Error::invalid_input(format!(
            "`{field}` must be 1 to {MAX_NAME} characters without control characters"
        ))
        .with_field(field));
    }
    Ok(())
}

impl Requests {
    /// Erases `who`'s data of `category` only (narrowed to `part` when
    /// given, as the sources holding it define parts), by `method`, on
    /// behalf of `by`; audited as `privacy.category_erased`.
    ///
    /// Refused when no registered source holds `category` (404
    /// `unknown_category`) or a source holding it cannot erase it apart
    /// from the rest (400 `category_not_separable`); a legal hold covering
    /// the subject's `category` keeps it (reported in `retained` and
    /// `limited_by`, nothing erased).
    pub async fn erase_category(
        &self,
        who: &SubjectRef,
        category: &str,
        part: Option<&str>,
        method: ErasureMethod,
        by: &str,
    ) -> Result<ErasureReport> {
        // Everything that can refuse is checked before anything is erased:
        // an erasure that fails half-way, or goes unaudited, is worse than
        // none.
        check_subject(&who.subject)?;
        check_subject(by).map_err(|e| e.with_field("by"))?;
        check_name(category, "category")?;
        if let Some(part) = part {
            check_name(part, "part")?;
        }
        if part.is_some() && method == ErasureMethod::Anonymize {
            return Err(Error::invalid_input(
                "a part of a category is erased by `delete`, not anonymized",
            )
            .with_field("part"));
        }
        let holding: Vec<_> = self
            .sources
            .all()?
            .into_iter()
            .filter(|s| s.categories().iter().any(|c| c.name == category))
            .collect();
        if holding.is_empty() {
            return Err(
                Error::not_found(format!("no source holds the category `{category}`"))
                    .with_field("category")
                    .with_code("unknown_category"),
            );
        }
        if let Some(source) = holding
            .iter()
            .find(|s| !s.separates(category, part.is_some()))
        {
            return Err(Error::invalid_input(format!(
                "`{}` cannot erase `{category}`{} apart from the rest of the subject's data: \
                 file an erasure request",
                source.name(),
                if part.is_some() { " by part" } else { "" },
            ))
            .with_field("category")
            .with_code("category_not_separable"));
        }
        let holds: Vec<_> = self
            .holds
            .in_force(&who.tenant)
            .await?
            .into_iter()
            .filter(|h| h.covers(&who.subject, category))
            .collect();
        let mut sources = Vec::new();
        for source in holding {
            if !holds.is_empty() {
                sources.push(SourceErasure {
                    source: source.name().to_owned(),
                    records: 0,
                    retained: holds
                        .iter()
                        .map(|h| Retained {
                            category: category.to_owned(),
                            reason: format!("legal hold {} ({})", h.id, h.case_reference),
                        })
                        .collect(),
                });
                continue;
            }
            let outcome = source
                .erase_category(who, category, part, method)
                .await?
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "`{}` cannot erase `{category}` apart from the rest of the subject's data: \
                         file an erasure request",
                        source.name()
                    ))
                    .with_field("category")
                    .with_code("category_not_separable")
                })?;
            sources.push(SourceErasure {
                source: source.name().to_owned(),
                records: outcome.records,
                retained: outcome.retained,
            });
        }
        let report = ErasureReport {
            method,
            sources,
            keys_shredded: false,
            limited_by: holds.iter().map(|h| h.id.clone()).collect(),
        };
        let records: u64 = report.sources.iter().map(|s| s.records).sum();
        self.trail
            .audit(
                &who.tenant,
                by,
                "privacy.category_erased",
                &who.subject,
                serde_json::json!({
                    "category": category,
                    "part": part,
                    "method": method,
                    "records": records,
                    "limited_by": report.limited_by,
                }),
            )
            .await?;
        Ok(report)
    }
}
