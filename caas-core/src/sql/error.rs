//! Mapping database errors onto [`ErrorKind`](crate::ErrorKind).

use crate::Error;

/// Converts a sqlx error into a CAAS error with a kind callers can act on.
///
/// Constraint violations become `Conflict` (stores check input first, so a
/// violation means a concurrent writer got there first); connection trouble
/// becomes `Unavailable`; everything else is `Internal`.
pub(crate) fn from_sqlx(e: sqlx::Error) -> Error {
    use sqlx::error::ErrorKind as Db;
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match db.kind() {
                Db::UniqueViolation => {
                    Error::conflict("a record with the same unique value already exists")
                }
                Db::ForeignKeyViolation => {
                    Error::conflict("the record is referenced by, or references, another record")
                }
                Db::NotNullViolation | Db::CheckViolation | Db::ExclusionViolation => {
                    Error::internal(format!("database rejected a value: {}", db.message()))
                }
                _ if is_unavailable(db.as_ref(), &code) => {
                    Error::unavailable(format!("database unavailable: {}", db.message()))
                }
                _ => Error::internal(format!("database error {code}: {}", db.message())),
            }
        }
        sqlx::Error::Io(io) => Error::unavailable(format!("cannot reach the database: {io}")),
        sqlx::Error::Tls(tls) => Error::unavailable(format!("database TLS error: {tls}")),
        sqlx::Error::PoolTimedOut => {
            Error::unavailable("timed out waiting for a database connection")
        }
        sqlx::Error::PoolClosed => Error::unavailable("the database pool is closed"),
        sqlx::Error::WorkerCrashed => Error::unavailable("the database worker stopped"),
        sqlx::Error::RowNotFound => Error::not_found("no such record"),
        sqlx::Error::Configuration(c) => {
            Error::invalid_input(format!("invalid database configuration: {c}"))
        }
        _ => Error::internal(format!("database error: {e}")),
    }
    .with_source(e)
}

/// Whether a database error means "try again later".
fn is_unavailable(db: &dyn sqlx::error::DatabaseError, code: &str) -> bool {
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        is_sqlite_busy(code)
    } else {
        is_unavailable_sqlstate(code)
    }
}

/// PostgreSQL SQLSTATEs: 08 connection exception, 53 insufficient resources,
/// 57P operator intervention (shutdown), 28 authorization, 3D000 no database.
fn is_unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code.starts_with("28")
        || code == "3D000"
}

/// SQLite result codes SQLITE_BUSY (5) and SQLITE_LOCKED (6), with extended codes.
fn is_sqlite_busy(code: &str) -> bool {
    matches!(code.parse::<u32>(), Ok(n) if matches!(n & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn connection_problems_are_unavailable() {
        let e = from_sqlx(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(
            from_sqlx(sqlx::Error::PoolTimedOut).kind(),
            ErrorKind::Unavailable
        );
    }

    #[test]
    fn unavailable_codes_per_engine() {
        for code in ["08006", "53300", "57P01", "28P01", "3D000"] {
            assert!(is_unavailable_sqlstate(code), "{code}");
        }
        // 42501 (an RLS violation) must not pass for SQLite's BUSY (42501 & 0xff == 5).
        for code in ["23505", "42P01", "42501", "40001"] {
            assert!(!is_unavailable_sqlstate(code), "{code}");
        }
        for code in ["5", "517", "6", "262"] {
            assert!(is_sqlite_busy(code), "{code}");
        }
        for code in ["1", "19", "2067"] {
            assert!(!is_sqlite_busy(code), "{code}");
        }
    }
}
