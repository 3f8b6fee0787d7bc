//! Input checks shared by the stores: identifiers, free text, subject ids.
//! Each error is invalid input naming the field.

use caas_core::validate::{self, Identifier};
use caas_core::{Error, Result};

/// Checks an identifier: 1 to 64 of a-z, 0-9, `_`, `-`, `.`.
pub(crate) fn check_id(value: &str, field: &'static str) -> Result<()> {
    Identifier::new(64, &['_', '-', '.']).check(value, field)
}

/// Checks free text: 1 to `max` characters, no control characters except
/// newlines.
pub(crate) fn check_text(value: &str, field: &'static str, max: usize) -> Result<()> {
    validate::check_text(value, field, max, true)
}

/// Checks a subject id: 1 to 256 characters without control characters.
pub(crate) fn check_subject(subject: &str) -> Result<()> {
    if (1..=256).contains(&subject.len()) && !subject.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(
            Error::invalid_input("a subject id is 1 to 256 characters without control characters")
                .with_field("subject"),
        )
    }
}
