//! End-to-end encryption: caas-crypto's profile `caas-e2e-v1` and, in the
//! same run, vodozemac's Olm (the Matrix implementation of the same ideas).
//!
//! `cargo bench -p caas-benches --bench e2e`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;

use caas_crypto::e2e::{
    IdentityKeyPair, KeyPair, OneTimePrekey, PrekeyBundle, RandomKeys, Session, SignedPrekey, x3dh,
};
use criterion::{Criterion, criterion_group, criterion_main};
use vodozemac::olm::{Account, OlmMessage, SessionConfig};

fn caas(c: &mut Criterion) {
    let (alice, bob) = (IdentityKeyPair::generate(), IdentityKeyPair::generate());
    let (spk, opk) = (KeyPair::generate(), KeyPair::generate());
    let bundle = PrekeyBundle {
        identity: bob.public(),
        signed_prekey: SignedPrekey::sign(&bob, 1, &spk),
        one_time_prekey: Some(OneTimePrekey {
            id: 1,
            key: opk.public(),
        }),
    };
    let mut group = c.benchmark_group("e2e");
    group.bench_function("caas X3DH, both sides", |b| {
        b.iter(|| {
            let ek = KeyPair::generate();
            let a = x3dh::initiate(&alice, &ek, black_box(&bundle)).unwrap();
            let r = x3dh::respond(&bob, &spk, Some(&opk), &alice.public(), &ek.public()).unwrap();
            black_box((a, r))
        });
    });

    let ek = KeyPair::generate();
    let a = x3dh::initiate(&alice, &ek, &bundle).unwrap();
    let r = x3dh::respond(&bob, &spk, Some(&opk), &alice.public(), &ek.public()).unwrap();
    let mut alice_session = Session::init_alice(&a, &spk.public(), &mut RandomKeys).unwrap();
    let mut bob_session = Session::init_bob(&r, spk.clone());
    let (h, ct) = alice_session.encrypt(b"hello").unwrap();
    bob_session.decrypt(&h, &ct).unwrap();
    let message = vec![7u8; 1024];
    group.bench_function("caas ratchet encrypt + decrypt, 1 KiB", |b| {
        b.iter(|| {
            let (h, ct) = alice_session.encrypt(black_box(&message)).unwrap();
            black_box(bob_session.decrypt(&h, &ct).unwrap())
        });
    });

    group.bench_function("vodozemac Olm session create, both sides", |b| {
        let mut olm_bob = Account::new();
        let olm_alice = Account::new();
        b.iter(|| {
            olm_bob.generate_one_time_keys(1);
            let otk = *olm_bob.one_time_keys().values().next().unwrap();
            olm_bob.mark_keys_as_published();
            let mut session = olm_alice
                .create_outbound_session(SessionConfig::version_1(), olm_bob.curve25519_key(), otk)
                .unwrap();
            let OlmMessage::PreKey(m) = session.encrypt(b"hi").unwrap() else {
                unreachable!("the first message is a prekey message")
            };
            black_box(
                olm_bob
                    .create_inbound_session(
                        SessionConfig::version_1(),
                        olm_alice.curve25519_key(),
                        &m,
                    )
                    .unwrap(),
            )
        });
    });

    let olm_alice = Account::new();
    let mut olm_bob = Account::new();
    olm_bob.generate_one_time_keys(1);
    let otk = *olm_bob.one_time_keys().values().next().unwrap();
    let mut a = olm_alice
        .create_outbound_session(SessionConfig::version_1(), olm_bob.curve25519_key(), otk)
        .unwrap();
    let OlmMessage::PreKey(first) = a.encrypt(b"hi").unwrap() else {
        unreachable!("the first message is a prekey message")
    };
    let mut b_session = olm_bob
        .create_inbound_session(
            SessionConfig::version_1(),
            olm_alice.curve25519_key(),
            &first,
        )
        .unwrap()
        .session;
    let reply = b_session.encrypt(b"ok").unwrap();
    a.decrypt(&reply).unwrap();
    group.bench_function("vodozemac Olm encrypt + decrypt, 1 KiB", |b| {
        b.iter(|| {
            let m = a.encrypt(black_box(&message)).unwrap();
            black_box(b_session.decrypt(&m).unwrap())
        });
    });
    group.finish();
}

criterion_group!(benches, caas);
criterion_main!(benches);
