//! [`PasswordPolicy`]: the rules a new password must meet — length (NIST SP
//! 800-63B: at least 8 characters, long passphrases allowed), not a common
//! password (a shipped list of about 11,600, extendable), and not the
//! user's own email or username.

use std::collections::HashSet;
use std::sync::Arc;

use caas_core::{Error, Result};

/// The shipped list (see the file's header for its source and licence).
const COMMON: &str = include_str!("../../data/common-passwords.txt");

/// What a new password must meet.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// Fewest characters (default 8).
    pub min_chars: usize,
    /// Most bytes (default 1024: long passphrases, bounded hashing work).
    pub max_bytes: usize,
    /// Refuse passwords on the common list (default on).
    pub refuse_common: bool,
    common: Arc<HashSet<String>>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_chars: 8,
            max_bytes: 1024,
            refuse_common: true,
            common: Arc::new(
                COMMON
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.is_empty())
                    .map(str::to_lowercase)
                    .collect(),
            ),
        }
    }
}

impl PasswordPolicy {
    /// Adds passwords to refuse (compared case-insensitively), e.g. the
    /// tenant's name or a breach corpus.
    #[must_use]
    pub fn refusing<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, more: I) -> Self {
        let mut set = (*self.common).clone();
        set.extend(more.into_iter().map(|s| s.as_ref().to_lowercase()));
        self.common = Arc::new(set);
        self
    }

    /// How many passwords the list refuses.
    pub fn common_count(&self) -> usize {
        self.common.len()
    }

    /// Checks a new password for a user with these identifiers; the error
    /// names the field `password` and says which rule failed (never echoes it).
    pub fn check(&self, password: &str, identifiers: &[&str]) -> Result<()> {
        let fail = |why: String| Err(Error::invalid_input(why).with_field("password"));
        let chars = password.chars().count();
        if chars < self.min_chars {
            return fail(format!(
                "the password is too short: use at least {} characters",
                self.min_chars
            ));
        }
        if password.len() > self.max_bytes {
            return fail(format!(
                "the password is too long: at most {} bytes",
                self.max_bytes
            ));
        }
        if password.chars().any(char::is_control) {
            return fail("the password contains control characters".into());
        }
        let folded = password.to_lowercase();
        if self.refuse_common && self.common.contains(&folded) {
            return fail(
                "this password is among the most common ones and easy to guess; choose another"
                    .into(),
            );
        }
        if identifiers
            .iter()
            .map(|i| i.trim().to_lowercase())
            .any(|i| !i.is_empty() && (i == folded || i.split('@').next() == Some(folded.as_str())))
        {
            return fail("the password must not be your email or username".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_hold() {
        let p = PasswordPolicy::default();
        assert!(p.common_count() > 11_000);
        p.check("tramvaj-na-rožniku", &["ana@example.com"]).unwrap();
        for (bad, why) in [
            ("abc1234", "too short"),
            ("password1", "common"),
            ("PASSWORD1", "common"),
            ("ana.kovac@example.com", "email"),
            ("ana.kovac", "email"),
            ("with\u{7}bell-x", "control"),
        ] {
            let e = p.check(bad, &["ana.kovac@example.com"]).unwrap_err();
            assert_eq!(e.field(), Some("password"), "{bad}");
            assert!(e.to_string().contains(why), "{bad}: {e}");
            assert!(!e.to_string().contains(bad), "the password is echoed: {e}");
        }
        assert!(p.check(&"x".repeat(1025), &[]).is_err());
        let p = p.refusing(["acme-corp-2026"]);
        assert!(p.check("ACME-corp-2026", &[]).is_err());
    }
}
