//! Configuration precedence: defaults < config file < environment < flags,
//! and clear refusals of bad configuration.

use crate::{Server, command, get_json, run};

#[tokio::test]
async fn flags_override_environment_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file_port = crate::free_port();
    std::fs::write(
        dir.path().join("caas.toml"),
        format!("listen = \"127.0.0.1:{file_port}\"\n[rate_limits]\nip = \"5/min\"\n"),
    )
    .unwrap();
    // The file alone decides the port and the limit.
    let mut server = Server::start_in(dir, &["--config", "caas.toml"]).await;
    assert!(server.is_running());
    let r = crate::client().get(server.url("/")).send().await.unwrap();
    assert_eq!(r.headers()["ratelimit-policy"], "\"ip\";q=5;w=60");
    let dir = server.kill();

    // The environment overrides the file; a flag overrides the environment.
    let port = crate::free_port();
    let mut cmd = command(
        dir.path(),
        &[
            "serve",
            "--config",
            "caas.toml",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ],
    );
    cmd.env("CAAS_RATE_LIMIT", "7/min")
        .env("CAAS_LISTEN", format!("127.0.0.1:{file_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let found = crate::within(std::time::Duration::from_secs(30), || async {
        crate::client().get(&url).send().await.is_ok()
    })
    .await;
    assert!(found.is_some(), "the flag's port was not used");
    let r = crate::client().get(&url).send().await.unwrap();
    assert_eq!(r.headers()["ratelimit-policy"], "\"ip\";q=7;w=60");
    let (status, _) = get_json(&format!("http://127.0.0.1:{port}/health")).await;
    assert_eq!(status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_configuration_is_refused_with_the_setting_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 4] = [
        ("lisen = \"127.0.0.1:1\"\n", "lisen"),
        ("[webhooks]\nbackoff = \"soon\"\n", "soon"),
        ("admin_key = \"short\"\n", "admin_key"),
        (
            "[tenancy]\nresolution_order = [\"subdomain\"]\n",
            "base_domain",
        ),
    ];
    for (text, needle) in cases {
        std::fs::write(dir.path().join("bad.toml"), text).unwrap();
        let out = run(dir.path(), &["serve", "--config", "bad.toml"]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{text}: {stderr}");
    }
    let out = run(dir.path(), &["serve", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}
