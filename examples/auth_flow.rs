//! Authentication end to end against an in-process `caas-server`: a tenant
//! that allows sign-up; a user registers, logs in, enrolls TOTP (the codes
//! come from the same RFC 6238 algorithm an authenticator app runs), logs in
//! again with MFA, refreshes, lists sessions and logs out — printing each step.
//!
//! Run: `cargo run -p caas-examples --example auth_flow`

use caas_auth::mfa::{Totp, TotpAlgorithm};
use caas_core::{Clock, SystemClock};
use caas_server::{ServeConfig, Server};
use serde_json::{Value, json};

/// The admin key this example configures (any 32+ characters).
const ADMIN_KEY: &str = "caas_admin_example-key-0123456789abcdef";
const PASSWORD: &str = "kamen-skarje-papir-ogenj-voda";

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Fallible<(u16, Value)> {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-tenant-id", "acme");
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let response = r.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

fn field<'a>(v: &'a Value, name: &str) -> Fallible<&'a str> {
    v[name]
        .as_str()
        .ok_or_else(|| format!("no `{name}` in {v}").into())
}

#[tokio::main]
async fn main() -> Fallible<()> {
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
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let api = Api {
        http: reqwest::Client::new(),
        base: base.clone(),
    };
    use reqwest::Method;

    let r = api
        .http
        .post(format!("{base}/v1/admin/tenants"))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "slug": "acme", "name": "Acme Inc.",
                       "settings": { "extensions": { "auth": { "allow_registration": true } } } }))
        .send()
        .await?;
    println!("1. tenant acme (sign-up allowed) → {}", r.status());

    let (status, user) = api
        .call(
            Method::POST,
            "/v1/auth/register",
            None,
            Some(json!({ "email": "ana@example.com", "password": PASSWORD })),
        )
        .await?;
    println!(
        "2. register ana@example.com → {status}, user id {}",
        field(&user, "id")?
    );

    let login = json!({ "login": "ana@example.com", "password": PASSWORD });
    let (status, pair) = api
        .call(Method::POST, "/v1/auth/login", None, Some(login.clone()))
        .await?;
    let token = field(&pair, "access_token")?.to_owned();
    println!(
        "3. login → {status}, access token expires in {} s",
        pair["expires_in"]
    );

    let (status, enrollment) = api
        .call(Method::POST, "/v1/auth/mfa/totp", Some(&token), None)
        .await?;
    println!(
        "4. enroll TOTP → {status}: {}",
        field(&enrollment, "otpauth_uri")?
    );
    let secret = data_encoding::BASE32_NOPAD.decode(field(&enrollment, "secret")?.as_bytes())?;
    let app = Totp::new(zeroize::Zeroizing::new(secret), TotpAlgorithm::Sha1, 6, 30);
    let now = || SystemClock.now().as_secs();
    let (status, codes) = api
        .call(
            Method::POST,
            "/v1/auth/mfa/totp/confirm",
            Some(&token),
            Some(json!({ "code": app.code_at(now())? })),
        )
        .await?;
    println!(
        "5. confirm with the app's code → {status}, {} backup codes (first: {})",
        codes["backup_codes"].as_array().map_or(0, Vec::len),
        codes["backup_codes"][0]
    );

    let (status, challenge) = api
        .call(Method::POST, "/v1/auth/login", None, Some(login))
        .await?;
    println!(
        "6. login again → {status}: mfa_required = {}, methods {}",
        challenge["mfa_required"], challenge["methods"]
    );
    // The confirmation used this step's code: wait for the next one.
    let wait = 30 - now().rem_euclid(30) + 1;
    println!("   (waiting {wait} s for the authenticator's next code)");
    tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(wait)?)).await;
    let (status, pair) = api
        .call(
            Method::POST,
            "/v1/auth/mfa/verify",
            None,
            Some(json!({ "challenge_id": challenge["challenge_id"], "code": app.code_at(now())? })),
        )
        .await?;
    let token = field(&pair, "access_token")?.to_owned();
    let (_, me) = api
        .call(Method::GET, "/v1/auth/me", Some(&token), None)
        .await?;
    println!(
        "7. verify the code → {status}; /v1/auth/me says amr = {}",
        me["amr"]
    );

    let (status, refreshed) = api
        .call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": pair["refresh_token"] })),
        )
        .await?;
    let token = field(&refreshed, "access_token")?.to_owned();
    println!("8. refresh → {status}, a new pair (the old refresh token is now spent)");
    let (status, reuse) = api
        .call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": pair["refresh_token"] })),
        )
        .await?;
    println!(
        "   presenting the spent one again → {status} {}",
        reuse["detail"]
    );

    // The reuse ended that session; log in once more to show the list.
    let (_, challenge) = api
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({ "login": "ana@example.com", "password": PASSWORD })),
        )
        .await?;
    let (_, codes_pair) = api
        .call(
            Method::POST,
            "/v1/auth/mfa/verify",
            None,
            Some(json!({ "challenge_id": challenge["challenge_id"], "code": codes["backup_codes"][0] })),
        )
        .await?;
    let token_b = field(&codes_pair, "access_token")?.to_owned();
    let (status, sessions) = api
        .call(Method::GET, "/v1/auth/sessions", Some(&token_b), None)
        .await?;
    println!("9. sessions (after a backup-code login) → {status}:");
    for s in sessions.as_array().cloned().unwrap_or_default() {
        println!(
            "   {} current={} ip={} amr={}",
            s["id"], s["current"], s["ip_prefix"], s["amr"]
        );
    }
    let (status, _) = api
        .call(Method::GET, "/v1/auth/me", Some(&token), None)
        .await?;
    println!("   the token of the session ended by the reuse → {status}");

    let (status, _) = api
        .call(Method::POST, "/v1/auth/logout", Some(&token_b), None)
        .await?;
    let (after, _) = api
        .call(Method::GET, "/v1/auth/me", Some(&token_b), None)
        .await?;
    println!("10. logout → {status}; the access token afterwards → {after}");

    let _ = stop.send(());
    running.await??;
    Ok(())
}
