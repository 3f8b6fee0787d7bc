//! The admin key when none is configured: generated on the first start,
//! printed once, stored hashed, replaced by `reset-admin-key`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::{client, command, free_port, run};

type Printed = std::thread::JoinHandle<String>;

/// Starts `serve` in `dir`; returns the child, its URL and a reader of the
/// first lines it prints on stdout.
async fn start(dir: &std::path::Path) -> (Child, String, Printed) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = command(dir, &["serve", "--listen", &listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take(4)
            .collect::<Vec<_>>()
            .join("\n")
    });
    let url = format!("http://{listen}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client().get(format!("{url}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, url, printed)
}

/// What the server printed, once it has printed its four lines.
async fn printed_key(printed: Printed) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !printed.is_finished() {
        assert!(Instant::now() < deadline, "nothing printed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    printed.join().unwrap()
}

fn key_in(text: &str) -> Option<String> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("CAAS_ADMIN_KEY="))
        .map(str::to_owned)
}

async fn status_with(url: &str, key: &str) -> u16 {
    client()
        .get(format!("{url}/v1/admin/tenants"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Kills the server; returns what it printed.
fn stop(mut child: Child, printed: Printed) -> String {
    child.kill().unwrap();
    child.wait().unwrap();
    printed.join().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_prints_a_key_once_and_reset_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, printed) = start(dir.path()).await;
    let out = printed_key(printed).await;
    let key = key_in(&out).unwrap_or_else(|| panic!("no key printed: {out:?}"));
    assert!(key.starts_with("caas_admin_") && key.len() >= 43, "{key}");
    assert_eq!(status_with(&url, &key).await, 200);
    child.kill().unwrap();
    child.wait().unwrap();
    // The embedded default also made its master key, private to its owner.
    let master = dir.path().join("caas-data/master.key");
    assert!(master.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&master).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // The second start prints nothing and keeps the key (only its hash is stored).
    let (child, url, printed) = start(dir.path()).await;
    assert_eq!(status_with(&url, &key).await, 200);
    let out = stop(child, printed);
    assert_eq!(key_in(&out), None, "{out}");
    let db = std::fs::read(dir.path().join("caas-data/caas.sqlite3")).unwrap();
    assert!(
        !db.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key itself is stored"
    );

    // reset-admin-key prints a new key; after a restart only it works.
    let out = run(dir.path(), &["reset-admin-key"]);
    assert!(out.status.success());
    let new_key = key_in(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_ne!(new_key, key);
    let (child, url, printed) = start(dir.path()).await;
    assert_eq!(status_with(&url, &new_key).await, 200);
    assert_eq!(status_with(&url, &key).await, 401);
    stop(child, printed);

    // `keys init` makes a key file and never overwrites one.
    let out = run(dir.path(), &["keys", "init", "--out", "prod.key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("prod.key"))
            .unwrap()
            .trim()
            .len(),
        44
    );
    let out = run(dir.path(), &["keys", "init", "--out", "prod.key"]);
    assert_eq!(out.status.code(), Some(2));
}
