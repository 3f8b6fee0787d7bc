//! `ApiKeys`: the secret shown once, hashed at rest, scopes, expiry, rotation.

use std::time::Duration;

use caas_auth::api_keys::{ApiKeyInput, ApiKeys};
use caas_core::testkit::Backend;
use caas_core::{ErrorKind, PrincipalKind};

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [api_keys_authenticate_until_expired_rotated_or_deleted],
}

fn input(name: &str, scopes: &[&str], expires_in: Option<u64>) -> ApiKeyInput {
    ApiKeyInput {
        name: name.into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        expires_in,
    }
}

async fn api_keys_authenticate_until_expired_rotated_or_deleted(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await.id, tenant(b, "umbrella").await.id);
    let keys = ApiKeys::new(b.sql().clone(), b.shared_clock());
    let (key, secret) = keys
        .create(&t, "ana", &input("ci", &["game:play", "read"], Some(3600)))
        .await
        .unwrap();
    let full = secret.expose();
    assert!(full.starts_with(&format!("caas_{}_", key.prefix)) && ApiKeys::looks_like_key(full));
    assert_eq!(key.last_used_at, None);
    let found = keys.authenticate(&t, full).await.unwrap();
    assert_eq!(found.id, key.id);
    assert!(found.last_used_at.is_some());
    let p = found.principal();
    assert_eq!(
        (p.kind, p.subject.clone()),
        (PrincipalKind::Service, format!("apikey:{}", key.id))
    );
    assert!(p.scopes.contains("game:play"));
    // The stored row holds only a hash of the secret.
    let mut tx = b.sql().tenant_tx(&t).await.unwrap();
    let caas_core::sql::Scalar(stored): caas_core::sql::Scalar<String> =
        caas_core::sql::query("SELECT secret_hash FROM auth_api_keys WHERE tenant_id = $1")
            .bind(t)
            .fetch_one(&mut tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert!(!full.contains(&stored) && stored.len() == 64);
    // Wrong secret, another tenant, junk: one refusal.
    let wrong = format!(
        "{}{}",
        &full[..full.len() - 1],
        if full.ends_with('A') { 'B' } else { 'A' }
    );
    for (tenant, presented) in [(t, wrong.as_str()), (other, full), (t, "caas_nope")] {
        let e = keys.authenticate(&tenant, presented).await.unwrap_err();
        assert_eq!(e.code(), "invalid_token");
    }
    // Rotation: the old key stops, the new one works, same id.
    let (rotated, new_secret) = keys.rotate(&t, key.id).await.unwrap();
    assert_eq!(rotated.id, key.id);
    assert!(keys.authenticate(&t, full).await.is_err());
    keys.authenticate(&t, new_secret.expose()).await.unwrap();
    // Expiry.
    b.clock.advance(Duration::from_secs(3600));
    assert!(keys.authenticate(&t, new_secret.expose()).await.is_err());
    let renewed = keys
        .update(&t, key.id, &input("ci-2", &["read"], Some(60)))
        .await
        .unwrap();
    assert_eq!((renewed.name.as_str(), renewed.scopes.len()), ("ci-2", 1));
    keys.authenticate(&t, new_secret.expose()).await.unwrap();
    // Lists per owner; bad input; delete.
    keys.create(&t, "bo", &input("bo's", &[], None))
        .await
        .unwrap();
    assert_eq!(keys.list(&t, Some("ana")).await.unwrap().len(), 1);
    assert_eq!(keys.list(&t, None).await.unwrap().len(), 2);
    for (bad, field) in [
        (input("", &[], None), "name"),
        (input("x", &["Not A Scope"], None), "scopes"),
        (input("x", &[], Some(0)), "expires_in"),
    ] {
        let e = keys.create(&t, "ana", &bad).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidInput, Some(field))
        );
    }
    keys.delete(&t, key.id).await.unwrap();
    assert!(keys.authenticate(&t, new_secret.expose()).await.is_err());
    assert_eq!(
        keys.delete(&t, key.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}
