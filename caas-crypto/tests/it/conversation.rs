//! Double Ratchet behaviour: long conversations with reordering and drops,
//! tampering, replays, skip bounds, serialization and wire formats.

use caas_crypto::Error;
use caas_crypto::e2e::ratchet::MAX_SKIP;
use caas_crypto::e2e::wire::{Message, PrekeyMessage};
use caas_crypto::e2e::{Header, IdentityKeyPair, Session};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::pair;

struct InFlight {
    to_bob: bool,
    header: Header,
    ciphertext: Vec<u8>,
    plaintext: Vec<u8>,
}

#[test]
fn a_thousand_messages_with_reordering_drops_and_replies_decrypt_exactly() {
    for seed in [1u64, 2, 3] {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut alice, mut bob) = pair();
        let mut flight: Vec<InFlight> = Vec::new();
        let (mut sent, mut delivered, mut dropped) = (0, 0, 0);
        let mut bob_can_send = false;
        while sent < 1000 || !flight.is_empty() {
            let action = rng.random_range(0..10);
            if sent < 1000 && (action < 4 || flight.is_empty()) {
                let to_bob = !bob_can_send || rng.random_bool(0.5);
                let plaintext = format!(
                    "message {sent} from {}",
                    if to_bob { "alice" } else { "bob" }
                )
                .into_bytes();
                let sender = if to_bob { &mut alice } else { &mut bob };
                let (header, ciphertext) = sender.encrypt(&plaintext).unwrap();
                flight.push(InFlight {
                    to_bob,
                    header,
                    ciphertext,
                    plaintext,
                });
                sent += 1;
            } else {
                let m = flight.swap_remove(rng.random_range(0..flight.len()));
                if rng.random_bool(0.05) {
                    dropped += 1;
                    continue;
                }
                let receiver = if m.to_bob { &mut bob } else { &mut alice };
                let got = receiver.decrypt(&m.header, &m.ciphertext).unwrap();
                assert_eq!(got, m.plaintext, "seed {seed}");
                if m.to_bob {
                    bob_can_send = true;
                }
                delivered += 1;
            }
        }
        assert_eq!(delivered + dropped, 1000);
        assert!(dropped > 10 && dropped < 100, "{dropped}");
    }
}

#[test]
fn tampering_with_any_byte_fails_and_changes_nothing() {
    let (mut alice, mut bob) = pair();
    let (header, ciphertext) = alice.encrypt(b"attack at dawn").unwrap();
    let wire = Message { header, ciphertext }.to_bytes();
    let before = bob.to_bytes();
    for i in 2..wire.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = wire.clone();
            bad[i] ^= flip;
            let Ok(m) = Message::from_bytes(&bad) else {
                continue;
            };
            assert!(bob.decrypt(&m.header, &m.ciphertext).is_err(), "byte {i}");
            assert_eq!(*bob.to_bytes(), *before, "state changed by a bad byte {i}");
        }
    }
    let m = Message::from_bytes(&wire).unwrap();
    assert_eq!(
        bob.decrypt(&m.header, &m.ciphertext).unwrap(),
        b"attack at dawn"
    );
}

#[test]
fn a_replayed_message_fails() {
    let (mut alice, mut bob) = pair();
    let (h1, c1) = alice.encrypt(b"one").unwrap();
    let (h2, c2) = alice.encrypt(b"two").unwrap();
    assert_eq!(bob.decrypt(&h2, &c2).unwrap(), b"two");
    assert_eq!(
        bob.decrypt(&h1, &c1).unwrap(),
        b"one",
        "out of order is fine"
    );
    let before = bob.to_bytes();
    assert_eq!(bob.decrypt(&h1, &c1), Err(Error::Undecryptable));
    assert_eq!(bob.decrypt(&h2, &c2), Err(Error::Undecryptable));
    assert_eq!(*bob.to_bytes(), *before);
}

#[test]
fn skipping_is_bounded_with_a_clear_error() {
    let (mut alice, mut bob) = pair();
    let mut messages = Vec::new();
    for i in 0..=MAX_SKIP + 1 {
        messages.push(alice.encrypt(format!("{i}").as_bytes()).unwrap());
    }
    let (h, c) = &messages[(MAX_SKIP + 1) as usize];
    let e = bob.decrypt(h, c).unwrap_err();
    assert_eq!(
        e,
        Error::TooFarAhead {
            ahead: u64::from(MAX_SKIP) + 1,
            max: MAX_SKIP
        }
    );
    assert!(e.to_string().contains("at most 1000"), "{e}");
    let (h, c) = &messages[MAX_SKIP as usize];
    assert_eq!(bob.decrypt(h, c).unwrap(), format!("{MAX_SKIP}").as_bytes());
    assert_eq!(bob.skipped_keys(), MAX_SKIP as usize);
    let (h, c) = &messages[0];
    assert_eq!(bob.decrypt(h, c).unwrap(), b"0");
}

#[test]
fn the_responder_cannot_send_first() {
    let (_, mut bob) = pair();
    assert_eq!(bob.encrypt(b"hi").unwrap_err(), Error::NotReady);
}

#[test]
fn sessions_survive_serialization_mid_conversation() {
    let (mut alice, mut bob) = pair();
    let (h0, c0) = alice.encrypt(b"zero").unwrap();
    let (h1, c1) = alice.encrypt(b"one").unwrap();
    assert_eq!(bob.decrypt(&h1, &c1).unwrap(), b"one");
    let mut bob = Session::from_bytes(&bob.to_bytes()).unwrap();
    assert_eq!(
        bob.decrypt(&h0, &c0).unwrap(),
        b"zero",
        "skipped keys survive"
    );
    let (h, c) = bob.encrypt(b"reply").unwrap();
    let mut alice = Session::from_bytes(&alice.to_bytes()).unwrap();
    assert_eq!(alice.decrypt(&h, &c).unwrap(), b"reply");
    let bytes = alice.to_bytes();
    assert!(Session::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    let mut v2 = bytes.to_vec();
    v2[0] = 2;
    assert_eq!(Session::from_bytes(&v2).unwrap_err(), Error::Version(2));
}

#[test]
fn wire_formats_round_trip_and_refuse_garbage() {
    let (mut alice, _) = pair();
    let (header, ciphertext) = alice.encrypt(b"x").unwrap();
    let message = Message { header, ciphertext };
    let first = PrekeyMessage {
        identity: IdentityKeyPair::generate().public(),
        ephemeral: [4; 32],
        signed_prekey_id: 77,
        one_time_prekey_id: Some(5),
        message: message.clone(),
    };
    assert_eq!(PrekeyMessage::from_bytes(&first.to_bytes()).unwrap(), first);
    let no_opk = PrekeyMessage {
        one_time_prekey_id: None,
        ..first.clone()
    };
    assert_eq!(
        PrekeyMessage::from_bytes(&no_opk.to_bytes()).unwrap(),
        no_opk
    );
    assert_eq!(Message::from_bytes(&message.to_bytes()).unwrap(), message);
    assert_eq!(
        Message::from_bytes(&[9, 2, 0]).unwrap_err(),
        Error::Version(9)
    );
    assert!(Message::from_bytes(&[]).is_err());
    assert!(
        Message::from_bytes(&first.to_bytes()).is_err(),
        "a prekey message is not a message"
    );
    assert!(PrekeyMessage::from_bytes(&message.to_bytes()).is_err());
}
