//! caas-crypto's integration tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod conversation;
mod keys;
mod mailbox;
mod prekeys;
mod safety;
mod vault;
mod vectors;

use caas_crypto::e2e::{
    IdentityKeyPair, KeyPair, OneTimePrekey, PrekeyBundle, RandomKeys, Session, SignedPrekey, x3dh,
};

/// Alice's and Bob's sessions after X3DH (with a one-time prekey).
pub(crate) fn pair() -> (Session, Session) {
    let (alice, bob) = (IdentityKeyPair::generate(), IdentityKeyPair::generate());
    let (spk, opk, ek) = (
        KeyPair::generate(),
        KeyPair::generate(),
        KeyPair::generate(),
    );
    let bundle = PrekeyBundle {
        identity: bob.public(),
        signed_prekey: SignedPrekey::sign(&bob, 1, &spk),
        one_time_prekey: Some(OneTimePrekey {
            id: 9,
            key: opk.public(),
        }),
    };
    let a = x3dh::initiate(&alice, &ek, &bundle).unwrap();
    let b = x3dh::respond(&bob, &spk, Some(&opk), &alice.public(), &ek.public()).unwrap();
    (
        Session::init_alice(&a, &spk.public(), &mut RandomKeys).unwrap(),
        Session::init_bob(&b, spk),
    )
}
