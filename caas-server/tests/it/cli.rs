//! Bad input at the command line: a clear message and a non-zero exit, never a panic.

use crate::run;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_clean_failure(out: &std::process::Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn invalid_configuration_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (args, needle) in [
        (
            &["serve", "--database-url", "mysql://localhost/caas"][..],
            "unsupported scheme `mysql`",
        ),
        (
            &["serve", "--database-url", "not a url"],
            "invalid database URL",
        ),
        (
            &["serve", "--redis-url", "http://cache:6379"],
            "invalid Redis URL",
        ),
        (
            &["serve", "--redis-prefix", "Bad Prefix"],
            "Redis key prefix",
        ),
        (
            &["serve", "--listen", "localhost"],
            "invalid socket address",
        ),
        (
            &["serve", "--rate-limit", "lots"],
            "must look like `600/min`",
        ),
        (&["migrate", "--database-url", "sqlite://"], "names no file"),
        (&["launch"], "unrecognized subcommand"),
    ] {
        let out = run(d, args);
        assert_clean_failure(&out, 2, needle);
    }
}

#[test]
fn unreachable_backends_exit_1_and_never_print_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(
        d,
        &[
            "serve",
            "--master-key",
            crate::MASTER_KEY,
            "--database-url",
            "postgres://caas:hunter2@127.0.0.1:1/caas",
        ],
    );
    assert_clean_failure(&out, 1, "cannot connect to the database");
    // Without a master key, PostgreSQL is refused before it is contacted.
    let out = run(
        d,
        &[
            "serve",
            "--database-url",
            "postgres://caas:hunter2@127.0.0.1:1/caas",
        ],
    );
    assert_clean_failure(&out, 2, "a master key is required");
    let out = run(d, &["serve", "--master-key", "not-a-key"]);
    assert_clean_failure(&out, 2, "master_key");
    assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));

    let out = run(d, &["serve", "--redis-url", "redis://:hunter2@127.0.0.1:1"]);
    assert_clean_failure(&out, 1, "cannot connect to Redis");
    assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));

    let out = run(
        d,
        &["serve", "--database-url", "sqlite:///no/such/dir/caas.db"],
    );
    assert_clean_failure(&out, 1, "does not exist");
}

#[test]
fn a_taken_port_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let out = run(dir.path(), &["serve", "--listen", &listen]);
    assert_clean_failure(&out, 1, "cannot listen on");
}

#[test]
fn migrate_applies_once_and_serve_can_refuse_a_stale_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let stale = run(
        d,
        &[
            "serve",
            "--no-migrate",
            "--database-url",
            "sqlite://fresh.db",
        ],
    );
    assert_clean_failure(&stale, 1, "run `caas-server migrate` first");

    let out = run(d, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(crate::ALL_MIGRATIONS));
    let again = run(d, &["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
    assert!(d.join("caas-data/caas.sqlite3").exists());
}

/// `audit verify` re-hashes the log from the database and checks it against
/// the signed checkpoints: it passes on an untouched log and fails (exit 1)
/// once one row was changed directly in the database; `privacy retention
/// run` runs every tenant's policies.
#[tokio::test]
async fn audit_verify_finds_a_row_changed_in_the_database() {
    const KEY: &str = "cli-admin-key-0123456789-0123456789-abcdef";
    let server = crate::Server::start(&["--admin-key", KEY]).await;
    let client = crate::client();
    let r = client
        .post(server.url("/v1/admin/tenants"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({ "slug": "audited", "name": "Audited" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    for id in ["news", "stats", "ads"] {
        let r = client
            .post(server.url("/v1/privacy/purposes"))
            .bearer_auth(KEY)
            .header("x-tenant-id", "audited")
            .json(
                &serde_json::json!({ "id": id, "description": "d", "legal_basis": "consent",
                                        "retention": "1 year" }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let cp: serde_json::Value = client
        .get(server.url("/v1/audit/checkpoint"))
        .bearer_auth(KEY)
        .header("x-tenant-id", "audited")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cp["checkpoint"]["size"], 3);
    let vkey = cp["verifier_key"].as_str().unwrap().to_owned();
    let dir = server.kill();
    let d = dir.path();

    let out = run(
        d,
        &["audit", "verify", "--tenant", "audited", "--key", &vkey],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    assert!(
        stdout.contains("ok — 3 entries") && stdout.contains("1 signed checkpoints"),
        "{stdout}"
    );
    let out = run(d, &["privacy", "retention", "run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("erased 0 records"));

    // One entry changed behind the log's back.
    let path = d.join("caas-data/caas.sqlite3");
    let db = caas_core::Db::connect(
        &format!("sqlite://{}", path.display()),
        caas_core::DbOptions::default(),
    )
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    let n = caas_core::sql::query("UPDATE audit_entries SET entry = $1 WHERE idx = 1")
        .bind(b"{\"v\":1}".to_vec())
        .execute(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 1);
    tx.commit().await.unwrap();
    db.close().await;
    let out = run(d, &["audit", "verify", "--key", &vkey]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED") && stdout.contains("checkpoint at size 3"),
        "{stdout}"
    );
    assert!(stderr(&out).contains("the audit log does not verify"));
    // An unknown tenant is refused.
    let out = run(d, &["audit", "verify", "--tenant", "nobody"]);
    assert_clean_failure(&out, 1, "tenant `nobody` not found");
}
