//! The facade: a platform opened in memory publishes the identity events a
//! webhook subscribes to.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

mod upgrade;

use caas::auth::Login;
use caas::auth::users::NewUser;
use caas::core::{Envelope, NewTenant, SecretString, TenantSettings, TopicFilter};
use caas::{Platform, PlatformConfig};

fn config() -> PlatformConfig {
    let mut c = PlatformConfig::in_memory();
    c.auth.password_hash_memory_kib = 64;
    c
}

#[tokio::test]
async fn every_published_identity_event_is_in_the_catalogue_and_arrives() {
    let platform = Platform::open(&config()).await.unwrap();
    let catalogue = Platform::catalogue().unwrap();
    for t in [
        "user.created",
        "auth.login_failed",
        "session.created",
        "tenant.created",
    ] {
        assert!(catalogue.get(t).is_some(), "{t}");
    }
    catalogue.check_pattern("auth.*").unwrap();

    let mut subs = Vec::new();
    for t in ["user.created", "auth.login_failed", "session.created"] {
        subs.push(
            platform
                .backends
                .events
                .subscribe(TopicFilter::any_tenant(t).unwrap())
                .await
                .unwrap(),
        );
    }
    let mut settings = TenantSettings::default();
    settings.extensions.insert(
        "auth".into(),
        serde_json::json!({ "allow_registration": true }),
    );
    let acme = platform
        .create_tenant(
            NewTenant::new("acme-events".parse().unwrap(), "Acme").with_settings(settings),
            None,
        )
        .await
        .unwrap();
    let new = NewUser {
        email: Some("ann@acme.example".into()),
        ..NewUser::default()
    };
    let password = SecretString::from("a long and unusual passphrase");
    let user = platform
        .auth
        .register(&acme, &new, &password)
        .await
        .unwrap();
    let mut login = Login {
        login: "ann@acme.example".into(),
        password: SecretString::from("not the passphrase at all"),
        fingerprint: Default::default(),
        ip: None,
        trusted_device: None,
    };
    assert!(platform.auth.login(&acme, &login).await.is_err());
    login.password = password;
    platform.auth.login(&acme, &login).await.unwrap();

    for (sub, t) in subs
        .iter_mut()
        .zip(["user.created", "auth.login_failed", "session.created"])
    {
        let event = sub.recv().await.unwrap();
        let e = Envelope::from_event(&event.topic, &event.payload).unwrap();
        assert_eq!(e.event_type, t);
        assert_eq!(e.tenant_id, acme.id);
        assert_eq!(e.data["user_id"], user.id.to_string(), "{t}: {}", e.data);
        let text = e.data.to_string();
        assert!(
            !text.contains("passphrase") && !text.contains("ann@"),
            "{t}: {text}"
        );
    }
    platform.close().await;
}

/// The README's event table is the catalogue: every type, its meaning, in order.
#[test]
fn the_readme_lists_every_event_type() {
    let readme = include_str!("../../../README.md");
    let listed: Vec<(String, String)> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            // The event table's rows: | `type` | caas-… | meaning |.
            (cells.len() == 5 && cells[2].starts_with("caas"))
                .then(|| (name.to_owned(), cells[3].to_owned()))
        })
        .collect();
    let catalogue: Vec<(String, String)> = Platform::catalogue()
        .unwrap()
        .types()
        .iter()
        .map(|t| (t.name.to_owned(), t.description.to_owned()))
        .collect();
    assert_eq!(listed, catalogue);
}
