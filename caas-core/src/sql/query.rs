//! One query text for both engines: [`query`], bind [`Value`]s, decode [`Row`]s.

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Row as _, Sqlite};
#[cfg(feature = "postgres")]
use sqlx::{
    Postgres,
    postgres::{PgArguments, PgRow},
};

use super::error::from_sqlx;
use super::{Db, Pool, Tx, TxInner};
use crate::{Error, Result, TenantId, Timestamp};

/// A value bound to a query parameter.
///
/// Every variant carries its SQL type, so a `NULL` is typed on PostgreSQL too.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `BIGINT`.
    Int(Option<i64>),
    /// `DOUBLE PRECISION` / `REAL`.
    Float(Option<f64>),
    /// `BOOLEAN`.
    Bool(Option<bool>),
    /// `TEXT`.
    Text(Option<String>),
    /// `BYTEA` / `BLOB`.
    Bytes(Option<Vec<u8>>),
}

macro_rules! value_from {
    ($variant:ident: $($t:ty => $conv:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                #[allow(clippy::redundant_closure_call, reason = "one macro serves owned and borrowed inputs")]
                Value::$variant(Some(($conv)(v)))
            }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Self {
                #[allow(clippy::redundant_closure_call, reason = "one macro serves owned and borrowed inputs")]
                Value::$variant(v.map($conv))
            }
        }
    )*};
}

value_from!(Int: i64 => |v| v, i32 => i64::from, u32 => i64::from);
value_from!(Float: f64 => |v| v);
value_from!(Bool: bool => |v| v);
value_from!(Text: String => |v| v, &str => str::to_owned, &String => String::clone);
value_from!(Bytes: Vec<u8> => |v| v, &[u8] => <[u8]>::to_vec);
value_from!(Text: TenantId => |v: TenantId| v.to_string(), &TenantId => |v: &TenantId| v.to_string());
value_from!(Text: uuid::Uuid => |v: uuid::Uuid| v.hyphenated().to_string());
value_from!(Int: Timestamp => Timestamp::as_millis);

/// Starts a query. The SQL is a `'static` string, so values can only enter
/// through [`Query::bind`] — never by formatting them into the text.
///
/// Write the portable subset: `$1`-style parameters numbered in order of first
/// use, `TEXT`, `BIGINT`, `BOOLEAN`, `BLOB`/`BYTEA`, `ON CONFLICT`, `RETURNING`.
pub fn query(sql: &'static str) -> Query {
    Query {
        sql,
        args: Vec::new(),
    }
}

/// A query and its bound values, ready to run on a [`Db`] or a [`Tx`].
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query {
    sql: &'static str,
    args: Vec<Value>,
}

/// Where a query runs: the pool of a [`Db`] or an open [`Tx`].
#[derive(Debug)]
pub struct Target<'a>(TargetInner<'a>);

#[derive(Debug)]
enum TargetInner<'a> {
    Pool(&'a Pool),
    Tx(&'a mut TxInner),
}

impl<'a> From<&'a Db> for Target<'a> {
    fn from(db: &'a Db) -> Self {
        Target(TargetInner::Pool(&db.inner.pool))
    }
}

impl<'a> From<&'a mut Tx> for Target<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Target(TargetInner::Tx(&mut tx.inner))
    }
}

/// Runs `$body` with `$q` bound to the engine-specific query and `$ex` to the executor.
macro_rules! on_engine {
    ($self:ident, $target:expr, |$q:ident, $ex:ident| $body:expr) => {
        match $target.into().0 {
            TargetInner::Pool(Pool::Sqlite(pool)) => {
                let $q = $self.sqlite()?;
                let $ex = pool;
                $body
            }
            TargetInner::Tx(TxInner::Sqlite(tx)) => {
                let $q = $self.sqlite()?;
                let $ex = &mut **tx;
                $body
            }
            #[cfg(feature = "postgres")]
            TargetInner::Pool(Pool::Postgres(pool)) => {
                let $q = $self.postgres()?;
                let $ex = pool;
                $body
            }
            #[cfg(feature = "postgres")]
            TargetInner::Tx(TxInner::Postgres(tx)) => {
                let $q = $self.postgres()?;
                let $ex = &mut **tx;
                $body
            }
        }
    };
}

impl Query {
    /// Binds the next parameter.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs the statement; returns the number of rows affected.
    pub async fn execute<'a>(self, on: impl Into<Target<'a>>) -> Result<u64> {
        on_engine!(self, on, |q, ex| {
            q.execute(ex)
                .await
                .map(|r| r.rows_affected())
                .map_err(from_sqlx)
        })
    }

    /// Fetches at most one row.
    pub async fn fetch_optional<'a, T: FromRow>(
        self,
        on: impl Into<Target<'a>>,
    ) -> Result<Option<T>> {
        on_engine!(self, on, |q, ex| {
            match q.fetch_optional(ex).await.map_err(from_sqlx)? {
                Some(row) => T::from_row(&Row::from(&row)).map(Some),
                None => Ok(None),
            }
        })
    }

    /// Fetches exactly one row; no row is `NotFound`.
    pub async fn fetch_one<'a, T: FromRow>(self, on: impl Into<Target<'a>>) -> Result<T> {
        self.fetch_optional(on)
            .await?
            .ok_or_else(|| Error::not_found("no such record"))
    }

    /// Fetches every row.
    pub async fn fetch_all<'a, T: FromRow>(self, on: impl Into<Target<'a>>) -> Result<Vec<T>> {
        on_engine!(self, on, |q, ex| {
            q.fetch_all(ex)
                .await
                .map_err(from_sqlx)?
                .iter()
                .map(|row| T::from_row(&Row::from(row)))
                .collect()
        })
    }

    fn sqlite(self) -> Result<sqlx::query::Query<'static, Sqlite, SqliteArguments>> {
        bind_all(self)
    }

    #[cfg(feature = "postgres")]
    fn postgres(self) -> Result<sqlx::query::Query<'static, Postgres, PgArguments>> {
        bind_all(self)
    }
}

/// Binds every value of `q` for engine `DB`.
fn bind_all<DB>(q: Query) -> Result<sqlx::query::Query<'static, DB, DB::Arguments>>
where
    DB: sqlx::Database,
    DB::Arguments: Default + sqlx::IntoArguments<DB>,
    Option<i64>: for<'e> sqlx::Encode<'e, DB> + sqlx::Type<DB>,
    Option<f64>: for<'e> sqlx::Encode<'e, DB> + sqlx::Type<DB>,
    Option<bool>: for<'e> sqlx::Encode<'e, DB> + sqlx::Type<DB>,
    Option<String>: for<'e> sqlx::Encode<'e, DB> + sqlx::Type<DB>,
    Option<Vec<u8>>: for<'e> sqlx::Encode<'e, DB> + sqlx::Type<DB>,
{
    let mut args = DB::Arguments::default();
    for v in q.args {
        match v {
            Value::Int(v) => args.add(v),
            Value::Float(v) => args.add(v),
            Value::Bool(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Bytes(v) => args.add(v),
        }
        .map_err(|e| Error::internal(format!("cannot bind a query parameter: {e}")))?;
    }
    Ok(sqlx::query_with(q.sql, args))
}

/// A result row from either engine.
#[derive(Debug)]
pub struct Row<'r>(RowInner<'r>);

#[derive(Debug)]
enum RowInner<'r> {
    Sqlite(&'r SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(&'r PgRow),
}

impl<'r> From<&'r SqliteRow> for Row<'r> {
    fn from(row: &'r SqliteRow) -> Self {
        Row(RowInner::Sqlite(row))
    }
}

#[cfg(feature = "postgres")]
impl<'r> From<&'r PgRow> for Row<'r> {
    fn from(row: &'r PgRow) -> Self {
        Row(RowInner::Postgres(row))
    }
}

impl Row<'_> {
    /// Reads column `column` as `T`.
    pub fn get<T: SqlType>(&self, column: &str) -> Result<T> {
        let decoded = match &self.0 {
            RowInner::Sqlite(r) => r.try_get::<T, _>(column),
            #[cfg(feature = "postgres")]
            RowInner::Postgres(r) => r.try_get::<T, _>(column),
        };
        decoded.map_err(|e| Error::internal(format!("cannot read column `{column}`: {e}")))
    }

    /// Reads a text column and parses it with `FromStr` (ids, enums stored as text).
    pub fn parse<T>(&self, column: &str) -> Result<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let s: String = self.get(column)?;
        s.parse().map_err(|e| {
            Error::internal(format!("column `{column}` holds an unexpected value: {e}"))
        })
    }

    /// Reads a `BIGINT` column of unix milliseconds.
    pub fn timestamp(&self, column: &str) -> Result<Timestamp> {
        self.get::<i64>(column).map(Timestamp::from_millis)
    }
}

/// A type built from a result row.
pub trait FromRow: Sized + Send + Unpin {
    /// Builds `Self` from `row`.
    fn from_row(row: &Row<'_>) -> Result<Self>;
}

/// A single-column result, for `SELECT count(*)`-style queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalar<T>(pub T);

impl<T: SqlType + Send + Unpin> FromRow for Scalar<T> {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let value = match &row.0 {
            RowInner::Sqlite(r) => r.try_get::<T, _>(0),
            #[cfg(feature = "postgres")]
            RowInner::Postgres(r) => r.try_get::<T, _>(0),
        };
        value
            .map(Scalar)
            .map_err(|e| Error::internal(format!("cannot read the result column: {e}")))
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type both engines decode the same way.
#[cfg(not(feature = "postgres"))]
pub trait SqlType: sealed::Sealed + for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> {}

/// A Rust type both engines decode the same way.
#[cfg(feature = "postgres")]
pub trait SqlType:
    sealed::Sealed
    + for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
{
}

macro_rules! sql_types {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl SqlType for $t {}
        impl sealed::Sealed for Option<$t> {}
        impl SqlType for Option<$t> {}
    )*};
}

sql_types!(i64, i32, f64, bool, String, Vec<u8>);
