//! `Vault`: sessions and devices sealed with a tenant data key.

use std::sync::Arc;

use caas_core::testkit::Backend;
use caas_core::{
    ErrorKind, NewTenant, SqlTenantStore, TenantId, TenantSlug, TenantStore, Timestamp,
};
use caas_crypto::e2e::{Device, IdentityKeyPair, Vault};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [sealed_state_opens_only_for_its_owner_and_tenant],
}

async fn tenant(b: &Backend, slug: &str) -> TenantId {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Vault"))
        .await
        .unwrap()
        .id
}

async fn sealed_state_opens_only_for_its_owner_and_tenant(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await, tenant(b, "umbrella").await);
    let keys: Arc<dyn KeyManager> = Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        None,
    ));
    let vault = Vault::new(keys.clone());
    let (mut alice, mut bob) = crate::pair();
    let sealed = vault
        .seal_session(&t, "alice/phone/bob", &alice)
        .await
        .unwrap();
    let (h, c) = alice.encrypt(b"after sealing").unwrap();
    // The sealed copy is the state before that message; it still decrypts
    // Bob's reply (which starts a new chain).
    let mut restored = vault
        .open_session(&t, "alice/phone/bob", &sealed)
        .await
        .unwrap();
    assert_eq!(bob.decrypt(&h, &c).unwrap(), b"after sealing");
    let (h, c) = bob.encrypt(b"reply").unwrap();
    assert_eq!(restored.decrypt(&h, &c).unwrap(), b"reply");
    // Another owner, tenant or purpose: refused.
    let e = vault
        .open_session(&t, "mallory/phone/bob", &sealed)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    keys.encrypt(&other, "e2e.sessions", b"x").await.unwrap();
    assert!(
        vault
            .open_session(&other, "alice/phone/bob", &sealed)
            .await
            .is_err()
    );
    assert!(
        vault
            .open_device(&t, "alice/phone/bob", &sealed)
            .await
            .is_err()
    );
    assert!(vault.seal_session(&t, "", &restored).await.is_err());

    let device = Device::new(IdentityKeyPair::generate(), Timestamp::EPOCH);
    let sealed = vault.seal_device(&t, "alice/phone", &device).await.unwrap();
    let back = vault.open_device(&t, "alice/phone", &sealed).await.unwrap();
    assert_eq!(back.identity().public(), device.identity().public());
    assert!(
        !sealed
            .windows(32)
            .any(|w| w == &device.identity().seed()[..])
    );
}
