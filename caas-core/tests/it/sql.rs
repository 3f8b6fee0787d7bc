//! The `Db` layer: one query text on every engine, transactions, migrations.

use caas_core::sql::{FromRow, Migration, Migrations, Row, Scalar, query};
use caas_core::testkit::Backend;
use caas_core::{Db, DbOptions, ErrorKind, TenantId};

use crate::PROBE;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &PROBE],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        values_round_trip,
        rolled_back_and_dropped_transactions_leave_nothing,
        unique_violations_are_conflicts,
        missing_rows_are_not_found,
        migrations_are_idempotent_and_tracked,
        inconsistent_migration_sets_are_refused,
        a_changed_migration_is_refused,
        moved_migrations_retire_and_unknown_ones_are_refused,
    ],
}

#[derive(Debug, PartialEq)]
struct ProbeRow {
    id: String,
    n: Option<i64>,
    f: Option<f64>,
    flag: Option<bool>,
    note: Option<String>,
    data: Option<Vec<u8>>,
}

impl FromRow for ProbeRow {
    fn from_row(row: &Row<'_>) -> caas_core::Result<Self> {
        Ok(ProbeRow {
            id: row.get("id")?,
            n: row.get("n")?,
            f: row.get("f")?,
            flag: row.get("flag")?,
            note: row.get("note")?,
            data: row.get("data")?,
        })
    }
}

async fn insert(db: &Db, tenant: &TenantId, id: &str, note: &str) {
    let mut tx = db.tenant_tx(tenant).await.unwrap();
    query("INSERT INTO probe (id, tenant_id, note) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(tenant)
        .bind(note)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn count(db: &Db, tenant: &TenantId) -> i64 {
    let mut tx = db.tenant_tx(tenant).await.unwrap();
    query("SELECT count(*) FROM probe WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one::<Scalar<i64>>(&mut tx)
        .await
        .unwrap()
        .0
}

async fn values_round_trip(b: &Backend) {
    let db = b.sql();
    let t = TenantId::generate(b.clock.as_ref());
    let full = ProbeRow {
        id: "full".into(),
        n: Some(-9_007_199_254_740_993),
        f: Some(2.5),
        flag: Some(true),
        note: Some("héllo 'quoted' $1".into()),
        data: Some(vec![0, 255, 7]),
    };
    let empty = ProbeRow {
        id: "empty".into(),
        n: None,
        f: None,
        flag: None,
        note: None,
        data: None,
    };
    let mut tx = db.tenant_tx(&t).await.unwrap();
    assert_eq!(tx.tenant(), Some(&t));
    for row in [&full, &empty] {
        let affected = query(
            "INSERT INTO probe (id, tenant_id, n, f, flag, note, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(row.id.as_str())
        .bind(t)
        .bind(row.n)
        .bind(row.f)
        .bind(row.flag)
        .bind(row.note.clone())
        .bind(row.data.clone())
        .execute(&mut tx)
        .await
        .unwrap();
        assert_eq!(affected, 1);
    }
    let rows: Vec<ProbeRow> =
        query("SELECT id, n, f, flag, note, data FROM probe WHERE tenant_id = $1 ORDER BY id DESC")
            .bind(t)
            .fetch_all(&mut tx)
            .await
            .unwrap();
    assert_eq!(rows, [full, empty]);
    tx.commit().await.unwrap();
}

async fn rolled_back_and_dropped_transactions_leave_nothing(b: &Backend) {
    let db = b.sql();
    let t = TenantId::generate(b.clock.as_ref());
    let mut tx = db.tenant_tx(&t).await.unwrap();
    query("INSERT INTO probe (id, tenant_id) VALUES ('a', $1)")
        .bind(t)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    {
        let mut tx = db.tenant_tx(&t).await.unwrap();
        query("INSERT INTO probe (id, tenant_id) VALUES ('b', $1)")
            .bind(t)
            .execute(&mut tx)
            .await
            .unwrap();
        // dropped without commit
    }
    assert_eq!(count(db, &t).await, 0);
    insert(db, &t, "c", "kept").await;
    assert_eq!(count(db, &t).await, 1);
}

async fn unique_violations_are_conflicts(b: &Backend) {
    let db = b.sql();
    let t = TenantId::generate(b.clock.as_ref());
    insert(db, &t, "dup", "first").await;
    let mut tx = db.tenant_tx(&t).await.unwrap();
    let e = query("INSERT INTO probe (id, tenant_id) VALUES ('dup', $1)")
        .bind(t)
        .execute(&mut tx)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
}

async fn missing_rows_are_not_found(b: &Backend) {
    let db = b.sql();
    let t = TenantId::generate(b.clock.as_ref());
    let mut tx = db.tenant_tx(&t).await.unwrap();
    let e = query("SELECT id, n, f, flag, note, data FROM probe WHERE id = $1")
        .bind("nope")
        .fetch_one::<ProbeRow>(&mut tx)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

async fn migrations_are_idempotent_and_tracked(b: &Backend) {
    let db = b.sql();
    let sets = [&caas_core::MIGRATIONS, &PROBE];
    assert!(db.pending_migrations(&sets).await.unwrap().is_empty());
    assert!(
        db.migrate(&sets).await.unwrap().is_empty(),
        "nothing left to apply"
    );
    static LATER: Migrations = Migrations {
        component: "later",
        sqlite: &[Migration {
            version: 990_101,
            description: "later",
            sql: "CREATE TABLE later (x TEXT);",
        }],
        postgres: &[Migration {
            version: 990_101,
            description: "later",
            sql: "CREATE TABLE later (x TEXT);",
        }],
        retired: &[],
    };
    let all = [&caas_core::MIGRATIONS, &PROBE, &LATER];
    assert_eq!(db.pending_migrations(&all).await.unwrap(), [990_101]);
    assert_eq!(db.migrate(&all).await.unwrap(), [990_101]);
    assert!(db.pending_migrations(&all).await.unwrap().is_empty());
}

async fn inconsistent_migration_sets_are_refused(b: &Backend) {
    let db = b.sql();
    static CLASH: Migrations = Migrations {
        component: "clash",
        sqlite: &[Migration {
            version: 10_001,
            description: "clash",
            sql: "SELECT 1;",
        }],
        postgres: &[Migration {
            version: 10_001,
            description: "clash",
            sql: "SELECT 1;",
        }],
        retired: &[],
    };
    let e = db
        .migrate(&[&caas_core::MIGRATIONS, &CLASH])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Internal);
    assert!(e.message().contains("used by both"), "{e}");

    static LOPSIDED: Migrations = Migrations {
        component: "lopsided",
        sqlite: &[Migration {
            version: 990_201,
            description: "x",
            sql: "SELECT 1;",
        }],
        postgres: &[],
        retired: &[],
    };
    let e = db.migrate(&[&LOPSIDED]).await.unwrap_err();
    assert!(e.message().contains("differ between SQLite"), "{e}");
}

async fn a_changed_migration_is_refused(b: &Backend) {
    let db = b.sql();
    static EDITED: Migrations = Migrations {
        component: "caas-core-tests",
        sqlite: &[Migration {
            version: 990_001,
            description: "probe",
            sql: "SELECT 2;",
        }],
        postgres: &[Migration {
            version: 990_001,
            description: "probe",
            sql: "SELECT 2;",
        }],
        retired: &[],
    };
    let e = db
        .migrate(&[&caas_core::MIGRATIONS, &EDITED])
        .await
        .unwrap_err();
    assert!(e.message().contains("changed after it was applied"), "{e}");
}

async fn moved_migrations_retire_and_unknown_ones_are_refused(b: &Backend) {
    let db = b.sql();
    // PROBE (990_001) is applied; a build that no longer lists it is older
    // than the database, unless the set that took its tables retires it.
    let e = db.migrate(&[&caas_core::MIGRATIONS]).await.unwrap_err();
    assert!(e.message().contains("does not know"), "{e}");
    assert!(e.message().contains("990001"), "{e}");
    static HEIR: Migrations = Migrations {
        component: "heir",
        sqlite: &[Migration {
            version: 990_301,
            description: "the probe's table, if missing",
            sql: "CREATE TABLE IF NOT EXISTS heir (x TEXT);",
        }],
        postgres: &[Migration {
            version: 990_301,
            description: "the probe's table, if missing",
            sql: "CREATE TABLE IF NOT EXISTS heir (x TEXT);",
        }],
        retired: &[990_001],
    };
    let sets = [&caas_core::MIGRATIONS, &HEIR];
    assert_eq!(db.migrate(&sets).await.unwrap(), [990_301]);
    assert!(db.pending_migrations(&sets).await.unwrap().is_empty());
}

#[tokio::test]
async fn malformed_urls_are_invalid_input_and_missing_databases_unavailable() {
    let e = Db::connect("mysql://localhost/x", DbOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    let e = Db::connect("sqlite:///no/such/dir/caas.db", DbOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(e.message().contains("does not exist"), "{e}");

    // Nothing listens on port 1.
    let e = Db::connect(
        "postgres://caas:secret-pw@127.0.0.1:1/caas",
        DbOptions::default().connect_timeout(std::time::Duration::from_secs(2)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(!e.message().contains("secret-pw"), "password leaked: {e}");
}
