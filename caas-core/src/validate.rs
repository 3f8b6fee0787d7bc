//! Validation shared by names that end up in keys, channels and settings.

use crate::tenant::truncate;
use crate::{Error, Result};

/// Checks that `value` is 1 to `max` characters of a-z, 0-9 and `extra`.
///
/// `what` names the value in the message, e.g. ``topic name``.
pub(crate) fn check_identifier(value: &str, what: &str, max: usize, extra: &[char]) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c));
    if ok {
        return Ok(());
    }
    let allowed: Vec<String> = extra.iter().map(|c| format!("`{c}`")).collect();
    Err(Error::invalid_input(format!(
        "{what} `{}` must be 1 to {max} characters of a-z, 0-9 and {}",
        truncate(value),
        allowed.join(", ")
    )))
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
        assert!(check_identifier("", "x", 8, &[]).is_err());
        assert!(check_identifier("abcdefghi", "x", 8, &[]).is_err());
        assert!(check_identifier("a:b", "x", 8, &['-']).is_err());
    }
}
