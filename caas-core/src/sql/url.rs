//! Parsing and redacting database URLs.

use std::fmt;
use std::path::PathBuf;

use crate::validate::truncate;
use crate::{Error, Result};

/// A validated database URL.
///
/// `sqlite::memory:` (or `sqlite://:memory:`) opens a private in-memory
/// database; `sqlite://path` or `sqlite:path` opens a file (created if
/// missing, its directory must exist); `postgres://…` or `postgresql://…`
/// opens PostgreSQL. `Display` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// SQLite; `None` is a private in-memory database.
    Sqlite(Option<PathBuf>),
    /// PostgreSQL, as given (with credentials).
    Postgres(url::Url),
}

impl DatabaseUrl {
    /// Parses and validates `s`.
    pub fn parse(s: &str) -> Result<Self> {
        let invalid = |why: String| {
            Error::invalid_input(format!("invalid database URL: {why}")).with_field("database_url")
        };
        let s = s.trim();
        let Some((scheme, rest)) = s.split_once(':') else {
            return Err(invalid(format!(
                "`{}` has no scheme; use `sqlite://…` or `postgres://…`",
                truncate(s)
            )));
        };
        match scheme {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.contains('?') {
                    return Err(invalid("SQLite URLs take no parameters".to_owned()));
                }
                if path.is_empty() {
                    return Err(invalid(
                        "the SQLite URL names no file; use `sqlite::memory:` for an in-memory database"
                            .to_owned(),
                    ));
                }
                if path == ":memory:" {
                    return Ok(DatabaseUrl::Sqlite(None));
                }
                Ok(DatabaseUrl::Sqlite(Some(PathBuf::from(path))))
            }
            "postgres" | "postgresql" => {
                let url = url::Url::parse(s).map_err(|e| invalid(e.to_string()))?;
                if url.host_str().is_none_or(str::is_empty) && !has_socket_host(&url) {
                    return Err(invalid("the PostgreSQL URL names no host".to_owned()));
                }
                Ok(DatabaseUrl::Postgres(url))
            }
            other => Err(invalid(format!(
                "unsupported scheme `{}`; use `sqlite://…` or `postgres://…`",
                truncate(other)
            ))),
        }
    }

    /// `sqlite`, `sqlite (memory)` or `postgres`, for logs and health reports.
    pub fn engine(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// `postgres:///db?host=/run/postgresql` names a Unix socket directory instead of a host.
fn has_socket_host(url: &url::Url) -> bool {
    url.query_pairs().any(|(k, _)| k == "host")
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(None) => f.write_str("sqlite::memory:"),
            DatabaseUrl::Sqlite(Some(path)) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The URL with its password (and any `password` parameter) replaced by `***`.
pub(crate) fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Setting a password only fails for URLs without a host, which have none to hide.
        let _ = shown.set_password(Some("***"));
    }
    if url.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::Sqlite(None)
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://:memory:").unwrap(),
            DatabaseUrl::Sqlite(None)
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/caas.sqlite3").unwrap(),
            DatabaseUrl::Sqlite(Some("data/caas.sqlite3".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/caas.db").unwrap(),
            DatabaseUrl::Sqlite(Some("/var/lib/caas.db".into()))
        );
    }

    #[test]
    fn postgres_urls_keep_credentials_but_never_show_them() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/caas").unwrap();
        let shown = url.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@db.internal"), "{shown}");
        assert!(!format!("{url:?}").contains("s3cret"));
        let url = DatabaseUrl::parse("postgresql://db/caas?user=a&password=pw").unwrap();
        assert!(!url.to_string().contains("pw"), "{url}");
    }

    #[test]
    fn malformed_urls_are_invalid_input() {
        for (input, why) in [
            ("not a url", "no scheme"),
            ("mysql://localhost/db", "unsupported scheme `mysql`"),
            ("sqlite://", "names no file"),
            ("sqlite://x.db?mode=ro", "no parameters"),
            ("postgres://", "names no host"),
            ("postgres://[::1/db", "invalid database URL"),
        ] {
            let e = DatabaseUrl::parse(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{input}");
            assert!(e.message().contains(why), "{input}: {}", e.message());
            assert_eq!(e.field(), Some("database_url"));
        }
    }
}
