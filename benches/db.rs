//! The cost of `caas_core::Db`'s engine dispatch, side by side with the two
//! alternatives DESIGN.md names: raw sqlx on one engine (the floor) and sqlx's
//! `Any` driver. Each iteration inserts a row and reads it back by key.
//!
//! `cargo bench -p caas-benches --bench db`; set `CAAS_BENCH_DATABASE_URL` to
//! a PostgreSQL URL to add the PostgreSQL rows.

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::sync::atomic::{AtomicU64, Ordering};

use caas_core::sql::{Scalar, query};
use caas_core::{Db, DbOptions};
use criterion::{Criterion, criterion_group, criterion_main};
use sqlx::any::{AnyPoolOptions, install_default_drivers};

const CREATE: &str =
    "CREATE TABLE bench (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT NOT NULL)";
const INSERT: &str = "INSERT INTO bench (id, n, note) VALUES ($1, $2, $3)";
const SELECT: &str = "SELECT n FROM bench WHERE id = $1";

static NEXT: AtomicU64 = AtomicU64::new(0);

fn next_id() -> (String, i64) {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (format!("row-{n}"), n as i64)
}

fn engines(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    install_default_drivers();
    // A private in-memory database, as `Db` opens it: the URL `sqlite::memory:`
    // would give sqlx's shared-cache mode, which is slower and not comparable.
    // (engine, URL for `Db`, URL for raw sqlx and `Any`)
    let mut urls = vec![(
        "sqlite",
        "sqlite::memory:".to_owned(),
        "sqlite://?mode=memory&cache=private".to_owned(),
    )];
    if let Ok(url) = std::env::var("CAAS_BENCH_DATABASE_URL") {
        urls.push(("postgres", url.clone(), url));
    }
    for (engine, db_url, url) in urls {
        let mut group = c.benchmark_group(format!("db_insert_select/{engine}"));

        // caas_core::Db
        let db = rt.block_on(async {
            let db = Db::connect(&db_url, DbOptions::default().max_connections(1))
                .await
                .unwrap();
            if engine == "postgres" {
                // Pool connections act as `caas_app`: create its role, then a
                // table it may use, as the login role.
                db.migrate(&[&caas_core::MIGRATIONS]).await.unwrap();
                setup_postgres(&url).await;
            } else {
                query(CREATE).execute(&db).await.unwrap();
            }
            db
        });
        group.bench_function("caas_core::Db", |b| {
            b.to_async(&rt).iter(|| async {
                let (id, n) = next_id();
                query(INSERT)
                    .bind(id.as_str())
                    .bind(n)
                    .bind("note")
                    .execute(&db)
                    .await
                    .unwrap();
                let got = query(SELECT)
                    .bind(id)
                    .fetch_one::<Scalar<i64>>(&db)
                    .await
                    .unwrap();
                assert_eq!(got.0, n);
            });
        });

        // Raw sqlx on the concrete engine: the lower bound.
        if engine == "sqlite" {
            let pool = rt.block_on(async {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .unwrap();
                sqlx::query(CREATE).execute(&pool).await.unwrap();
                pool
            });
            group.bench_function("sqlx::SqlitePool", |b| {
                b.to_async(&rt).iter(|| async {
                    let (id, n) = next_id();
                    sqlx::query(INSERT)
                        .bind(&id)
                        .bind(n)
                        .bind("note")
                        .execute(&pool)
                        .await
                        .unwrap();
                    let got: i64 = sqlx::query_scalar(SELECT)
                        .bind(&id)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    assert_eq!(got, n);
                });
            });
        } else {
            let pool = rt.block_on(async {
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .unwrap()
            });
            group.bench_function("sqlx::PgPool", |b| {
                b.to_async(&rt).iter(|| async {
                    let (id, n) = next_id();
                    sqlx::query(INSERT)
                        .bind(&id)
                        .bind(n)
                        .bind("note")
                        .execute(&pool)
                        .await
                        .unwrap();
                    let got: i64 = sqlx::query_scalar(SELECT)
                        .bind(&id)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    assert_eq!(got, n);
                });
            });
        }

        // sqlx's Any driver: one pool type for both engines.
        let any = rt.block_on(async {
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await
                .unwrap();
            if engine == "sqlite" {
                sqlx::query(CREATE).execute(&pool).await.unwrap();
            }
            pool
        });
        group.bench_function("sqlx::AnyPool", |b| {
            b.to_async(&rt).iter(|| async {
                let (id, n) = next_id();
                sqlx::query(INSERT)
                    .bind(id.clone())
                    .bind(n)
                    .bind("note")
                    .execute(&any)
                    .await
                    .unwrap();
                let got: i64 = sqlx::query_scalar(SELECT)
                    .bind(id)
                    .fetch_one(&any)
                    .await
                    .unwrap();
                assert_eq!(got, n);
            });
        });
        group.finish();
    }
}

/// Creates the bench table where `caas_app` may use it.
async fn setup_postgres(url: &str) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    sqlx::query("DROP TABLE IF EXISTS bench")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(CREATE).execute(&pool).await.unwrap();
    sqlx::query("GRANT SELECT, INSERT ON bench TO caas_app")
        .execute(&pool)
        .await
        .unwrap();
}

criterion_group!(benches, engines);
criterion_main!(benches);
