//! caas-server's integration tests: the real binary as a process, and the
//! server in-process on a random port (`gateway`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

mod admin_key;
mod attacks;
mod cli;
mod config;
mod gateway;
mod oauth_flow;
mod operator;
mod rate_limit;
mod readiness;
mod restart;
mod subject_coverage;
mod webhook_kill;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Variables a developer's shell might set that would change what a test runs.
const SERVER_VARS: [&str; 18] = [
    "CAAS_CONFIG",
    "CAAS_MASTER_KEY",
    "CAAS_MASTER_KEY_FILE",
    "CAAS_PRODUCTION",
    "CAAS_ADMIN_KEY",
    "CAAS_PUBLIC_URL",
    "CAAS_BASE_DOMAIN",
    "CAAS_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
    "CAAS_DATABASE_SCHEMA",
    "CAAS_LISTEN",
    "CAAS_DATABASE_URL",
    "CAAS_DATA_DIR",
    "CAAS_REDIS_URL",
    "CAAS_REDIS_PREFIX",
    "CAAS_RATE_LIMIT",
    "CAAS_NO_MIGRATE",
    "CAAS_LOG_FORMAT",
    "CAAS_LOG",
];

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary under test: the one cargo built for this test run, or the one
/// `CAAS_SERVER_BIN` names (CI points it at the release build to run the
/// attack reproductions against what ships).
pub(crate) fn binary() -> std::path::PathBuf {
    std::env::var_os("CAAS_SERVER_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_caas-server").into())
}

pub(crate) fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(args).current_dir(dir);
    for var in SERVER_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs the binary to completion (at most 30 s).
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    let mut child = command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "caas-server {args:?} did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A running `caas-server serve`, killed when dropped.
pub(crate) struct Server {
    child: Option<Child>,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `serve` on a free port with `extra` flags, in a fresh working
    /// directory, and waits until `/health` answers.
    pub(crate) async fn start(extra: &[&str]) -> Server {
        Self::start_in(tempfile::tempdir().unwrap(), extra).await
    }

    /// Starts `serve` in `dir` (which may hold an earlier run's data).
    pub(crate) async fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--listen", &listen];
        args.extend_from_slice(extra);
        let child = command(dir.path(), &args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut server = Server {
            child: Some(child),
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client().get(server.url("/health")).send().await
                && r.status() == 200
            {
                return server;
            }
            if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
                let out = server.child.take().unwrap().wait_with_output().unwrap();
                panic!(
                    "caas-server exited with {status}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "caas-server did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn dir(&self) -> &Path {
        self._dir.path()
    }

    pub(crate) fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// Kills the process at once (SIGKILL); returns its working directory.
    pub(crate) fn kill(mut self) -> tempfile::TempDir {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self._dir, dir)
    }

    /// Sends SIGTERM and waits for the exit.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "caas-server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn client() -> reqwest::Client {
    // The server's outbound client needs rustls on ring; share the choice.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub(crate) async fn get_json(url: &str) -> (u16, serde_json::Value) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// A fixed master key for tests that share a database between processes.
/// What `migrate` reports on an empty database: every crate's versions, in order.
pub(crate) const ALL_MIGRATIONS: &str = "applied migrations [10001, 20001, 20002, 20003, 20004, 30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008, 30009, 30010, 30011, 40001, 40002, 50001, 60001, 60002, 70001]";

pub(crate) const MASTER_KEY: &str =
    "0101010101010101010101010101010101010101010101010101010101010101";

/// Polls until `f` holds or `limit` passes; returns how long it took.
pub(crate) async fn within<F, Fut>(limit: Duration, mut f: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if f().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
