//! Start-up repair of stored timestamps that RFC 3339 cannot write.
//!
//! Before durations in request bodies were bounded, an API key created with
//! `expires_in: 18446744073709551615` stored `expires_at = i64::MAX`
//! (about 292 million years on). Formatting such a value used to fail, which
//! broke every later read of the row. Formatting is now infallible (it
//! clamps, see [`Timestamp`]), and [`clamp_stored_timestamps`] moves the stored
//! values themselves into [`Timestamp::MIN_RFC3339`] to
//! [`Timestamp::MAX_RFC3339`], so what is stored and what is shown agree.
//! The server runs it at every start; on a sound database it changes nothing.

use caas_core::sql::query;
use caas_core::{Db, Result, TenantId, Timestamp};

/// The statements of [`clamp_stored_timestamps`] for one `(table, column)`:
/// values past either end go to that end.
macro_rules! clamp {
    ($table:literal, $column:literal) => {
        [
            (
                concat!(
                    "UPDATE ",
                    $table,
                    " SET ",
                    $column,
                    " = $2 WHERE tenant_id = $1 AND ",
                    $column,
                    " > $2"
                ),
                Timestamp::MAX_RFC3339,
            ),
            (
                concat!(
                    "UPDATE ",
                    $table,
                    " SET ",
                    $column,
                    " = $2 WHERE tenant_id = $1 AND ",
                    $column,
                    " < $2"
                ),
                Timestamp::MIN_RFC3339,
            ),
        ]
    };
}

/// The millisecond columns input could push out of range, as `(table,
/// column)`: tenant-owned tables with a `tenant_id` column.
pub const CLAMPED_COLUMNS: &[(&str, &str)] = &[("auth_api_keys", "expires_at")];

/// One statement and its bound per end of each of [`CLAMPED_COLUMNS`].
const STATEMENTS: &[(&str, Timestamp)] = &clamp!("auth_api_keys", "expires_at");

/// Moves every value of [`CLAMPED_COLUMNS`] outside the RFC 3339 range to
/// the nearest end of it, for each of `tenants` (one transaction per
/// tenant, under its row-level security); returns how many values changed.
/// `NULL`s stay.
pub async fn clamp_stored_timestamps(db: &Db, tenants: &[TenantId]) -> Result<u64> {
    let mut repaired = 0;
    for tenant in tenants {
        let mut tx = db.tenant_tx(tenant).await?;
        for (sql, bound) in STATEMENTS {
            repaired += query(sql)
                .bind(tenant)
                .bind(*bound)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use caas_core::sql::Scalar;
    use caas_core::testkit::Backend;
    use caas_core::{NewTenant, SqlTenantStore, TenantSlug, TenantStore};

    use super::*;
    use crate::api_keys::{ApiKeyInput, ApiKeys};

    caas_core::backend_tests! {
        migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &crate::MIGRATIONS],
        backends: [sqlite_memory, postgres],
        tests: [a_poisoned_expiry_is_repaired_and_the_keys_list_again],
    }

    async fn expires_at(b: &Backend, tenant: &TenantId, name: &str) -> Option<i64> {
        let mut tx = b.sql().tenant_tx(tenant).await.unwrap();
        let Scalar(at): Scalar<Option<i64>> =
            query("SELECT expires_at FROM auth_api_keys WHERE tenant_id = $1 AND name = $2")
                .bind(tenant)
                .bind(name.to_owned())
                .fetch_one(&mut tx)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        at
    }

    async fn a_poisoned_expiry_is_repaired_and_the_keys_list_again(b: &Backend) {
        let tenants = SqlTenantStore::new(b.sql().clone(), b.shared_clock());
        let mut ids = Vec::new();
        for slug in ["acme", "umbrella"] {
            let t = tenants
                .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Repair"))
                .await
                .unwrap();
            ids.push(t.id);
        }
        let t = ids[0];
        let keys = ApiKeys::new(b.sql().clone(), b.shared_clock());
        let input = |name: &str, expires_in| ApiKeyInput {
            name: name.into(),
            scopes: Vec::new(),
            expires_in,
        };
        let (_, far) = keys
            .create(&t, "ana", &input("far", Some(60)))
            .await
            .unwrap();
        keys.create(&t, "ana", &input("past", Some(60)))
            .await
            .unwrap();
        keys.create(&t, "ana", &input("sound", Some(3600)))
            .await
            .unwrap();
        keys.create(&t, "ana", &input("never", None)).await.unwrap();
        let sound = expires_at(b, &t, "sound").await;
        // What `expires_in: 18446744073709551615` stored before the bound.
        let mut tx = b.sql().tenant_tx(&t).await.unwrap();
        for (name, at) in [("far", i64::MAX), ("past", i64::MIN)] {
            query("UPDATE auth_api_keys SET expires_at = $2 WHERE tenant_id = $1 AND name = $3")
                .bind(t)
                .bind(at)
                .bind(name.to_owned())
                .execute(&mut tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        assert_eq!(clamp_stored_timestamps(b.sql(), &ids).await.unwrap(), 2);
        assert_eq!(
            expires_at(b, &t, "far").await,
            Some(Timestamp::MAX_RFC3339.as_millis())
        );
        assert_eq!(
            expires_at(b, &t, "past").await,
            Some(Timestamp::MIN_RFC3339.as_millis())
        );
        assert_eq!(expires_at(b, &t, "sound").await, sound, "sound rows stay");
        assert_eq!(expires_at(b, &t, "never").await, None, "NULL stays");
        // The list (and its JSON) works, and the far key still authenticates.
        let listed = keys.list(&t, Some("ana")).await.unwrap();
        assert_eq!(listed.len(), 4);
        let json = serde_json::to_value(&listed).unwrap();
        assert!(
            json.to_string().contains("9999-12-31T23:59:59.999Z"),
            "{json}"
        );
        keys.authenticate(&t, far.expose()).await.unwrap();
        // A second start finds nothing to do.
        assert_eq!(clamp_stored_timestamps(b.sql(), &ids).await.unwrap(), 0);
    }

    #[test]
    fn every_clamped_column_has_its_statements() {
        assert_eq!(STATEMENTS.len(), 2 * CLAMPED_COLUMNS.len());
        for (i, (table, column)) in CLAMPED_COLUMNS.iter().enumerate() {
            for (sql, _) in &STATEMENTS[2 * i..2 * i + 2] {
                assert!(sql.starts_with(&format!("UPDATE {table} SET {column} = $2 ")));
            }
        }
    }
}
