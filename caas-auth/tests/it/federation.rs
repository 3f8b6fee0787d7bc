//! Upstream identity providers and links on every backend: validation,
//! the client secret sealed at rest (the stored bytes are not the secret,
//! only `with_secret` opens it), updates keeping the secret, deletion
//! removing links. The login through a real provider is `.ci/interop`
//! (npm oidc-provider).

use std::sync::Arc;

use caas_auth::federation::{FederatedLinks, IdentityProviders, ProviderKind, ProviderSettings};
use caas_core::sql::{Scalar, query};
use caas_core::testkit::Backend;
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [providers_seal_their_secrets, links_are_per_provider_and_subject],
}

fn settings(kind: ProviderKind, issuer: Option<&str>, secret: Option<&str>) -> ProviderSettings {
    ProviderSettings {
        kind,
        name: "Upstream".into(),
        client_id: "client".into(),
        client_secret: secret.map(str::to_owned),
        issuer: issuer.map(str::to_owned),
        scopes: Vec::new(),
        link_by_email: true,
        create_users: true,
        enabled: true,
    }
}

async fn providers_seal_their_secrets(b: &Backend) {
    let keys: Arc<dyn KeyManager> = Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        None,
    ));
    let store = IdentityProviders::new(b.sql().clone(), keys, b.shared_clock());
    let t = tenant(b, "fed-providers").await;
    // The rules.
    for (bad, field) in [
        (settings(ProviderKind::Oidc, None, None), "issuer"),
        (
            settings(ProviderKind::Google, Some("https://x.example.com"), None),
            "issuer",
        ),
        (
            settings(ProviderKind::Oidc, Some("ftp://x.example.com"), None),
            "issuer",
        ),
        (
            ProviderSettings {
                name: String::new(),
                ..settings(ProviderKind::Github, None, None)
            },
            "name",
        ),
    ] {
        let e = store.create(&t.id, &bad).await.unwrap_err();
        assert_eq!(e.field(), Some(field), "{e}");
    }
    let p = store
        .create(
            &t.id,
            &settings(
                ProviderKind::Oidc,
                Some("https://idp.example.com"),
                Some("s3cret-value"),
            ),
        )
        .await
        .unwrap();
    assert!(p.has_secret);
    assert_eq!(p.settings.client_secret, None);
    assert_eq!(
        p.settings.scopes(),
        ["openid", "email", "profile"].map(String::from)
    );
    // At rest: sealed, not the secret.
    let mut tx = b.sql().tenant_tx(&t.id).await.unwrap();
    let raw: Scalar<Vec<u8>> =
        query("SELECT sealed_secret FROM auth_identity_providers WHERE tenant_id = $1 AND id = $2")
            .bind(t.id)
            .bind(p.id.as_str())
            .fetch_one(&mut tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert!(!raw.0.windows(12).any(|w| w == b"s3cret-value"));
    let (_, secret) = store.with_secret(&t.id, &p.id).await.unwrap().unwrap();
    assert_eq!(secret.unwrap().as_str(), "s3cret-value");
    // An update without a secret keeps it; with one, replaces it.
    store
        .update(
            &t.id,
            &p.id,
            &settings(ProviderKind::Oidc, Some("https://idp.example.com"), None),
        )
        .await
        .unwrap();
    let (_, secret) = store.with_secret(&t.id, &p.id).await.unwrap().unwrap();
    assert_eq!(secret.unwrap().as_str(), "s3cret-value");
    store
        .update(
            &t.id,
            &p.id,
            &settings(
                ProviderKind::Oidc,
                Some("https://idp.example.com"),
                Some("new"),
            ),
        )
        .await
        .unwrap();
    let (_, secret) = store.with_secret(&t.id, &p.id).await.unwrap().unwrap();
    assert_eq!(secret.unwrap().as_str(), "new");
    // Another tenant sees nothing.
    let other = tenant(b, "fed-providers-b").await;
    assert!(store.get(&other.id, &p.id).await.unwrap().is_none());
    assert!(store.list(&other.id).await.unwrap().is_empty());
    store.delete(&t.id, &p.id).await.unwrap();
    assert_eq!(
        store.delete(&t.id, &p.id).await.unwrap_err().kind(),
        caas_core::ErrorKind::NotFound
    );
}

async fn links_are_per_provider_and_subject(b: &Backend) {
    let links = FederatedLinks::new(b.sql().clone(), b.shared_clock());
    let t = tenant(b, "fed-links").await;
    assert_eq!(
        links.user_of(&t.id, "idp_a", "sub-1", None).await.unwrap(),
        None
    );
    links
        .link(&t.id, "idp_a", "sub-1", "user-1", Some("a@example.com"))
        .await
        .unwrap();
    assert_eq!(
        links
            .user_of(&t.id, "idp_a", "sub-1", None)
            .await
            .unwrap()
            .as_deref(),
        Some("user-1")
    );
    // The same subject at another provider is another account.
    assert_eq!(
        links.user_of(&t.id, "idp_b", "sub-1", None).await.unwrap(),
        None
    );
    // A subject links once.
    assert!(
        links
            .link(&t.id, "idp_a", "sub-1", "user-2", None)
            .await
            .is_err()
    );
    assert_eq!(links.of_user(&t.id, "user-1").await.unwrap().len(), 1);
}
