//! Known-answer vectors of profile `caas-e2e-v1`
//! (`tests/vectors/caas-e2e-v1.json`): generated here from fixed private
//! keys, and the committed file must match what this implementation
//! computes. `CAAS_WRITE_VECTORS=1` rewrites the file.

use caas_crypto::e2e::{
    IdentityKeyPair, KeyPair, OneTimePrekey, PrekeyBundle, RatchetKeys, Session, SignedPrekey, x3dh,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/caas-e2e-v1.json"
);

/// A fixed private key: SHA-256 of a label.
fn fixed(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

/// Ratchet keys from fixed labels, in order.
struct Fixed {
    prefix: &'static str,
    next: u32,
}

impl RatchetKeys for Fixed {
    fn next_key(&mut self) -> KeyPair {
        self.next += 1;
        KeyPair::from_private(&fixed(&format!("{}-ratchet-{}", self.prefix, self.next)))
    }
}

enum Who {
    Alice,
    Bob,
}

fn case(description: &str, tag: &'static str, with_opk: bool, script: &[(Who, Vec<u8>)]) -> Value {
    let alice = IdentityKeyPair::from_seed(&fixed(&format!("{tag}-alice-identity")));
    let bob = IdentityKeyPair::from_seed(&fixed(&format!("{tag}-bob-identity")));
    let ek = KeyPair::from_private(&fixed(&format!("{tag}-alice-ephemeral")));
    let spk = KeyPair::from_private(&fixed(&format!("{tag}-bob-signed-prekey")));
    let opk = KeyPair::from_private(&fixed(&format!("{tag}-bob-one-time-prekey")));
    let signed = SignedPrekey::sign(&bob, 1, &spk);
    let bundle = PrekeyBundle {
        identity: bob.public(),
        signed_prekey: signed,
        one_time_prekey: with_opk.then(|| OneTimePrekey {
            id: 1,
            key: opk.public(),
        }),
    };
    let sent = x3dh::initiate(&alice, &ek, &bundle).unwrap();
    let got = x3dh::respond(
        &bob,
        &spk,
        with_opk.then_some(&opk),
        &alice.public(),
        &ek.public(),
    )
    .unwrap();
    assert_eq!(*sent.shared_secret, *got.shared_secret);
    let mut alice_keys = Fixed {
        prefix: tag_alice(tag),
        next: 0,
    };
    let mut bob_keys = Fixed {
        prefix: tag_bob(tag),
        next: 0,
    };
    let mut a = Session::init_alice(&sent, &spk.public(), &mut alice_keys).unwrap();
    let mut b = Session::init_bob(&got, spk.clone());
    let mut messages = Vec::new();
    for (who, plaintext) in script {
        let (sender, receiver, keys, name) = match who {
            Who::Alice => (&mut a, &mut b, &mut bob_keys, "alice"),
            Who::Bob => (&mut b, &mut a, &mut alice_keys, "bob"),
        };
        let ratchet_private = hex::encode(*sender.ratchet_private());
        let (header, ciphertext) = sender.encrypt(plaintext).unwrap();
        assert_eq!(
            &receiver.decrypt_with(&header, &ciphertext, keys).unwrap(),
            plaintext
        );
        messages.push(json!({
            "sender": name,
            "ratchet_private": ratchet_private,
            "header": { "ratchet_public": hex::encode(header.ratchet_public), "pn": header.pn, "n": header.n },
            "plaintext": hex::encode(plaintext),
            "ciphertext": hex::encode(&ciphertext),
        }));
    }
    let mut bob_json = json!({
        "identity_seed": hex::encode(*bob.seed()),
        "signed_prekey_private": hex::encode(*spk.private()),
        "signed_prekey_signature": hex::encode(signed.signature),
    });
    if with_opk {
        bob_json["one_time_prekey_private"] = json!(hex::encode(*opk.private()));
    }
    json!({
        "description": description,
        "alice": {
            "identity_seed": hex::encode(*alice.seed()),
            "ephemeral_private": hex::encode(*ek.private()),
        },
        "bob": bob_json,
        "x3dh": {
            "shared_secret": hex::encode(*sent.shared_secret),
            "associated_data": hex::encode(sent.associated_data),
        },
        "messages": messages,
    })
}

fn tag_alice(tag: &str) -> &'static str {
    if tag == "case1" {
        "case1-alice"
    } else {
        "case2-alice"
    }
}

fn tag_bob(tag: &str) -> &'static str {
    if tag == "case1" {
        "case1-bob"
    } else {
        "case2-bob"
    }
}

fn text(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn vectors() -> Value {
    use Who::{Alice, Bob};
    let large: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    json!({
        "profile": "caas-e2e-v1",
        "cases": [
            case(
                "with a one-time prekey: three messages in Alice's first chain, two replies, an empty message, a 64 KiB message",
                "case1",
                true,
                &[
                    (Alice, text("Kamen")),
                    (Alice, text("Škarje")),
                    (Alice, text("Papir")),
                    (Bob, text("Ogenj")),
                    (Bob, text("Voda")),
                    (Alice, Vec::new()),
                    (Bob, large),
                ],
            ),
            case(
                "without a one-time prekey: the ratchet turns at every reply",
                "case2",
                false,
                &[
                    (Alice, text("1")),
                    (Bob, text("2")),
                    (Alice, text("3")),
                    (Bob, text("4")),
                    (Alice, text("5")),
                    (Alice, text("6")),
                    (Bob, text("7")),
                ],
            ),
        ],
    })
}

#[test]
fn the_vector_file_matches_the_implementation() {
    let computed = vectors();
    if std::env::var("CAAS_WRITE_VECTORS").is_ok_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(committed["profile"], "caas-e2e-v1");
    assert_eq!(
        committed, computed,
        "regenerate with CAAS_WRITE_VECTORS=1 only for a deliberate change"
    );
}

#[test]
fn the_vector_file_checks_x3dh_and_every_message_from_its_own_keys() {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let key = |v: &Value| -> [u8; 32] {
        hex::decode(v.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap()
    };
    for case in file["cases"].as_array().unwrap() {
        let alice = IdentityKeyPair::from_seed(&key(&case["alice"]["identity_seed"]));
        let bob = IdentityKeyPair::from_seed(&key(&case["bob"]["identity_seed"]));
        let ek = KeyPair::from_private(&key(&case["alice"]["ephemeral_private"]));
        let spk = KeyPair::from_private(&key(&case["bob"]["signed_prekey_private"]));
        let opk = case["bob"]
            .get("one_time_prekey_private")
            .map(|k| KeyPair::from_private(&key(k)));
        let signature: [u8; 64] =
            hex::decode(case["bob"]["signed_prekey_signature"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
        bob.public().verify(&spk.public(), &signature).unwrap();
        let got = x3dh::respond(&bob, &spk, opk.as_ref(), &alice.public(), &ek.public()).unwrap();
        assert_eq!(
            hex::encode(*got.shared_secret),
            case["x3dh"]["shared_secret"]
        );
        assert_eq!(
            hex::encode(got.associated_data),
            case["x3dh"]["associated_data"]
        );
        // Each message's ratchet private key gives its header's public key.
        for m in case["messages"].as_array().unwrap() {
            let pair = KeyPair::from_private(&key(&m["ratchet_private"]));
            assert_eq!(hex::encode(pair.public()), m["header"]["ratchet_public"]);
            let ct = hex::decode(m["ciphertext"].as_str().unwrap()).unwrap();
            let pt = hex::decode(m["plaintext"].as_str().unwrap()).unwrap();
            assert_eq!(ct.len(), pt.len() + 16);
        }
    }
    let sizes: Vec<usize> = file["cases"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["plaintext"].as_str().unwrap().len() / 2)
        .collect();
    assert!(sizes.contains(&0) && sizes.contains(&65_536), "{sizes:?}");
}
