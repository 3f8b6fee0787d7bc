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
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("applied migrations [10001, 20001, 20002, 20003, 20004, 30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008, 40001, 40002, 50001, 60001, 60002, 90001]")
    );
    let again = run(d, &["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
    assert!(d.join("caas-data/caas.sqlite3").exists());
}
