//! Reads in a tenant transaction (PostgreSQL row-level security sees only
//! the tenant's rows there).

use caas_core::sql::{FromRow, Query};
use caas_core::{Db, Result, TenantId};

/// Every row `q` returns, read in a tenant transaction.
pub(crate) async fn all<T: FromRow>(db: &Db, tenant: &TenantId, q: Query) -> Result<Vec<T>> {
    let mut tx = db.tenant_tx(tenant).await?;
    let rows = q.fetch_all(&mut tx).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The row `q` returns, if any, read in a tenant transaction.
pub(crate) async fn one<T: FromRow>(db: &Db, tenant: &TenantId, q: Query) -> Result<Option<T>> {
    let mut tx = db.tenant_tx(tenant).await?;
    let row = q.fetch_optional(&mut tx).await?;
    tx.commit().await?;
    Ok(row)
}

/// Runs `q` in its own tenant transaction; returns rows affected.
pub(crate) async fn exec(db: &Db, tenant: &TenantId, q: Query) -> Result<u64> {
    let mut tx = db.tenant_tx(tenant).await?;
    let n = q.execute(&mut tx).await?;
    tx.commit().await?;
    Ok(n)
}

/// A JSON column as `T`.
pub(crate) fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        caas_core::Error::internal(format!("a stored privacy record does not parse: {e}"))
    })
}
