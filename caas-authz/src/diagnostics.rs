//! Cedar's diagnostics as CAAS errors: each with its line, column and
//! message, in the error's details (a problem's `errors` member), so a
//! person sees where their policy or schema went wrong.

use caas_core::Error;
use miette::Diagnostic;
use serde::Serialize;

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line, when Cedar points at the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column (characters), when Cedar points at the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// A hint, when Cedar has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// The line and column of byte `offset` in `source`.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The findings of `diagnostic` and its related ones, located in `source`.
pub(crate) fn findings(diagnostic: &dyn Diagnostic, source: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |d: &dyn Diagnostic| {
        let at = d
            .labels()
            .and_then(|mut labels| labels.next())
            .map(|l| position(source, l.offset()));
        out.push(Finding {
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            message: d.to_string(),
            help: d.help().map(|h| h.to_string()),
        });
    };
    push(diagnostic);
    if let Some(related) = diagnostic.related() {
        for d in related {
            push(d);
        }
    }
    out
}

/// A 400 with `code` whose details are `findings`.
pub(crate) fn invalid(code: &'static str, what: &str, findings: Vec<Finding>) -> Error {
    let first = findings
        .first()
        .map(|f| match (f.line, f.column) {
            (Some(l), Some(c)) => format!(" (line {l}, column {c}: {})", f.message),
            _ => format!(" ({})", f.message),
        })
        .unwrap_or_default();
    let count = findings.len();
    Error::invalid_input(format!(
        "the {what} has {count} problem{}{first}",
        if count == 1 { "" } else { "s" }
    ))
    .with_code(code)
    .with_details(serde_json::to_value(findings).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let src = "permit(\n  principal,\n  actoin\n);";
        assert_eq!(position(src, 0), (1, 1));
        assert_eq!(position(src, src.find("actoin").unwrap()), (3, 3));
        assert_eq!(position("šš\nx", 5), (2, 1));
    }
}
