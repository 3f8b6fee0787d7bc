//! The `KeyManager` conformance suite, on every SQL backend.

use caas_core::testkit::Backend;
use caas_core::{
    ErrorKind, NewTenant, SqlTenantStore, TenantId, TenantSlug, TenantStore, TopicFilter,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        data_decrypts_only_for_its_tenant_and_purpose,
        rotation_keeps_old_data_readable,
        shredding_makes_a_subjects_data_erased,
        bad_input_is_refused,
    ],
}

async fn tenant(b: &Backend, slug: &str) -> TenantId {
    let store = SqlTenantStore::new(b.sql().clone(), b.shared_clock());
    store
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Keys"))
        .await
        .unwrap()
        .id
}

fn manager(b: &Backend) -> SqlKeyManager {
    SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        Some(b.events.clone()),
    )
}

async fn data_decrypts_only_for_its_tenant_and_purpose(b: &Backend) {
    let (t1, t2) = (tenant(b, "acme").await, tenant(b, "umbrella").await);
    let km = manager(b);
    let ct = km
        .encrypt(&t1, "profiles", b"alice@example.com")
        .await
        .unwrap();
    assert_eq!(
        &km.decrypt(&t1, "profiles", &ct).await.unwrap()[..],
        b"alice@example.com"
    );
    assert!(!ct.windows(5).any(|w| w == b"alice"), "plaintext leaked");
    // Another tenant (with its own key for the purpose) or another purpose: refused.
    km.encrypt(&t2, "profiles", b"x").await.unwrap();
    assert!(km.decrypt(&t2, "profiles", &ct).await.is_err());
    km.encrypt(&t1, "sessions", b"x").await.unwrap();
    assert!(km.decrypt(&t1, "sessions", &ct).await.is_err());
    // Every byte matters.
    for i in [0, 4, 10, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[i] ^= 1;
        assert!(km.decrypt(&t1, "profiles", &bad).await.is_err(), "byte {i}");
    }
    // Another master key cannot open the stored tenant key.
    let other = SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        None,
    );
    assert!(other.decrypt(&t1, "profiles", &ct).await.is_err());
}

async fn next_event(events: &mut caas_core::Subscription) -> serde_json::Value {
    let event = events.recv().await.unwrap();
    serde_json::from_slice(&event.payload).unwrap()
}

async fn count(b: &Backend, t: &TenantId, sql: &'static str) -> i64 {
    let mut tx = b.sql().tenant_tx(t).await.unwrap();
    let caas_core::sql::Scalar(n): caas_core::sql::Scalar<i64> = caas_core::sql::query(sql)
        .bind(*t)
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

async fn rotation_keeps_old_data_readable(b: &Backend) {
    let t = tenant(b, "acme").await;
    let km = manager(b);
    let mut events = b
        .events
        .subscribe(TopicFilter::any_tenant("keys.rotated").unwrap())
        .await
        .unwrap();
    let mut done = b
        .events
        .subscribe(TopicFilter::any_tenant("keys.rewrapped").unwrap())
        .await
        .unwrap();
    let mut data = Vec::new();
    for purpose in ["profiles", "sessions"] {
        data.push((
            purpose,
            km.encrypt(&t, purpose, purpose.as_bytes()).await.unwrap(),
        ));
    }
    let mut subjects = Vec::new();
    for subject in ["user-1", "user-2", "user-3"] {
        let ct = km
            .encrypt_for_subject(&t, subject, "profiles", subject.as_bytes())
            .await
            .unwrap();
        subjects.push((subject, ct));
    }
    let check = async |km: &SqlKeyManager| {
        for (purpose, ct) in &data {
            assert_eq!(
                &km.decrypt(&t, purpose, ct).await.unwrap()[..],
                purpose.as_bytes()
            );
        }
        for (subject, ct) in &subjects {
            let plain = km
                .decrypt_for_subject(&t, subject, "profiles", ct)
                .await
                .unwrap();
            assert_eq!(&plain[..], subject.as_bytes());
        }
    };
    assert_eq!(km.rotate_tenant_key(&t).await.unwrap(), 2);
    assert_eq!(km.rotate_tenant_key(&t).await.unwrap(), 3);
    for to in [2, 3] {
        let body = next_event(&mut events).await;
        assert_eq!(
            (body["type"].as_str(), body["data"]["to_version"].as_i64()),
            (Some("keys.rotated"), Some(to))
        );
    }
    // Before any re-wrapping the old versions still open everything, and new
    // data goes under the new version.
    check(&km).await;
    let after = km.encrypt(&t, "profiles", b"after").await.unwrap();
    assert_eq!(
        &km.decrypt(&t, "profiles", &after).await.unwrap()[..],
        b"after"
    );
    let history = km.rotations(&t).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].from_version, history[0].to_version), (2, 3));
    assert_eq!(history[0].completed_at, None);

    // Re-wrapping runs in batches and reports what is left.
    let mut progress = Vec::new();
    for _ in 0..4 {
        let step = km.rewrap(&t, 2).await.unwrap();
        progress.push((step.rewrapped, step.remaining));
    }
    assert_eq!(progress, [(2, 3), (2, 1), (1, 0), (0, 0)]);
    let body = next_event(&mut done).await;
    assert_eq!(
        (body["type"].as_str(), body["data"]["version"].as_i64()),
        (Some("keys.rewrapped"), Some(3))
    );
    let history = km.rotations(&t).await.unwrap();
    assert_eq!(history[0].rewrapped, 5);
    assert!(
        history.iter().all(|r| r.completed_at.is_some()),
        "{history:?}"
    );

    // Everything is under version 3 now: without versions 1 and 2 it all opens.
    assert_eq!(
        count(b, &t, "SELECT COUNT(*) FROM crypto_data_keys WHERE tenant_id = $1 AND tenant_key_version <> 3").await
            + count(b, &t, "SELECT COUNT(*) FROM crypto_subject_keys WHERE tenant_id = $1 AND tenant_key_version <> 3").await,
        0
    );
    let mut tx = b.sql().tenant_tx(&t).await.unwrap();
    caas_core::sql::query("DELETE FROM crypto_tenant_keys WHERE tenant_id = $1 AND version < 3")
        .bind(t)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    check(&km).await;
    // `rewrap_all` on a finished tenant does nothing.
    assert_eq!(km.rewrap_all(&t, 100).await.unwrap(), 0);
    assert_eq!(
        count(
            b,
            &t,
            "SELECT COUNT(*) FROM crypto_key_rotations WHERE tenant_id = $1"
        )
        .await,
        2
    );
}

async fn shredding_makes_a_subjects_data_erased(b: &Backend) {
    let t = tenant(b, "acme").await;
    let km = manager(b);
    let gone = km
        .encrypt_for_subject(&t, "user-1", "profiles", b"secret")
        .await
        .unwrap();
    let kept = km
        .encrypt_for_subject(&t, "user-2", "profiles", b"other")
        .await
        .unwrap();
    km.shred(&t, "user-1").await.unwrap();
    let e = km
        .decrypt_for_subject(&t, "user-1", "profiles", &gone)
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, "erased"), "{e}");
    assert_eq!(
        &km.decrypt_for_subject(&t, "user-2", "profiles", &kept)
            .await
            .unwrap()[..],
        b"other"
    );
    // Shredding again is harmless; new data for the subject gets a new key,
    // and the old data stays erased.
    km.shred(&t, "user-1").await.unwrap();
    let fresh = km
        .encrypt_for_subject(&t, "user-1", "profiles", b"new")
        .await
        .unwrap();
    assert_eq!(
        &km.decrypt_for_subject(&t, "user-1", "profiles", &fresh)
            .await
            .unwrap()[..],
        b"new"
    );
    let e = km
        .decrypt_for_subject(&t, "user-1", "profiles", &gone)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "erased");
    // The record names the key that was shredded, never key material and
    // never the subject (an erased subject leaves no identifier behind).
    let mut tx = b.sql().tenant_tx(&t).await.unwrap();
    let rows: Vec<caas_core::sql::Scalar<String>> =
        caas_core::sql::query("SELECT subject FROM crypto_shredded_keys WHERE tenant_id = $1")
            .bind(t)
            .fetch_all(&mut tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "");
    // Subject data is bound to its subject and purpose.
    assert!(
        km.decrypt_for_subject(&t, "user-2", "profiles", &fresh)
            .await
            .is_err()
    );
    assert!(
        km.decrypt_for_subject(&t, "user-1", "sessions", &fresh)
            .await
            .is_err()
    );
}

async fn bad_input_is_refused(b: &Backend) {
    let t = tenant(b, "acme").await;
    let km = manager(b);
    let e = km.encrypt(&t, "Not A Purpose", b"x").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("purpose"))
    );
    let e = km
        .encrypt_for_subject(&t, "", "profiles", b"x")
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("subject"));
    assert_eq!(
        km.decrypt(&t, "profiles", &[]).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        km.decrypt(&t, "profiles", &[9, 0, 0])
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    if let Some(db) = b.db()
        && db.dialect() == caas_core::Dialect::Postgres
    {
        assert_eq!(
            caas_core::testkit::tenant_tables_without_rls(db)
                .await
                .unwrap(),
            Vec::<String>::new()
        );
    }
}
