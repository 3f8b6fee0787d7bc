//! The Double Ratchet (profile `caas-e2e-v1`), as the Signal specification
//! describes it, with skipped message keys for out-of-order delivery.

use std::collections::VecDeque;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::keys::{KeyPair, dh, public_key};
use super::x3dh::Agreement;
use crate::{Error, Result};

/// The HKDF `info` of the root chain.
pub const ROOT_INFO: &[u8] = b"CAAS Root Chain v1";
/// The HKDF `info` that turns a message key into an AEAD key and nonce.
pub const MESSAGE_INFO: &[u8] = b"CAAS Message Keys v1";
/// The most message keys skipped in one chain step.
pub const MAX_SKIP: u32 = 1000;
/// The most skipped message keys a session keeps (the oldest are evicted).
pub const MAX_STORED_SKIPPED: usize = 2000;

type Key = Zeroizing<[u8; 32]>;

/// A message header: the sender's ratchet public key, the length of its
/// previous sending chain (PN) and the message number (N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The sender's current ratchet public key.
    pub ratchet_public: [u8; 32],
    /// Messages in the sender's previous sending chain.
    pub pn: u32,
    /// This message's number in the current sending chain.
    pub n: u32,
}

impl Header {
    /// The encoded length.
    pub const LEN: usize = 40;

    /// `ratchet public key (32) ‖ PN (u32 BE) ‖ N (u32 BE)`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..32].copy_from_slice(&self.ratchet_public);
        out[32..36].copy_from_slice(&self.pn.to_be_bytes());
        out[36..].copy_from_slice(&self.n.to_be_bytes());
        out
    }

    /// Reads an encoded header.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; Self::LEN] = bytes.try_into().map_err(|_| Error::Malformed("header"))?;
        let mut ratchet_public = [0u8; 32];
        ratchet_public.copy_from_slice(&bytes[..32]);
        Ok(Header {
            ratchet_public,
            pn: u32::from_be_bytes([bytes[32], bytes[33], bytes[34], bytes[35]]),
            n: u32::from_be_bytes([bytes[36], bytes[37], bytes[38], bytes[39]]),
        })
    }
}

/// Where new ratchet key pairs come from: the OS RNG, or fixed keys for
/// known-answer tests.
pub trait RatchetKeys {
    /// The next key pair.
    fn next_key(&mut self) -> KeyPair;
}

/// Fresh random ratchet keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomKeys;

impl RatchetKeys for RandomKeys {
    fn next_key(&mut self) -> KeyPair {
        KeyPair::generate()
    }
}

/// `KDF_RK`: HKDF-SHA-256(salt = RK, ikm = DH output, info = ROOT_INFO, 64)
/// → (new RK, chain key).
fn kdf_rk(rk: &[u8; 32], dh_out: &[u8; 32]) -> Result<(Key, Key)> {
    let mut okm = Zeroizing::new([0u8; 64]);
    Hkdf::<Sha256>::new(Some(rk), dh_out)
        .expand(ROOT_INFO, &mut okm[..])
        .map_err(|_| Error::Malformed("HKDF length"))?;
    let mut root = Zeroizing::new([0u8; 32]);
    let mut chain = Zeroizing::new([0u8; 32]);
    root.copy_from_slice(&okm[..32]);
    chain.copy_from_slice(&okm[32..]);
    Ok((root, chain))
}

fn hmac(key: &[u8; 32], byte: u8) -> Result<Key> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| Error::Malformed("HMAC key"))?;
    mac.update(&[byte]);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    Ok(out)
}

/// `KDF_CK`: next CK = HMAC(CK, 0x02), MK = HMAC(CK, 0x01).
fn kdf_ck(ck: &[u8; 32]) -> Result<(Key, Key)> {
    Ok((hmac(ck, 0x02)?, hmac(ck, 0x01)?))
}

/// The AEAD key and nonce of a message key.
fn message_cipher(mk: &[u8; 32]) -> Result<(ChaCha20Poly1305, [u8; 12])> {
    let mut okm = Zeroizing::new([0u8; 44]);
    Hkdf::<Sha256>::new(Some(&[0u8; 32]), mk)
        .expand(MESSAGE_INFO, &mut okm[..])
        .map_err(|_| Error::Malformed("HKDF length"))?;
    let cipher = ChaCha20Poly1305::new_from_slice(&okm[..32])
        .map_err(|_| Error::Malformed("message key"))?;
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&okm[32..]);
    Ok((cipher, nonce))
}

fn aad(ad: &[u8; 64], header: &Header) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + Header::LEN);
    out.extend_from_slice(ad);
    out.extend_from_slice(&header.to_bytes());
    out
}

fn seal(mk: &[u8; 32], ad: &[u8; 64], header: &Header, plaintext: &[u8]) -> Result<Vec<u8>> {
    let (cipher, nonce) = message_cipher(mk)?;
    cipher
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: plaintext,
                aad: &aad(ad, header),
            },
        )
        .map_err(|_| Error::Malformed("plaintext too long"))
}

fn open(mk: &[u8; 32], ad: &[u8; 64], header: &Header, ciphertext: &[u8]) -> Result<Vec<u8>> {
    let (cipher, nonce) = message_cipher(mk)?;
    cipher
        .decrypt(
            (&nonce).into(),
            Payload {
                msg: ciphertext,
                aad: &aad(ad, header),
            },
        )
        .map_err(|_| Error::Undecryptable)
}

/// One side of a Double Ratchet conversation.
#[derive(Clone)]
pub struct Session {
    dhs: KeyPair,
    dhr: Option<[u8; 32]>,
    rk: Key,
    cks: Option<Key>,
    ckr: Option<Key>,
    ns: u32,
    nr: u32,
    pn: u32,
    skipped: VecDeque<([u8; 32], u32, Key)>,
    ad: [u8; 64],
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("ratchet_public", &hex::encode(self.dhs.public()))
            .field("ns", &self.ns)
            .field("nr", &self.nr)
            .field("pn", &self.pn)
            .field("skipped", &self.skipped.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Alice after X3DH: Bob's signed prekey is his first ratchet key
    /// (`RatchetInitAlice`).
    pub fn init_alice(
        agreement: &Agreement,
        bob_signed_prekey: &[u8; 32],
        keys: &mut dyn RatchetKeys,
    ) -> Result<Self> {
        let dhs = keys.next_key();
        let out = dh(dhs.secret(), &public_key(bob_signed_prekey))?;
        let (rk, cks) = kdf_rk(&agreement.shared_secret, &out)?;
        Ok(Session {
            dhs,
            dhr: Some(*bob_signed_prekey),
            rk,
            cks: Some(cks),
            ckr: None,
            ns: 0,
            nr: 0,
            pn: 0,
            skipped: VecDeque::new(),
            ad: agreement.associated_data,
        })
    }

    /// Bob after X3DH, with his signed-prekey pair (`RatchetInitBob`). He can
    /// send once he has received Alice's first message.
    pub fn init_bob(agreement: &Agreement, signed_prekey: KeyPair) -> Self {
        Session {
            dhs: signed_prekey,
            dhr: None,
            rk: agreement.shared_secret.clone(),
            cks: None,
            ckr: None,
            ns: 0,
            nr: 0,
            pn: 0,
            skipped: VecDeque::new(),
            ad: agreement.associated_data,
        }
    }

    /// The ratchet public key in force for sending.
    pub fn ratchet_public(&self) -> [u8; 32] {
        self.dhs.public()
    }

    /// The ratchet private key in force (secret: for known-answer vectors).
    pub fn ratchet_private(&self) -> Zeroizing<[u8; 32]> {
        self.dhs.private()
    }

    /// How many skipped message keys are stored.
    pub fn skipped_keys(&self) -> usize {
        self.skipped.len()
    }

    /// Encrypts the next message (`RatchetEncrypt`).
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<(Header, Vec<u8>)> {
        let cks = self.cks.as_ref().ok_or(Error::NotReady)?;
        let (next, mk) = kdf_ck(cks)?;
        let header = Header {
            ratchet_public: self.dhs.public(),
            pn: self.pn,
            n: self.ns,
        };
        let ciphertext = seal(&mk, &self.ad, &header, plaintext)?;
        self.cks = Some(next);
        self.ns = self.ns.checked_add(1).ok_or(Error::NotReady)?;
        Ok((header, ciphertext))
    }

    /// Decrypts a message (`RatchetDecrypt`) with fresh random ratchet keys.
    pub fn decrypt(&mut self, header: &Header, ciphertext: &[u8]) -> Result<Vec<u8>> {
        self.decrypt_with(header, ciphertext, &mut RandomKeys)
    }

    /// Decrypts with ratchet keys from `keys`. A message that fails leaves
    /// the session exactly as it was.
    pub fn decrypt_with(
        &mut self,
        header: &Header,
        ciphertext: &[u8],
        keys: &mut dyn RatchetKeys,
    ) -> Result<Vec<u8>> {
        let mut next = self.clone();
        let plaintext = next.decrypt_in_place(header, ciphertext, keys)?;
        *self = next;
        Ok(plaintext)
    }

    fn decrypt_in_place(
        &mut self,
        header: &Header,
        ciphertext: &[u8],
        keys: &mut dyn RatchetKeys,
    ) -> Result<Vec<u8>> {
        if let Some(i) = self
            .skipped
            .iter()
            .position(|(k, n, _)| *k == header.ratchet_public && *n == header.n)
        {
            let (_, _, mk) = self.skipped.remove(i).ok_or(Error::Undecryptable)?;
            return open(&mk, &self.ad, header, ciphertext);
        }
        if self.dhr != Some(header.ratchet_public) {
            self.skip(header.pn)?;
            self.dh_ratchet(header, keys)?;
        }
        self.skip(header.n)?;
        let ckr = self.ckr.as_ref().ok_or(Error::Undecryptable)?;
        let (next, mk) = kdf_ck(ckr)?;
        let plaintext = open(&mk, &self.ad, header, ciphertext)?;
        self.ckr = Some(next);
        self.nr = self.nr.checked_add(1).ok_or(Error::Undecryptable)?;
        Ok(plaintext)
    }

    /// Stores the message keys of the receiving chain up to `until`.
    fn skip(&mut self, until: u32) -> Result<()> {
        if u64::from(until) > u64::from(self.nr) + u64::from(MAX_SKIP) {
            return Err(Error::TooFarAhead {
                ahead: u64::from(until) - u64::from(self.nr),
                max: MAX_SKIP,
            });
        }
        let (Some(mut ck), Some(dhr)) = (self.ckr.take(), self.dhr) else {
            return Ok(());
        };
        while self.nr < until {
            let (next, mk) = kdf_ck(&ck)?;
            self.skipped.push_back((dhr, self.nr, mk));
            if self.skipped.len() > MAX_STORED_SKIPPED {
                self.skipped.pop_front();
            }
            ck = next;
            self.nr += 1;
        }
        self.ckr = Some(ck);
        Ok(())
    }

    /// `DHRatchet`: a new receiving chain from the peer's new key, then a
    /// new sending chain from a new key of ours.
    fn dh_ratchet(&mut self, header: &Header, keys: &mut dyn RatchetKeys) -> Result<()> {
        self.pn = self.ns;
        self.ns = 0;
        self.nr = 0;
        self.dhr = Some(header.ratchet_public);
        let theirs = public_key(&header.ratchet_public);
        let (rk, ckr) = kdf_rk(&self.rk, &*dh(self.dhs.secret(), &theirs)?)?;
        self.rk = rk;
        self.ckr = Some(ckr);
        self.dhs = keys.next_key();
        let (rk, cks) = kdf_rk(&self.rk, &*dh(self.dhs.secret(), &theirs)?)?;
        self.rk = rk;
        self.cks = Some(cks);
        Ok(())
    }
}

/// The version byte of serialized sessions.
const SESSION_VERSION: u8 = 1;

impl Session {
    /// The session as bytes (secret: store it encrypted).
    ///
    /// `0x01 ‖ DHs private (32) ‖ [0|1 ‖ DHr (32)] ‖ RK (32) ‖ [0|1 ‖ CKs (32)]
    /// ‖ [0|1 ‖ CKr (32)] ‖ Ns ‖ Nr ‖ PN (u32 BE each) ‖ AD (64) ‖ count (u32 BE)
    /// ‖ count × (ratchet key (32) ‖ N (u32 BE) ‖ MK (32))`.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(300 + self.skipped.len() * 68));
        out.push(SESSION_VERSION);
        out.extend_from_slice(&self.dhs.private()[..]);
        let optional = |out: &mut Vec<u8>, v: Option<&[u8; 32]>| match v {
            Some(k) => {
                out.push(1);
                out.extend_from_slice(k);
            }
            None => out.push(0),
        };
        optional(&mut out, self.dhr.as_ref());
        out.extend_from_slice(&self.rk[..]);
        optional(&mut out, self.cks.as_deref());
        optional(&mut out, self.ckr.as_deref());
        for n in [self.ns, self.nr, self.pn] {
            out.extend_from_slice(&n.to_be_bytes());
        }
        out.extend_from_slice(&self.ad);
        let count = u32::try_from(self.skipped.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for (key, n, mk) in &self.skipped {
            out.extend_from_slice(key);
            out.extend_from_slice(&n.to_be_bytes());
            out.extend_from_slice(&mk[..]);
        }
        out
    }

    /// Reads a serialized session.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader { bytes, at: 0 };
        match r.take(1)?[0] {
            SESSION_VERSION => {}
            v => return Err(Error::Version(v)),
        }
        let dhs = KeyPair::from_private(&*r.key()?);
        let dhr = r.optional()?.map(|k| *k);
        let rk = r.key()?;
        let cks = r.optional()?;
        let ckr = r.optional()?;
        let (ns, nr, pn) = (r.u32()?, r.u32()?, r.u32()?);
        let mut ad = [0u8; 64];
        ad.copy_from_slice(r.take(64)?);
        let count = r.u32()? as usize;
        if count > MAX_STORED_SKIPPED {
            return Err(Error::Malformed("session"));
        }
        let mut skipped = VecDeque::with_capacity(count);
        for _ in 0..count {
            let key = *r.key()?;
            let n = r.u32()?;
            skipped.push_back((key, n, r.key()?));
        }
        if r.at != bytes.len() {
            return Err(Error::Malformed("session"));
        }
        Ok(Session {
            dhs,
            dhr,
            rk,
            cks,
            ckr,
            ns,
            nr,
            pn,
            skipped,
            ad,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let out = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or(Error::Malformed("session"))?;
        self.at += n;
        Ok(out)
    }

    fn key(&mut self) -> Result<Key> {
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(self.take(32)?);
        Ok(k)
    }

    fn optional(&mut self) -> Result<Option<Key>> {
        match self.take(1)?[0] {
            0 => Ok(None),
            1 => self.key().map(Some),
            _ => Err(Error::Malformed("session")),
        }
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}
