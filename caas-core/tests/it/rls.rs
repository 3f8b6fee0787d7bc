//! Tenant isolation in SQL: in code on every engine, and by PostgreSQL
//! row-level security for queries that forget their filter.

use caas_core::sql::{Scalar, query};
use caas_core::testkit::{Backend, tenant_tables_without_rls};
use caas_core::{ErrorKind, TenantId};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &crate::PROBE],
    backends: [postgres],
    tests: [
        the_pool_acts_as_an_unprivileged_role,
        an_unfiltered_query_in_a_tenant_tx_sees_only_that_tenant,
        writes_for_another_tenant_are_rejected,
        outside_a_tenant_tx_tenant_tables_look_empty,
        every_tenant_owned_table_has_forced_rls,
    ],
}

async fn seed(b: &Backend) -> (TenantId, TenantId) {
    let db = b.sql();
    let (a, bb) = (
        TenantId::generate(b.clock.as_ref()),
        TenantId::generate(b.clock.as_ref()),
    );
    for (tenant, prefix) in [(a, "a"), (bb, "b")] {
        let mut tx = db.tenant_tx(&tenant).await.unwrap();
        for i in 0..3 {
            query("INSERT INTO probe (id, tenant_id, note) VALUES ($1, $2, $3)")
                .bind(format!("{prefix}{i}"))
                .bind(tenant)
                .bind(format!("{prefix}'s row"))
                .execute(&mut tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    (a, bb)
}

async fn the_pool_acts_as_an_unprivileged_role(b: &Backend) {
    let db = b.sql();
    let user = query("SELECT current_user::text")
        .fetch_one::<Scalar<String>>(db)
        .await
        .unwrap()
        .0;
    assert_eq!(user, caas_core::sql::APP_ROLE);
    let privileged =
        query("SELECT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = current_user")
            .fetch_one::<Scalar<bool>>(db)
            .await
            .unwrap()
            .0;
    assert!(
        !privileged,
        "caas_app must be neither superuser nor bypass RLS"
    );
    let owned = query(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user",
    )
    .fetch_one::<Scalar<i64>>(db)
    .await
    .unwrap()
    .0;
    assert_eq!(owned, 0, "caas_app must own no table");
}

async fn an_unfiltered_query_in_a_tenant_tx_sees_only_that_tenant(b: &Backend) {
    let (a, _) = seed(b).await;
    let mut tx = b.sql().tenant_tx(&a).await.unwrap();
    // Deliberately no tenant filter: RLS must do it.
    let notes: Vec<Scalar<String>> = query("SELECT note FROM probe ORDER BY id")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(notes.len(), 3);
    assert!(notes.iter().all(|n| n.0 == "a's row"), "{notes:?}");
    // Unfiltered updates and deletes reach only A's rows too.
    let changed = query("UPDATE probe SET note = 'touched'")
        .execute(&mut tx)
        .await
        .unwrap();
    assert_eq!(changed, 3);
    let deleted = query("DELETE FROM probe").execute(&mut tx).await.unwrap();
    assert_eq!(deleted, 3);
    tx.commit().await.unwrap();
}

async fn writes_for_another_tenant_are_rejected(b: &Backend) {
    let (a, other) = seed(b).await;
    let mut tx = b.sql().tenant_tx(&a).await.unwrap();
    let e = query("INSERT INTO probe (id, tenant_id, note) VALUES ('x', $1, 'smuggled')")
        .bind(other)
        .execute(&mut tx)
        .await
        .unwrap_err();
    assert!(e.message().contains("row-level security"), "{e}");
    drop(tx);
    let mut tx = b.sql().tenant_tx(&a).await.unwrap();
    let e = query("UPDATE probe SET tenant_id = $1")
        .bind(other)
        .execute(&mut tx)
        .await;
    assert!(e.is_err(), "moving rows to another tenant must fail");
}

async fn outside_a_tenant_tx_tenant_tables_look_empty(b: &Backend) {
    seed(b).await;
    let db = b.sql();
    let n = query("SELECT count(*) FROM probe")
        .fetch_one::<Scalar<i64>>(db)
        .await
        .unwrap()
        .0;
    assert_eq!(n, 0);
    let mut tx = db.begin().await.unwrap();
    let n = query("SELECT count(*) FROM probe")
        .fetch_one::<Scalar<i64>>(&mut tx)
        .await
        .unwrap()
        .0;
    assert_eq!(n, 0);
    let e = query("INSERT INTO probe (id, tenant_id) VALUES ('y', 'z')")
        .execute(&mut tx)
        .await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Internal);
}

async fn every_tenant_owned_table_has_forced_rls(b: &Backend) {
    assert_eq!(
        tenant_tables_without_rls(b.sql()).await.unwrap(),
        Vec::<String>::new()
    );
}

/// The RLS check itself must catch a table that skips the convention.
mod detector {
    use caas_core::sql::{Migration, Migrations};
    use caas_core::testkit::{Backend, tenant_tables_without_rls};

    static LEAKY: Migrations = Migrations {
        component: "leaky",
        sqlite: &[Migration {
            version: 990_301,
            description: "leaky",
            sql: "CREATE TABLE leaky (tenant_id TEXT NOT NULL);",
        }],
        postgres: &[Migration {
            version: 990_301,
            description: "leaky",
            sql: "CREATE TABLE leaky (tenant_id TEXT NOT NULL);",
        }],
        retired: &[],
    };

    caas_core::backend_tests! {
        migrations: [&caas_core::MIGRATIONS, &crate::PROBE, &LEAKY],
        backends: [postgres],
        tests: [a_table_without_rls_is_reported],
    }

    async fn a_table_without_rls_is_reported(b: &Backend) {
        assert_eq!(tenant_tables_without_rls(b.sql()).await.unwrap(), ["leaky"]);
    }
}
