//! The `Mailbox` conformance suite.

use std::time::Duration;

use caas_core::testkit::Backend;
use caas_core::{ErrorKind, NewTenant, SqlTenantStore, TenantId, TenantSlug, TenantStore};
use caas_crypto::e2e::{IdentityKeyPair, KeyPair, SignedPrekey};
use caas_crypto::mailbox::Address;
use caas_crypto::prekeys::DeviceKeys;
use caas_crypto::{Mailbox, PrekeyStore};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        messages_reach_each_device_once_and_are_acknowledged,
        messages_expire_and_bad_input_is_refused,
    ],
}

/// A tenant where alice/phone, bob/phone and bob/laptop published keys.
async fn tenant(b: &Backend, slug: &str) -> TenantId {
    let t = SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Mail"))
        .await
        .unwrap()
        .id;
    let store = PrekeyStore::new(b.sql().clone(), b.shared_clock());
    for (user, device) in [("alice", "phone"), ("bob", "phone"), ("bob", "laptop")] {
        let id = IdentityKeyPair::generate();
        let keys = DeviceKeys {
            identity: id.public(),
            signed_prekey: SignedPrekey::sign(&id, 1, &KeyPair::generate()),
            one_time_prekeys: vec![],
        };
        store.publish(&t, user, device, &keys, false).await.unwrap();
    }
    t
}

fn at(user: &str, device: &str) -> Address {
    Address {
        user: user.into(),
        device: device.into(),
    }
}

async fn messages_reach_each_device_once_and_are_acknowledged(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await, tenant(b, "umbrella").await);
    let mail = Mailbox::new(b.sql().clone(), b.shared_clock());
    let alice = at("alice", "phone");
    let ids = mail
        .send(
            &t,
            &alice,
            &[
                (at("bob", "phone"), vec![1; 40]),
                (at("bob", "laptop"), vec![2; 40]),
            ],
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let phone = mail
        .inbox(&t, &at("bob", "phone"), None, 100)
        .await
        .unwrap();
    assert_eq!(phone.len(), 1);
    assert_eq!(
        (phone[0].ciphertext.clone(), phone[0].sender.clone()),
        (vec![1; 40], alice.clone())
    );
    assert_eq!(
        mail.inbox(&t, &at("bob", "laptop"), None, 100)
            .await
            .unwrap()[0]
            .ciphertext,
        vec![2; 40]
    );
    assert!(
        mail.inbox(&t, &at("carol", "phone"), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        mail.inbox(&other, &at("bob", "phone"), None, 100)
            .await
            .unwrap()
            .is_empty(),
        "tenants are isolated"
    );
    // Only the recipient device may acknowledge.
    let e = mail
        .ack(&t, &at("bob", "laptop"), phone[0].id)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    mail.ack(&t, &at("bob", "phone"), phone[0].id)
        .await
        .unwrap();
    assert!(
        mail.inbox(&t, &at("bob", "phone"), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        mail.ack(&t, &at("bob", "phone"), phone[0].id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // Paging is by id, oldest first.
    for i in 0..5u8 {
        mail.send(
            &t,
            &alice,
            &[(at("bob", "phone"), vec![i; 20])],
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    }
    let first = mail.inbox(&t, &at("bob", "phone"), None, 2).await.unwrap();
    let rest = mail
        .inbox(&t, &at("bob", "phone"), Some(first[1].id), 100)
        .await
        .unwrap();
    assert_eq!((first.len(), rest.len()), (2, 3));
    assert_eq!(first[0].ciphertext, vec![0; 20]);
}

async fn messages_expire_and_bad_input_is_refused(b: &Backend) {
    let t = tenant(b, "acme").await;
    let mail = Mailbox::new(b.sql().clone(), b.shared_clock());
    let alice = at("alice", "phone");
    mail.send(
        &t,
        &alice,
        &[(at("bob", "phone"), vec![1; 10])],
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    b.clock.advance(Duration::from_secs(61));
    assert!(
        mail.inbox(&t, &at("bob", "phone"), None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(mail.purge_expired(&t).await.unwrap(), 1);
    for (ttl, ct, field) in [
        (Duration::ZERO, vec![1], "ttl"),
        (Duration::from_secs(31 * 24 * 3600), vec![1], "ttl"),
        (Duration::from_secs(60), vec![], "messages.ciphertext"),
        (
            Duration::from_secs(60),
            vec![0; caas_crypto::mailbox::MAX_CIPHERTEXT + 1],
            "messages.ciphertext",
        ),
    ] {
        let e = mail
            .send(&t, &alice, &[(at("bob", "phone"), ct)], ttl)
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidInput, Some(field))
        );
    }
    // Unknown devices (sender or any recipient): not found, nothing stored.
    for (from, to, field) in [
        (
            at("mallory", "phone"),
            at("bob", "phone"),
            "sender_device_id",
        ),
        (alice.clone(), at("bob", "tablet"), "messages.device_id"),
    ] {
        let e = mail
            .send(
                &t,
                &from,
                &[(at("bob", "phone"), vec![1]), (to, vec![1])],
                Duration::from_secs(60),
            )
            .await
            .unwrap_err();
        assert_eq!((e.kind(), e.field()), (ErrorKind::NotFound, Some(field)));
    }
    assert!(
        mail.inbox(&t, &at("bob", "phone"), None, 100)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
}
