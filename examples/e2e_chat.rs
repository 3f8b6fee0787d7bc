//! End-to-end encrypted chat through an in-process `caas-server`: Alice and
//! Bob register devices, Alice fetches Bob's prekey bundle and starts an
//! X3DH session, they exchange Double Ratchet messages through the mailbox,
//! and both print the same safety number. The server only ever sees public
//! keys and ciphertext.
//!
//! Run: `cargo run -p caas-examples --example e2e_chat`
//!
//! Alice and Bob sign up and log in (the tenant allows sign-up); their access
//! tokens authorize the key and mailbox routes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::{Clock, SystemClock};
use caas_crypto::e2e::wire::{Message, PrekeyMessage};
use caas_crypto::e2e::{
    Device, IdentityKey, IdentityKeyPair, OneTimePrekey, PrekeyBundle, PrekeyPolicy, RandomKeys,
    SignedPrekey, safety,
};
use caas_server::{ServeConfig, Server};
use serde_json::{Value, json};

/// The admin key this example configures (any 32+ characters).
const ADMIN_KEY: &str = "caas_admin_example-key-0123456789abcdef";

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

/// A user of tenant `acme` talking to the server.
struct Client {
    http: reqwest::Client,
    base: String,
    user: &'static str,
    /// The user's id (the `sub` of the token), as others address them.
    id: String,
    token: String,
    device_id: &'static str,
    device: Device,
}

impl Client {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("x-tenant-id", "acme")
    }

    /// Publishes the device's identity, signed prekey and one-time prekeys.
    async fn register(&mut self) -> Fallible<()> {
        let policy = PrekeyPolicy::default();
        let now = SystemClock.now();
        // Nothing on the server yet: the policy asks for a full batch.
        let fresh = self.device.maintain(&policy, now, 0).one_time_prekeys;
        let spk = self.device.signed_prekey();
        let body = json!({
            "identity_key": B64.encode(self.device.identity().public().to_bytes()),
            "signed_prekey": { "id": spk.id, "public_key": B64.encode(spk.key), "signature": B64.encode(spk.signature) },
            "one_time_prekeys": fresh.iter().map(|k| json!({ "id": k.id, "public_key": B64.encode(k.key) })).collect::<Vec<_>>(),
        });
        let path = format!("/v1/keys/devices/{}", self.device_id);
        let r = self
            .request(reqwest::Method::PUT, &path)
            .json(&body)
            .send()
            .await?;
        println!(
            "   {} PUT {path} → {} {}",
            self.user,
            r.status(),
            r.text().await?
        );
        Ok(())
    }

    async fn send(&self, to_user: &str, to_device: &str, ciphertext: &[u8]) -> Fallible<()> {
        let r = self
            .request(reqwest::Method::POST, "/v1/messages")
            .json(&json!({
                "sender_device_id": self.device_id,
                "ttl_seconds": 3600,
                "messages": [{ "user_id": to_user, "device_id": to_device, "ciphertext": B64.encode(ciphertext) }],
            }))
            .send()
            .await?;
        println!("   {} POST /v1/messages → {}", self.user, r.status());
        Ok(())
    }

    /// Takes the device's inbox: every ciphertext, acknowledged.
    async fn receive(&self) -> Fallible<Vec<Vec<u8>>> {
        let path = format!("/v1/messages?device_id={}", self.device_id);
        let page: Value = self
            .request(reqwest::Method::GET, &path)
            .send()
            .await?
            .json()
            .await?;
        let mut out = Vec::new();
        for m in page["items"].as_array().cloned().unwrap_or_default() {
            out.push(B64.decode(m["ciphertext"].as_str().unwrap_or_default())?);
            let ack = format!(
                "/v1/messages/{}?device_id={}",
                m["id"].as_str().unwrap_or_default(),
                self.device_id
            );
            self.request(reqwest::Method::DELETE, &ack).send().await?;
        }
        Ok(out)
    }
}

fn key<const N: usize>(v: &Value) -> Fallible<[u8; N]> {
    let bytes = B64.decode(v.as_str().ok_or("missing key")?)?;
    Ok(<[u8; N]>::try_from(bytes.as_slice())?)
}

fn bundle(v: &Value) -> Fallible<PrekeyBundle> {
    let id = |v: &Value| u32::try_from(v.as_u64().unwrap_or_default());
    let one_time_prekey = match v["one_time_prekey"].as_object() {
        Some(k) => Some(OneTimePrekey {
            id: id(&k["id"])?,
            key: key(&k["public_key"])?,
        }),
        None => None,
    };
    Ok(PrekeyBundle {
        identity: IdentityKey::from_bytes(&key(&v["identity_key"])?)?,
        signed_prekey: SignedPrekey {
            id: id(&v["signed_prekey"]["id"])?,
            key: key(&v["signed_prekey"]["public_key"])?,
            signature: key(&v["signed_prekey"]["signature"])?,
        },
        one_time_prekey,
    })
}

/// Signs `user` up and logs in; returns (user id, access token).
async fn sign_up(http: &reqwest::Client, base: &str, user: &str) -> Fallible<(String, String)> {
    let email = format!("{user}@example.com");
    let password = format!("{user}-plays-kamen-skarje-papir");
    let created: Value = http
        .post(format!("{base}/v1/auth/register"))
        .header("x-tenant-id", "acme")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await?
        .json()
        .await?;
    let tokens: Value = http
        .post(format!("{base}/v1/auth/login"))
        .header("x-tenant-id", "acme")
        .json(&json!({ "login": email, "password": password }))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"].as_str().ok_or("no user id")?.to_owned();
    let token = tokens["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned();
    Ok((id, token))
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
    println!("1. server listening on {base}");

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/v1/admin/tenants"))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({ "slug": "acme", "name": "Acme Inc.",
                       "settings": { "extensions": { "auth": { "allow_registration": true } } } }))
        .send()
        .await?;
    println!("2. created tenant acme (sign-up allowed) → {}", r.status());
    let (alice_id, alice_token) = sign_up(&http, &base, "alice").await?;
    let (bob_id, bob_token) = sign_up(&http, &base, "bob").await?;
    println!("   alice and bob signed up and logged in");

    let now = SystemClock.now();
    let mut alice = Client {
        http: http.clone(),
        base: base.clone(),
        user: "alice",
        id: alice_id,
        token: alice_token,
        device_id: "phone",
        device: Device::new(IdentityKeyPair::generate(), now),
    };
    let mut bob = Client {
        http,
        base,
        user: "bob",
        id: bob_id,
        token: bob_token,
        device_id: "laptop",
        device: Device::new(IdentityKeyPair::generate(), now),
    };
    println!("3. devices publish their keys");
    alice.register().await?;
    bob.register().await?;

    println!("4. Alice fetches Bob's bundles and starts a session (X3DH)");
    let bundles: Value = alice
        .request(
            reqwest::Method::GET,
            &format!("/v1/keys/users/{}/bundles", bob.id),
        )
        .send()
        .await?
        .json()
        .await?;
    let bob_bundle = bundle(&bundles["devices"][0])?;
    println!(
        "   bundle of bob/{}: signed prekey {}, one-time prekey {:?}",
        bundles["devices"][0]["device_id"]
            .as_str()
            .unwrap_or_default(),
        bob_bundle.signed_prekey.id,
        bob_bundle.one_time_prekey.map(|k| k.id)
    );
    let (mut alice_session, first) = alice.device.initiate(
        &bob_bundle,
        b"Hi Bob! Kamen, skarje, papir?",
        &mut RandomKeys,
    )?;
    alice.send(&bob.id, "laptop", &first.to_bytes()).await?;

    println!("5. Bob reads his inbox, accepts the session and replies");
    let mut bob_session = None;
    for ciphertext in bob.receive().await? {
        let message = PrekeyMessage::from_bytes(&ciphertext)?;
        let (session, plaintext) = bob.device.accept(&message, &mut RandomKeys)?;
        println!("   Bob got: {}", String::from_utf8_lossy(&plaintext));
        bob_session = Some((session, message.identity));
    }
    let (mut bob_session, alice_identity) = bob_session.ok_or("Bob got no message")?;
    let (header, ciphertext) = bob_session.encrypt(b"Papir! (paper covers rock)")?;
    bob.send(
        &alice.id,
        "phone",
        &Message { header, ciphertext }.to_bytes(),
    )
    .await?;

    println!("6. Alice reads the reply");
    for ciphertext in alice.receive().await? {
        let message = Message::from_bytes(&ciphertext)?;
        let plaintext = alice_session.decrypt(&message.header, &message.ciphertext)?;
        println!("   Alice got: {}", String::from_utf8_lossy(&plaintext));
    }

    println!("7. both compare the safety number out of band");
    let alice_view = safety::safety_number(
        &alice.device.identity().public().to_bytes(),
        alice.id.as_bytes(),
        &bob_bundle.identity.to_bytes(),
        bob.id.as_bytes(),
    );
    let bob_view = safety::safety_number(
        &bob.device.identity().public().to_bytes(),
        bob.id.as_bytes(),
        &alice_identity.to_bytes(),
        alice.id.as_bytes(),
    );
    println!("   Alice sees {}", safety::display(&alice_view));
    println!("   Bob sees   {}", safety::display(&bob_view));
    println!("   match: {}", alice_view == bob_view);

    let count: Value = bob
        .request(
            reqwest::Method::GET,
            "/v1/keys/devices/laptop/prekeys/count",
        )
        .send()
        .await?
        .json()
        .await?;
    println!(
        "8. Bob has {} one-time prekeys left on the server",
        count["one_time_prekeys"]
    );

    let _ = stop.send(());
    running.await??;
    Ok(())
}
