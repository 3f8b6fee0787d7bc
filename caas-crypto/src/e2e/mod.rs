//! End-to-end encryption, profile `caas-e2e-v1`: X3DH and the Double Ratchet
//! exactly as the Signal specifications describe them, with these parameters
//! (enough for an independent implementation; `tests/vectors/caas-e2e-v1.json`
//! has known answers for every value):
//!
//! - **Identity keys** are Ed25519 (32-byte seed, standard Ed25519). For
//!   Diffie-Hellman the identity key is used in Montgomery form: the public
//!   key by the birational map, the private scalar the clamped first half of
//!   SHA-512(seed). Prekeys, ephemeral and ratchet keys are X25519.
//! - `Encode(PK)` is the 32 raw public-key bytes. The signed prekey's
//!   signature is a standard Ed25519 signature by the identity key over
//!   `Encode(SPK)`; it is verified before any DH.
//! - **X3DH**: `SK = HKDF-SHA-256(salt = 32 zero bytes, ikm = 0xFF×32 ‖ DH1 ‖
//!   DH2 ‖ DH3 [‖ DH4], info = "CAAS X3DH v1", L = 32)` with DH1 = DH(IK_A,
//!   SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A,
//!   OPK_B) when a one-time prekey was used. `AD = Encode(IK_A) ‖
//!   Encode(IK_B)`. All-zero DH outputs are refused.
//! - **Root KDF**: `HKDF-SHA-256(salt = RK, ikm = DH output, info = "CAAS Root
//!   Chain v1", L = 64)` → new RK (first 32 bytes) ‖ chain key. **Chain KDF**:
//!   next CK = HMAC-SHA-256(CK, 0x02), MK = HMAC-SHA-256(CK, 0x01).
//! - **Messages**: `HKDF-SHA-256(salt = 32 zero bytes, ikm = MK, info = "CAAS
//!   Message Keys v1", L = 44)` → ChaCha20-Poly1305 key (32) ‖ nonce (12);
//!   associated data `AD ‖ header`, header = ratchet public key (32) ‖ PN (u32
//!   BE) ‖ N (u32 BE).
//! - Alice starts with SK and Bob's signed prekey as his first ratchet key;
//!   Bob with SK and his signed-prekey pair (`RatchetInitAlice/Bob`).
//! - Out-of-order messages: at most 1000 keys skipped per chain step, 2000
//!   kept per session (the oldest evicted). A message that fails leaves the
//!   session unchanged; a replayed message fails.
//! - Wire formats (with a version byte) are in [`wire`]; sessions serialize
//!   with [`Session::to_bytes`] (and are stored sealed with a tenant data key
//!   by [`Vault`]); safety numbers are Signal's numeric fingerprints
//!   ([`safety`]).
//! - A [`Device`] holds one device's private keys and applies the
//!   [`PrekeyPolicy`]: the signed prekey rotates weekly and a replaced one is
//!   accepted for a 14-day grace period; one-time prekeys are topped up to
//!   100 when fewer than 20 remain on the server.
//!
//! ```
//! use caas_crypto::e2e::{IdentityKeyPair, KeyPair, PrekeyBundle, Session, SignedPrekey, x3dh};
//!
//! let (alice, bob) = (IdentityKeyPair::generate(), IdentityKeyPair::generate());
//! let spk = KeyPair::generate();
//! let bundle = PrekeyBundle {
//!     identity: bob.public(),
//!     signed_prekey: SignedPrekey::sign(&bob, 1, &spk),
//!     one_time_prekey: None,
//! };
//! let ek = KeyPair::generate();
//! let sent = x3dh::initiate(&alice, &ek, &bundle)?;
//! let mut a = Session::init_alice(&sent, &bundle.signed_prekey.key, &mut caas_crypto::e2e::RandomKeys)?;
//! let got = x3dh::respond(&bob, &spk, None, &alice.public(), &ek.public())?;
//! let mut b = Session::init_bob(&got, spk);
//! let (header, ciphertext) = a.encrypt(b"hello")?;
//! assert_eq!(b.decrypt(&header, &ciphertext)?, b"hello");
//! # Ok::<(), caas_crypto::Error>(())
//! ```

mod device;
mod keys;
pub mod ratchet;
pub mod safety;
mod vault;
pub mod wire;
pub mod x3dh;

pub use self::device::{Device, Maintenance, PrekeyPolicy};
pub(crate) use self::keys::random32;
pub use self::keys::{IdentityKey, IdentityKeyPair, KeyPair};
pub use self::ratchet::{Header, RandomKeys, RatchetKeys, Session};
pub use self::vault::Vault;
pub use self::x3dh::{Agreement, OneTimePrekey, PrekeyBundle, SignedPrekey};
