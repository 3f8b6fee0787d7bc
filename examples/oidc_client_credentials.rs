//! Machine-to-machine OAuth 2.0 against a tenant's issuer, in-process: a
//! tenant admin registers a confidential client allowed the
//! `client_credentials` grant for one API; the service discovers the
//! issuer, gets an access token with HTTP Basic client authentication,
//! the API verifies it locally with the issuer's JWKS (signature, `iss`,
//! `aud`, `exp`), checks it by introspection, and the service revokes it.
//!
//! Run: `cargo run -p caas-examples --example oidc_client_credentials`

use caas_server::{ServeConfig, Server};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};

/// The admin key this example configures (any 32+ characters).
const ADMIN_KEY: &str = "caas_admin_example-key-0123456789abcdef";
const PASSWORD: &str = "kamen-skarje-papir-ogenj-voda";
/// The API the tokens are for (their audience).
const API: &str = "https://orders.example.com";

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn text<'a>(v: &'a Value, name: &str) -> Fallible<&'a str> {
    v[name]
        .as_str()
        .ok_or_else(|| format!("no `{name}` in {v}").into())
}

#[tokio::main]
async fn main() -> Fallible<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
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
    let http = reqwest::Client::new();

    // The platform admin creates the tenant with its first admin, who logs in.
    http.post(format!("{base}/v1/admin/tenants"))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "slug": "acme", "name": "Acme Inc.",
                       "admin": { "email": "boss@acme.example", "password": PASSWORD } }))
        .send()
        .await?
        .error_for_status()?;
    let login: Value = http
        .post(format!("{base}/v1/auth/login"))
        .header("x-tenant-id", "acme")
        .json(&json!({ "login": "boss@acme.example", "password": PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let admin = text(&login, "access_token")?;

    // The admin registers the service: client credentials, one API, two scopes.
    let client: Value = http
        .post(format!("{base}/v1/oauth/clients"))
        .header("x-tenant-id", "acme")
        .bearer_auth(admin)
        .json(
            &json!({ "name": "Billing service", "client_type": "confidential",
                       "grant_types": ["client_credentials"],
                       "scopes": ["orders:read", "orders:write"], "audiences": [API] }),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let (id, secret) = (text(&client, "id")?, text(&client, "client_secret")?);
    println!("registered client {id} (its secret is shown once)");

    // The service finds the endpoints by discovery.
    let issuer = format!("{base}/t/acme");
    let meta: Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await?
        .json()
        .await?;
    let token_endpoint = text(&meta, "token_endpoint")?;
    println!("issuer {}", text(&meta, "issuer")?);

    // client_credentials with HTTP Basic, for the API, one scope.
    let tokens: Value = http
        .post(token_endpoint)
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "orders:read"),
            ("resource", API),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let access = text(&tokens, "access_token")?;
    println!(
        "access token for `{}`, {} s",
        text(&tokens, "scope")?,
        tokens["expires_in"]
    );

    // The API verifies it locally, with only the issuer's JWKS.
    let jwks: JwkSet = http
        .get(text(&meta, "jwks_uri")?)
        .send()
        .await?
        .json()
        .await?;
    let header = jsonwebtoken::decode_header(access)?;
    let kid = header.kid.clone().ok_or("the token names no key")?;
    let jwk = jwks
        .find(&kid)
        .ok_or("the token's key is not in the JWKS")?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[API]);
    validation.set_issuer(&[text(&meta, "issuer")?]);
    let claims =
        jsonwebtoken::decode::<Value>(access, &DecodingKey::from_jwk(jwk)?, &validation)?.claims;
    println!(
        "verified locally: sub {}, aud {}, scope {}",
        claims["sub"], claims["aud"], claims["scope"]
    );

    // Or asks the issuer (RFC 7662); then the service revokes the token (RFC 7009).
    let introspect = |token: String| {
        let http = http.clone();
        let url = text(&meta, "introspection_endpoint").map(str::to_owned);
        let (id, secret) = (id.to_owned(), secret.to_owned());
        async move {
            let v: Value = http
                .post(url?)
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await?
                .json()
                .await?;
            Fallible::Ok(v)
        }
    };
    println!(
        "introspection: active = {}",
        introspect(access.to_owned()).await?["active"]
    );
    http.post(text(&meta, "revocation_endpoint")?)
        .basic_auth(id, Some(secret))
        .form(&[("token", access)])
        .send()
        .await?
        .error_for_status()?;
    println!(
        "after revocation: active = {}",
        introspect(access.to_owned()).await?["active"]
    );

    let _ = stop.send(());
    running.await??;
    Ok(())
}
