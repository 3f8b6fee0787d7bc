//! Validation helpers shared by every module that checks user input.

use std::time::Duration;

use crate::{Error, Result};

/// `secs` as a [`Duration`] when it is 1 to `max` seconds; otherwise
/// invalid input naming `field` and the documented maximum.
///
/// Every duration a request body carries goes through this (or a
/// field-specific check with the same shape), so no number reaches a
/// timestamp computation unbounded.
pub fn bounded_duration(field: &'static str, secs: u64, max: Duration) -> Result<Duration> {
    if secs == 0 {
        return Err(Error::invalid_input(format!("`{field}` must be positive")).with_field(field));
    }
    if secs > max.as_secs() {
        return Err(Error::invalid_input(format!(
            "`{field}` must be at most {} seconds",
            max.as_secs()
        ))
        .with_field(field));
    }
    Ok(Duration::from_secs(secs))
}

/// Shortens user input quoted in error messages to a readable length.
pub fn truncate(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.escape_debug().to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{}…", head.escape_debug())
    }
}

/// Checks that `value` is 1 to `max` characters of a-z, 0-9 and `extra`.
///
/// `what` names the value in the message, e.g. ``topic name``. The same as
/// [`Identifier::new`]`(max, extra)` without a field; use [`Identifier`]
/// for a request field, uppercase letters or ids that must not be a number.
pub fn check_identifier(value: &str, what: &str, max: usize, extra: &[char]) -> Result<()> {
    Identifier::new(max, extra).check_named(value, what)
}

/// The shape of an identifier: 1 to `max` characters of a-z, 0-9 and a few
/// punctuation characters, optionally A-Z, optionally not digits only.
///
/// Every crate checks its ids with one of these (a tenant slug, a role
/// name, a device id, a rule-set id, a consent purpose), so the rule and
/// the message read the same everywhere:
///
/// ```
/// use caas_core::validate::Identifier;
///
/// const ROLE: Identifier<'static> = Identifier::new(64, &['_', '-', '.', ':']);
/// assert!(ROLE.check("billing:admin", "role").is_ok());
/// let e = ROLE.check("Admin", "role").unwrap_err();
/// assert_eq!(e.field(), Some("role"));
/// assert_eq!(
///     e.message(),
///     "role `Admin` must be 1 to 64 characters of a-z, 0-9 and `_`, `-`, `.`, `:`"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identifier<'a> {
    max: usize,
    extra: &'a [char],
    uppercase: bool,
    digits_only: bool,
}

impl<'a> Identifier<'a> {
    /// 1 to `max` characters of a-z, 0-9 and `extra`.
    pub const fn new(max: usize, extra: &'a [char]) -> Self {
        Identifier {
            max,
            extra,
            uppercase: false,
            digits_only: true,
        }
    }

    /// Also A-Z.
    pub const fn with_uppercase(mut self) -> Self {
        self.uppercase = true;
        self
    }

    /// Refuses an id of digits only (so it is never mistaken for a number).
    pub const fn not_only_digits(mut self) -> Self {
        self.digits_only = false;
        self
    }

    /// Whether `value` has this shape.
    pub fn is_valid(&self, value: &str) -> bool {
        !value.is_empty()
            && value.len() <= self.max
            && value.chars().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || (self.uppercase && c.is_ascii_uppercase())
                    || self.extra.contains(&c)
            })
            && (self.digits_only || !value.bytes().all(|b| b.is_ascii_digit()))
    }

    /// `value` checked; the error is invalid input naming `field`.
    pub fn check(&self, value: &str, field: &'static str) -> Result<()> {
        self.check_named(value, field)
            .map_err(|e| e.with_field(field))
    }

    /// `value` checked, the message naming it `what` (no field).
    pub fn check_named(&self, value: &str, what: &str) -> Result<()> {
        if self.is_valid(value) {
            return Ok(());
        }
        let letters = if self.uppercase { "A-Z, a-z" } else { "a-z" };
        let allowed = match self.extra {
            [] => format!("{letters} and 0-9"),
            extra => {
                let extra: Vec<String> = extra.iter().map(|c| format!("`{c}`")).collect();
                format!("{letters}, 0-9 and {}", extra.join(", "))
            }
        };
        let digits = if self.digits_only {
            ""
        } else {
            ", not only digits"
        };
        Err(Error::invalid_input(format!(
            "{what} `{}` must be 1 to {} characters of {allowed}{digits}",
            truncate(value),
            self.max
        )))
    }
}

/// Checks free text such as a display name: 1 to `max` characters after
/// trimming, no control characters (newlines too when `multiline`); the
/// error is invalid input naming `field`.
pub fn check_text(value: &str, field: &'static str, max: usize, multiline: bool) -> Result<()> {
    let trimmed = value.trim();
    let ok = !trimmed.is_empty()
        && trimmed.chars().count() <= max
        && !trimmed
            .chars()
            .any(|c| c.is_control() && !(multiline && c == '\n'));
    if ok {
        Ok(())
    } else {
        Err(
            Error::invalid_input(format!("`{field}` must be 1 to {max} characters of text"))
                .with_field(field),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_for_length_and_characters() {
        assert!(check_identifier("auth.revoked", "topic", 128, &['.', '-', '_']).is_ok());
        let e = check_identifier("Bad", "topic", 128, &['.']).unwrap_err();
        assert_eq!(
            e.message(),
            "topic `Bad` must be 1 to 128 characters of a-z, 0-9 and `.`"
        );
        let e = check_identifier("", "x", 8, &[]).unwrap_err();
        assert_eq!(e.message(), "x `` must be 1 to 8 characters of a-z and 0-9");
        assert!(check_identifier("abcdefghi", "x", 8, &[]).is_err());
        assert!(check_identifier("a:b", "x", 8, &['-']).is_err());
    }

    #[test]
    fn identifier_rules_cover_case_digits_and_fields() {
        let device = Identifier::new(128, &['-', '_', '.']).with_uppercase();
        assert!(device.check("Phone-1.A_b", "device_id").is_ok());
        let e = device.check("a b", "device_id").unwrap_err();
        assert_eq!(e.field(), Some("device_id"));
        assert_eq!(
            e.message(),
            "device_id `a b` must be 1 to 128 characters of A-Z, a-z, 0-9 and `-`, `_`, `.`"
        );
        let rule_set = Identifier::new(64, &['-', '_']).not_only_digits();
        assert!(rule_set.check("ksp2", "id").is_ok());
        let e = rule_set.check("2024", "id").unwrap_err();
        assert_eq!(
            e.message(),
            "id `2024` must be 1 to 64 characters of a-z, 0-9 and `-`, `_`, not only digits"
        );
        assert!(Identifier::new(64, &[]).check("2024", "id").is_ok());
        assert!(rule_set.check(&"a".repeat(65), "id").is_err());
        assert!(rule_set.check("", "id").is_err());
        assert!(rule_set.check("é", "id").is_err(), "ASCII only");
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert!(check_text("  Kamen  ", "name", 5, false).is_ok());
        assert!(check_text("Kamen!", "name", 5, false).is_err());
        assert!(check_text("   ", "name", 5, false).is_err());
        assert!(check_text("a\nb", "note", 5, false).is_err());
        assert!(check_text("a\nb", "note", 5, true).is_ok());
        let e = check_text("a\u{7}b", "note", 5, true).unwrap_err();
        assert_eq!(e.field(), Some("note"));
        assert_eq!(e.message(), "`note` must be 1 to 5 characters of text");
    }

    #[test]
    fn durations_are_bounded_and_name_their_field() {
        let max = Duration::from_secs(3600);
        assert_eq!(
            bounded_duration("ttl", 1, max).unwrap(),
            Duration::from_secs(1)
        );
        assert_eq!(bounded_duration("ttl", 3600, max).unwrap(), max);
        let e = bounded_duration("ttl", 3601, max).unwrap_err();
        assert_eq!(e.message(), "`ttl` must be at most 3600 seconds");
        assert_eq!(e.field(), Some("ttl"));
        assert!(bounded_duration("ttl", 0, max).is_err());
        assert!(bounded_duration("ttl", u64::MAX, max).is_err());
    }

    #[test]
    fn long_input_is_shortened_in_messages() {
        assert_eq!(truncate("short"), "short");
        let shown = truncate(&"x".repeat(10_000));
        assert_eq!(shown.chars().count(), 81, "80 characters and an ellipsis");
        assert_eq!(truncate("a\nb"), "a\\nb", "control characters are escaped");
    }
}
