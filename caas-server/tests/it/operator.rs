//! The production PostgreSQL setup exactly as the README describes it: an
//! unprivileged owner migrates its own database, and the servers log in as a
//! role that holds nothing but `caas_app`.

use caas_core::testkit::{DATABASE_URL_VAR, backend_url};
use sqlx::{Connection, Executor, PgConnection};

use crate::{Server, get_json, run};

/// Creates `role` with password = its name, unless it exists.
async fn ensure_role(admin: &mut PgConnection, role: &str, extra: &str) {
    let sql = format!(
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                 CREATE ROLE {role} LOGIN PASSWORD '{role}' {extra};
             END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$"
    );
    admin.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
}

fn url_as(base: &url::Url, role: &str, database: &str) -> String {
    let mut url = base.clone();
    url.set_username(role).unwrap();
    url.set_password(Some(role)).unwrap();
    url.set_path(database);
    url.to_string()
}

#[tokio::test]
async fn an_owner_migrates_and_a_caas_app_member_serves() {
    let Some(admin_url) = backend_url(DATABASE_URL_VAR) else {
        return;
    };
    let base = url::Url::parse(&admin_url).unwrap();
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    let database = format!("caas_op_{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();

    // As a superuser, once: the owner, its database, the application role.
    ensure_role(&mut admin, "caas_owner_test", "").await;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        )))
        .await
        .unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {database} OWNER caas_owner_test"
        )))
        .await
        .unwrap();
    admin
        .execute(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caas_app') THEN
                     CREATE ROLE caas_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
                 END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$",
        )
        .await
        .unwrap();

    // The owner migrates. It is neither superuser nor a member of caas_app.
    let owner_url = url_as(&base, "caas_owner_test", &database);
    let out = run(dir.path(), &["migrate", "--database-url", &owner_url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(crate::ALL_MIGRATIONS));

    // The owner cannot serve: it may not act as caas_app, and is told how to fix it.
    let out = run(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--master-key",
            crate::MASTER_KEY,
            "--database-url",
            &owner_url,
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("GRANT caas_app TO caas_owner_test"), "{err}");

    // The servers' login holds nothing but caas_app.
    ensure_role(&mut admin, "caas_server_test", "IN ROLE caas_app").await;
    let (superuser, owns): (bool, i64) = sqlx::query_as(
        "SELECT rolsuper, (SELECT count(*) FROM pg_tables WHERE tableowner = 'caas_server_test')
         FROM pg_roles WHERE rolname = 'caas_server_test'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(!superuser && owns == 0);
    let server_url = url_as(&base, "caas_server_test", &database);
    let server = Server::start(&[
        "--no-migrate",
        "--master-key",
        crate::MASTER_KEY,
        "--database-url",
        &server_url,
    ])
    .await;
    let (status, report) = get_json(&server.url("/ready")).await;
    assert_eq!(status, 200, "{report}");
    drop(server);

    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        )))
        .await
        .unwrap();
}
