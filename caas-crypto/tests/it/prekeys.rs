//! The `PrekeyStore` conformance suite, with the concurrent-claim test.

use std::collections::BTreeSet;

use caas_core::testkit::Backend;
use caas_core::{ErrorKind, NewTenant, SqlTenantStore, TenantId, TenantSlug, TenantStore};
use caas_crypto::PrekeyStore;
use caas_crypto::e2e::{IdentityKeyPair, KeyPair, OneTimePrekey, SignedPrekey};
use caas_crypto::prekeys::DeviceKeys;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        bundles_carry_verified_keys_and_one_time_prekeys_once,
        fifty_parallel_fetches_hand_out_twenty_distinct_prekeys,
        identity_keys_are_pinned_and_bad_uploads_refused,
    ],
}

async fn tenant(b: &Backend) -> TenantId {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse("acme").unwrap(), "Acme"))
        .await
        .unwrap()
        .id
}

fn device(opks: u32) -> (IdentityKeyPair, DeviceKeys) {
    let id = IdentityKeyPair::generate();
    let spk = KeyPair::generate();
    let keys = DeviceKeys {
        identity: id.public(),
        signed_prekey: SignedPrekey::sign(&id, 1, &spk),
        one_time_prekeys: (1..=opks)
            .map(|i| OneTimePrekey {
                id: i,
                key: KeyPair::generate().public(),
            })
            .collect(),
    };
    (id, keys)
}

async fn bundles_carry_verified_keys_and_one_time_prekeys_once(b: &Backend) {
    let t = tenant(b).await;
    let store = PrekeyStore::new(b.sql().clone(), b.shared_clock());
    let (_, phone) = device(2);
    let (_, laptop) = device(0);
    store
        .publish(&t, "bob", "phone", &phone, false)
        .await
        .unwrap();
    store
        .publish(&t, "bob", "laptop", &laptop, false)
        .await
        .unwrap();
    assert_eq!(store.count(&t, "bob", "phone").await.unwrap(), 2);
    let first = store.bundles(&t, "bob").await.unwrap();
    assert_eq!(first.len(), 2);
    let phone_bundle = first.iter().find(|d| d.device_id == "phone").unwrap();
    phone_bundle
        .bundle
        .signed_prekey
        .verify(&phone_bundle.bundle.identity)
        .unwrap();
    assert_eq!(phone_bundle.bundle.one_time_prekey.unwrap().id, 1);
    assert!(
        first
            .iter()
            .find(|d| d.device_id == "laptop")
            .unwrap()
            .bundle
            .one_time_prekey
            .is_none()
    );
    let second = store.bundles(&t, "bob").await.unwrap();
    let phone2 = second.iter().find(|d| d.device_id == "phone").unwrap();
    assert_eq!(phone2.bundle.one_time_prekey.unwrap().id, 2);
    let third = store.bundles(&t, "bob").await.unwrap();
    assert!(
        third.iter().all(|d| d.bundle.one_time_prekey.is_none()),
        "each prekey once"
    );
    assert_eq!(store.count(&t, "bob", "phone").await.unwrap(), 0);
    // Replenish below the threshold.
    let more: Vec<OneTimePrekey> = (10..15)
        .map(|i| OneTimePrekey {
            id: i,
            key: KeyPair::generate().public(),
        })
        .collect();
    assert_eq!(store.replenish(&t, "bob", "phone", &more).await.unwrap(), 5);
    assert!(store.bundles(&t, "nobody").await.unwrap().is_empty());
    let e = store
        .replenish(&t, "bob", "tablet", &more)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

async fn fifty_parallel_fetches_hand_out_twenty_distinct_prekeys(b: &Backend) {
    let t = tenant(b).await;
    let store = PrekeyStore::new(b.sql().clone(), b.shared_clock());
    let (_, keys) = device(20);
    store
        .publish(&t, "bob", "phone", &keys, false)
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.spawn(async move { store.bundles(&t, "bob").await });
    }
    let mut handed = Vec::new();
    let mut without = 0;
    while let Some(result) = tasks.join_next().await {
        let bundles = result.unwrap().unwrap();
        match bundles[0].bundle.one_time_prekey {
            Some(k) => handed.push(k.id),
            None => without += 1,
        }
    }
    let distinct: BTreeSet<u32> = handed.iter().copied().collect();
    assert_eq!(handed.len(), 20, "{handed:?}");
    assert_eq!(
        distinct.len(),
        20,
        "a prekey was handed out twice: {handed:?}"
    );
    assert_eq!(without, 30);
}

async fn identity_keys_are_pinned_and_bad_uploads_refused(b: &Backend) {
    let t = tenant(b).await;
    let store = PrekeyStore::new(b.sql().clone(), b.shared_clock());
    let (id, keys) = device(1);
    store
        .publish(&t, "bob", "phone", &keys, false)
        .await
        .unwrap();
    // A new signed prekey under the same identity is fine.
    let spk = KeyPair::generate();
    let rotated = DeviceKeys {
        signed_prekey: SignedPrekey::sign(&id, 2, &spk),
        one_time_prekeys: vec![],
        ..keys.clone()
    };
    store
        .publish(&t, "bob", "phone", &rotated, false)
        .await
        .unwrap();
    // Another identity is a conflict unless replaced explicitly (which drops
    // the old identity's one-time prekeys) or the device is reset.
    let (_, other) = device(0);
    let e = store
        .publish(&t, "bob", "phone", &other, false)
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code(), e.field()),
        (
            ErrorKind::Conflict,
            "identity_key_changed",
            Some("identity_key")
        )
    );
    assert_eq!(store.count(&t, "bob", "phone").await.unwrap(), 1);
    let (_, third) = device(0);
    let done = store
        .publish(&t, "bob", "phone", &third, true)
        .await
        .unwrap();
    assert_eq!(
        (done.created, done.replaced_identity),
        (false, Some(keys.identity))
    );
    assert_eq!(store.count(&t, "bob", "phone").await.unwrap(), 0);
    assert_eq!(
        store.bundles(&t, "bob").await.unwrap()[0].bundle.identity,
        third.identity
    );
    store.reset(&t, "bob", "phone").await.unwrap();
    assert_eq!(
        store.reset(&t, "bob", "phone").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let done = store
        .publish(&t, "bob", "phone", &other, false)
        .await
        .unwrap();
    assert_eq!((done.created, done.replaced_identity), (true, None));
    // A signature by someone else, a bad id, a duplicate prekey id: refused.
    let mut forged = other.clone();
    forged.signed_prekey.key = KeyPair::generate().public();
    let e = store
        .publish(&t, "bob", "phone", &forged, false)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("signed_prekey.signature"));
    let e = store
        .publish(&t, "bob", "bad id!", &other, false)
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("device_id"));
    let dup = vec![
        OneTimePrekey {
            id: 5,
            key: [9; 32],
        },
        OneTimePrekey {
            id: 5,
            key: [8; 32],
        },
    ];
    let e = store.replenish(&t, "bob", "phone", &dup).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        store.count(&t, "bob", "phone").await.unwrap(),
        0,
        "a refused upload changes nothing"
    );
}
