//! Safety numbers: Signal's numeric fingerprint, so two people can compare
//! (or scan) 60 digits and know no one sits between their devices.

use sha2::{Digest, Sha512};

/// Iterations of SHA-512 per side (Signal's value).
pub const ITERATIONS: u32 = 5200;

/// The fingerprint version prefix.
const VERSION: [u8; 2] = [0x00, 0x00];

/// The 30-digit half of one side: starting from `0x0000 ‖ key ‖ id`,
/// `ITERATIONS` rounds of `hash = SHA-512(hash ‖ key)`; then six 5-digit
/// chunks of the first 30 bytes, each a 40-bit big-endian number mod 100000.
pub fn fingerprint_half(key: &[u8], id: &[u8]) -> String {
    let mut hash: Vec<u8> = Vec::with_capacity(2 + key.len() + id.len());
    hash.extend_from_slice(&VERSION);
    hash.extend_from_slice(key);
    hash.extend_from_slice(id);
    for _ in 0..ITERATIONS {
        let mut digest = Sha512::new();
        digest.update(&hash);
        digest.update(key);
        hash = digest.finalize().to_vec();
    }
    let mut out = String::with_capacity(30);
    for chunk in hash[..30].chunks(5) {
        let value = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        out.push_str(&format!("{:05}", value % 100_000));
    }
    out
}

/// The 60-digit safety number of two parties (`key`, `id` each): the two
/// halves in sorted order, so both sides compute the same number.
pub fn safety_number(
    local_key: &[u8],
    local_id: &[u8],
    remote_key: &[u8],
    remote_id: &[u8],
) -> String {
    let local = fingerprint_half(local_key, local_id);
    let remote = fingerprint_half(remote_key, remote_id);
    if local <= remote {
        local + &remote
    } else {
        remote + &local
    }
}

/// Groups a safety number in blocks of five digits for display.
pub fn display(number: &str) -> String {
    number
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
