//! The Rust side of the Python wheel's E2E interop check: reads, as JSON on
//! stdin, Bob's device (`Device::to_bytes`), Alice's first message and her
//! later messages (wire formats, as byte arrays) — made by `caas.e2e` in
//! Python — decrypts them with caas-crypto, and answers Bob's reply for
//! Python to decrypt:
//!
//! ```text
//! {"device": [..], "first": [..], "messages": [[..], ..], "reply": "text"}
//!   -> {"plaintexts": ["..", ..], "reply": [..]}
//! ```
//!
//! Run by `bindings/python/tests/test_e2e_peer.py`.

use std::io::Read;

use caas_crypto::e2e::wire::{Message, PrekeyMessage};
use caas_crypto::e2e::{Device, RandomKeys};
use serde::Deserialize;

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Deserialize)]
struct Input {
    device: Vec<u8>,
    first: Vec<u8>,
    messages: Vec<Vec<u8>>,
    reply: String,
}

fn main() -> Fallible<()> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let input: Input = serde_json::from_str(&text)?;
    let mut bob = Device::from_bytes(&input.device)?;
    let first = PrekeyMessage::from_bytes(&input.first)?;
    let (mut session, plaintext) = bob.accept(&first, &mut RandomKeys)?;
    let mut plaintexts = vec![String::from_utf8(plaintext)?];
    for bytes in &input.messages {
        let message = Message::from_bytes(bytes)?;
        plaintexts.push(String::from_utf8(
            session.decrypt(&message.header, &message.ciphertext)?,
        )?);
    }
    let (header, ciphertext) = session.encrypt(input.reply.as_bytes())?;
    let reply = Message { header, ciphertext }.to_bytes();
    println!(
        "{}",
        serde_json::json!({ "plaintexts": plaintexts, "reply": reply })
    );
    Ok(())
}
