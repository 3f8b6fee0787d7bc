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
/// `what` names the value in the message, e.g. ``topic name``.
pub fn check_identifier(value: &str, what: &str, max: usize, extra: &[char]) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c));
    if ok {
        return Ok(());
    }
    let allowed = match extra {
        [] => "a-z and 0-9".to_owned(),
        _ => {
            let extra: Vec<String> = extra.iter().map(|c| format!("`{c}`")).collect();
            format!("a-z, 0-9 and {}", extra.join(", "))
        }
    };
    Err(Error::invalid_input(format!(
        "{what} `{}` must be 1 to {max} characters of {allowed}",
        truncate(value)
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
        let e = check_identifier("", "x", 8, &[]).unwrap_err();
        assert_eq!(e.message(), "x `` must be 1 to 8 characters of a-z and 0-9");
        assert!(check_identifier("abcdefghi", "x", 8, &[]).is_err());
        assert!(check_identifier("a:b", "x", 8, &['-']).is_err());
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
