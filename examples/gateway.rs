//! The gateway in-process: start `caas-server` on a free port (SQLite in
//! memory, no Redis), create a tenant with the admin key, and call a
//! tenant-scoped route — printing each step.
//!
//! Run: `cargo run -p caas-examples --example gateway`

use caas_server::{ServeConfig, Server};
use serde_json::{Value, json};

/// The admin key this example configures (any 32+ characters).
const ADMIN_KEY: &str = "caas_admin_example-key-0123456789abcdef";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse()?,
        platform: caas::PlatformConfig {
            database_url: Some("sqlite::memory:".into()),
            ..caas::PlatformConfig::default()
        },
        admin_key: Some(ADMIN_KEY.into()),
        ..ServeConfig::default()
    };
    let server = Server::bind(config).await?;
    let base = format!("http://{}", server.local_addr());
    println!("1. server listening on {base}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let ready: Value = http
        .get(format!("{base}/ready"))
        .send()
        .await?
        .json()
        .await?;
    println!("2. GET /ready → {ready}");

    let r = http
        .post(format!("{base}/v1/admin/tenants"))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "slug": "acme", "name": "Acme Inc.", "settings": { "plan": "default" } }))
        .send()
        .await?;
    println!(
        "3. POST /v1/admin/tenants → {} {}",
        r.status(),
        r.text().await?
    );

    let r = http
        .get(format!("{base}/v1/tenant/usage"))
        .bearer_auth(ADMIN_KEY)
        .header("x-tenant-id", "acme")
        .send()
        .await?;
    let limits = r
        .headers()
        .get("ratelimit-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    println!(
        "4. GET /v1/tenant/usage (X-Tenant-ID: acme) → {} {}",
        r.status(),
        r.text().await?
    );
    println!("   RateLimit-Policy: {limits}");

    let r = http
        .get(format!("{base}/v1/tenant"))
        .header("x-tenant-id", "acme")
        .send()
        .await?;
    println!(
        "5. without credentials → {} {}",
        r.status(),
        r.text().await?
    );

    let _ = stop.send(());
    running.await??;
    println!("6. stopped");
    Ok(())
}
