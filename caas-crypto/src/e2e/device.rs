//! [`Device`]: the private side of one device — its identity, its signed
//! prekeys and the private halves of its one-time prekeys — with the
//! prekey policy ([`PrekeyPolicy`]): rotate the signed prekey weekly, keep
//! the previous ones for a grace period (messages started against them may
//! still be in flight), and top one-time prekeys up when the server runs low.
//!
//! A device lives on the client. It serializes with [`Device::to_bytes`]
//! (secret: store it sealed, e.g. with [`Vault`](super::Vault)).

use std::collections::BTreeMap;
use std::time::Duration;

use caas_core::Timestamp;
use zeroize::Zeroizing;

use super::keys::{IdentityKeyPair, KeyPair};
use super::ratchet::{RatchetKeys, Session};
use super::wire::{Message, PrekeyMessage};
use super::x3dh::{self, OneTimePrekey, PrekeyBundle, SignedPrekey};
use crate::{Error, Result};

/// When to rotate signed prekeys and replenish one-time prekeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrekeyPolicy {
    /// How long a signed prekey is current (default 7 days).
    pub signed_prekey_lifetime: Duration,
    /// How long a replaced signed prekey still accepts first messages
    /// (default 14 days).
    pub signed_prekey_grace: Duration,
    /// Replenish when the server holds fewer unclaimed one-time prekeys
    /// (default 20).
    pub one_time_threshold: u64,
    /// Replenish up to this many (default 100, the most one upload takes).
    pub one_time_target: u64,
}

impl Default for PrekeyPolicy {
    fn default() -> Self {
        PrekeyPolicy {
            signed_prekey_lifetime: Duration::from_secs(7 * 24 * 3600),
            signed_prekey_grace: Duration::from_secs(14 * 24 * 3600),
            one_time_threshold: 20,
            one_time_target: 100,
        }
    }
}

/// What [`Device::maintain`] asks the client to publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// A new signed prekey (publish it with the device keys), if rotated.
    pub signed_prekey: Option<SignedPrekey>,
    /// New one-time prekeys to upload.
    pub one_time_prekeys: Vec<OneTimePrekey>,
}

#[derive(Clone)]
struct Signed {
    id: u32,
    pair: KeyPair,
    signature: [u8; 64],
    created_at: Timestamp,
}

/// One device's private keys.
#[derive(Clone)]
pub struct Device {
    identity: IdentityKeyPair,
    signed: Signed,
    /// Replaced signed prekeys still in their grace period, oldest first,
    /// each with when it was replaced.
    previous: Vec<(Signed, Timestamp)>,
    one_time: BTreeMap<u32, KeyPair>,
    next_signed_id: u32,
    next_one_time_id: u32,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("identity", &self.identity.public())
            .field("signed_prekeys", &self.signed_prekey_ids())
            .field("one_time_prekeys", &self.one_time.len())
            .finish_non_exhaustive()
    }
}

/// The most one-time prekey private keys a device keeps.
const MAX_ONE_TIME: usize = 2000;
const FORMAT: u8 = 0x01;

impl Device {
    /// A device with `identity` and a first signed prekey (id 1) made `now`.
    pub fn new(identity: IdentityKeyPair, now: Timestamp) -> Self {
        let signed = Signed::new(&identity, 1, now);
        Device {
            identity,
            signed,
            previous: Vec::new(),
            one_time: BTreeMap::new(),
            next_signed_id: 2,
            next_one_time_id: 1,
        }
    }

    /// The identity key pair.
    pub fn identity(&self) -> &IdentityKeyPair {
        &self.identity
    }

    /// The current signed prekey (public part and signature).
    pub fn signed_prekey(&self) -> SignedPrekey {
        self.signed.public()
    }

    /// Makes a new signed prekey current; the previous ones stay for the
    /// grace period.
    pub fn rotate_signed_prekey(&mut self, now: Timestamp) -> SignedPrekey {
        let id = self.next_signed_id;
        self.next_signed_id = self.next_signed_id.wrapping_add(1).max(1);
        let old = std::mem::replace(&mut self.signed, Signed::new(&self.identity, id, now));
        self.previous.push((old, now));
        self.signed.public()
    }

    /// `n` new one-time prekeys (their private halves kept here).
    pub fn generate_one_time_prekeys(&mut self, n: usize) -> Vec<OneTimePrekey> {
        let n = n.min(MAX_ONE_TIME.saturating_sub(self.one_time.len()));
        (0..n)
            .map(|_| {
                let pair = KeyPair::generate();
                let id = self.next_one_time_id;
                self.next_one_time_id = self.next_one_time_id.wrapping_add(1).max(1);
                let key = pair.public();
                self.one_time.insert(id, pair);
                OneTimePrekey { id, key }
            })
            .collect()
    }

    /// Applies `policy` at `now`, given how many one-time prekeys the server
    /// still holds for this device: rotates the signed prekey when it is
    /// older than its lifetime, forgets replaced ones past the grace period,
    /// and makes one-time prekeys when the server runs below the threshold.
    pub fn maintain(
        &mut self,
        policy: &PrekeyPolicy,
        now: Timestamp,
        unclaimed_on_server: u64,
    ) -> Maintenance {
        let mut out = Maintenance::default();
        if now
            >= self
                .signed
                .created_at
                .saturating_add(policy.signed_prekey_lifetime)
        {
            out.signed_prekey = Some(self.rotate_signed_prekey(now));
        }
        self.previous
            .retain(|(_, replaced)| now < replaced.saturating_add(policy.signed_prekey_grace));
        if unclaimed_on_server < policy.one_time_threshold {
            let want = policy.one_time_target.saturating_sub(unclaimed_on_server);
            out.one_time_prekeys =
                self.generate_one_time_prekeys(usize::try_from(want).unwrap_or(usize::MAX));
        }
        out
    }

    /// Starts a session with the device of `bundle` (as Alice) and encrypts
    /// the first message: returns the session and the prekey message to send.
    pub fn initiate(
        &self,
        bundle: &PrekeyBundle,
        plaintext: &[u8],
        keys: &mut dyn RatchetKeys,
    ) -> Result<(Session, PrekeyMessage)> {
        let ephemeral = KeyPair::generate();
        let agreement = x3dh::initiate(&self.identity, &ephemeral, bundle)?;
        let mut session = Session::init_alice(&agreement, &bundle.signed_prekey.key, keys)?;
        let (header, ciphertext) = session.encrypt(plaintext)?;
        let message = PrekeyMessage {
            identity: self.identity.public(),
            ephemeral: ephemeral.public(),
            signed_prekey_id: bundle.signed_prekey.id,
            one_time_prekey_id: bundle.one_time_prekey.as_ref().map(|k| k.id),
            message: Message { header, ciphertext },
        };
        Ok((session, message))
    }

    /// Accepts a first message (as Bob): runs X3DH with the signed and
    /// one-time prekeys it names, decrypts it, and only then consumes the
    /// one-time prekey, so a replay of the same first message fails. A
    /// signed prekey past its grace period or an unknown one-time prekey is
    /// [`Error::UnknownKey`]; a message that fails changes nothing.
    pub fn accept(
        &mut self,
        message: &PrekeyMessage,
        keys: &mut dyn RatchetKeys,
    ) -> Result<(Session, Vec<u8>)> {
        let spk = std::iter::once(&self.signed)
            .chain(self.previous.iter().map(|(s, _)| s))
            .find(|s| s.id == message.signed_prekey_id)
            .ok_or(Error::UnknownKey)?;
        let opk = match message.one_time_prekey_id {
            Some(id) => Some(self.one_time.get(&id).ok_or(Error::UnknownKey)?),
            None => None,
        };
        let agreement = x3dh::respond(
            &self.identity,
            &spk.pair,
            opk,
            &message.identity,
            &message.ephemeral,
        )?;
        let mut session = Session::init_bob(&agreement, spk.pair.clone());
        let plaintext =
            session.decrypt_with(&message.message.header, &message.message.ciphertext, keys)?;
        if let Some(id) = message.one_time_prekey_id {
            self.one_time.remove(&id);
        }
        Ok((session, plaintext))
    }

    /// How many one-time prekey private keys the device holds.
    pub fn one_time_prekeys(&self) -> usize {
        self.one_time.len()
    }

    /// The ids of the signed prekeys still accepted (oldest first).
    pub fn signed_prekey_ids(&self) -> Vec<u32> {
        self.previous
            .iter()
            .map(|(s, _)| s.id)
            .chain([self.signed.id])
            .collect()
    }

    /// Serializes the device (secret; zeroized when dropped):
    /// `0x01 ‖ identity seed (32) ‖ next signed id (u32) ‖ next one-time id
    /// (u32) ‖ current signed prekey ‖ count (u16) × [signed prekey ‖
    /// replaced (i64 ms)] ‖ count (u32) × [id (u32) ‖ private (32)]`, where a
    /// signed prekey is `id (u32) ‖ private (32) ‖ signature (64) ‖ created
    /// (i64 ms)`; all integers big-endian.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            155 + self.previous.len() * 116 + self.one_time.len() * 36,
        ));
        out.push(FORMAT);
        out.extend_from_slice(&self.identity.seed()[..]);
        out.extend_from_slice(&self.next_signed_id.to_be_bytes());
        out.extend_from_slice(&self.next_one_time_id.to_be_bytes());
        self.signed.write(&mut out);
        // A handful at most: `maintain` drops them after the grace period.
        let n = u16::try_from(self.previous.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        for (s, replaced) in self.previous.iter().take(usize::from(n)) {
            s.write(&mut out);
            out.extend_from_slice(&replaced.as_millis().to_be_bytes());
        }
        let n = u32::try_from(self.one_time.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        for (id, pair) in &self.one_time {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&pair.private()[..]);
        }
        out
    }

    /// Reads what [`to_bytes`](Device::to_bytes) wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader(bytes);
        match r.take::<1>()? {
            [FORMAT] => {}
            [v] => return Err(Error::Version(v)),
        }
        let identity = IdentityKeyPair::from_seed(&Zeroizing::new(r.take::<32>()?));
        let next_signed_id = u32::from_be_bytes(r.take()?);
        let next_one_time_id = u32::from_be_bytes(r.take()?);
        let signed = Signed::read(&mut r)?;
        let n = u16::from_be_bytes(r.take()?);
        let mut previous = Vec::with_capacity(usize::from(n.min(16)));
        for _ in 0..n {
            let s = Signed::read(&mut r)?;
            previous.push((s, Timestamp::from_millis(i64::from_be_bytes(r.take()?))));
        }
        let n = u32::from_be_bytes(r.take()?);
        if usize::try_from(n).map_or(true, |n| n > MAX_ONE_TIME) {
            return Err(Error::Malformed("device"));
        }
        let mut one_time = BTreeMap::new();
        for _ in 0..n {
            let id = u32::from_be_bytes(r.take()?);
            one_time.insert(id, KeyPair::from_private(&Zeroizing::new(r.take::<32>()?)));
        }
        if !r.0.is_empty() {
            return Err(Error::Malformed("device"));
        }
        Ok(Device {
            identity,
            signed,
            previous,
            one_time,
            next_signed_id,
            next_one_time_id,
        })
    }
}

impl Signed {
    fn new(identity: &IdentityKeyPair, id: u32, now: Timestamp) -> Self {
        let pair = KeyPair::generate();
        let signature = SignedPrekey::sign(identity, id, &pair).signature;
        Signed {
            id,
            pair,
            signature,
            created_at: now,
        }
    }

    fn public(&self) -> SignedPrekey {
        SignedPrekey {
            id: self.id,
            key: self.pair.public(),
            signature: self.signature,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.pair.private()[..]);
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&self.created_at.as_millis().to_be_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(Signed {
            id: u32::from_be_bytes(r.take()?),
            pair: KeyPair::from_private(&Zeroizing::new(r.take::<32>()?)),
            signature: r.take::<64>()?,
            created_at: Timestamp::from_millis(i64::from_be_bytes(r.take()?)),
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(Error::Malformed("device"))?;
        self.0 = rest;
        Ok(*head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::e2e::RandomKeys;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn at(days: u64) -> Timestamp {
        Timestamp::EPOCH.saturating_add(DAY * u32::try_from(days).unwrap())
    }

    fn bundle(bob: &mut Device, with_opk: bool) -> PrekeyBundle {
        PrekeyBundle {
            identity: bob.identity().public(),
            signed_prekey: bob.signed_prekey(),
            one_time_prekey: with_opk.then(|| bob.generate_one_time_prekeys(1).remove(0)),
        }
    }

    #[test]
    fn a_first_message_is_accepted_once() {
        let alice = Device::new(IdentityKeyPair::generate(), at(0));
        let mut bob = Device::new(IdentityKeyPair::generate(), at(0));
        let b = bundle(&mut bob, true);
        let (mut a_session, first) = alice.initiate(&b, b"hi bob", &mut RandomKeys).unwrap();
        let (mut b_session, plain) = bob.accept(&first, &mut RandomKeys).unwrap();
        assert_eq!(plain, b"hi bob");
        assert_eq!(bob.one_time_prekeys(), 0);
        let (h, c) = b_session.encrypt(b"hi alice").unwrap();
        assert_eq!(a_session.decrypt(&h, &c).unwrap(), b"hi alice");
        // The one-time prekey is spent: a replay of the first message fails.
        assert_eq!(
            bob.accept(&first, &mut RandomKeys).unwrap_err(),
            Error::UnknownKey
        );
    }

    #[test]
    fn a_tampered_first_message_consumes_nothing() {
        let alice = Device::new(IdentityKeyPair::generate(), at(0));
        let mut bob = Device::new(IdentityKeyPair::generate(), at(0));
        let b = bundle(&mut bob, true);
        let (_, mut first) = alice.initiate(&b, b"hi", &mut RandomKeys).unwrap();
        first.message.ciphertext[0] ^= 1;
        assert_eq!(
            bob.accept(&first, &mut RandomKeys).unwrap_err(),
            Error::Undecryptable
        );
        assert_eq!(bob.one_time_prekeys(), 1);
    }

    #[test]
    fn signed_prekeys_rotate_weekly_and_the_old_one_lasts_the_grace_period() {
        let policy = PrekeyPolicy::default();
        let alice = Device::new(IdentityKeyPair::generate(), at(0));
        let mut bob = Device::new(IdentityKeyPair::generate(), at(0));
        // Alice fetched the bundle on day 6; her message arrives on day 10.
        let old = bundle(&mut bob, false);
        assert_eq!(bob.maintain(&policy, at(6), 100).signed_prekey, None);
        let rotated = bob.maintain(&policy, at(7), 100);
        assert_eq!(rotated.signed_prekey.map(|s| s.id), Some(2));
        assert!(rotated.one_time_prekeys.is_empty());
        assert_eq!(bob.signed_prekey_ids(), [1, 2]);
        let (_, first) = alice.initiate(&old, b"late", &mut RandomKeys).unwrap();
        assert_eq!(
            bob.clone().accept(&first, &mut RandomKeys).unwrap().1,
            b"late"
        );
        assert_eq!(bob.maintain(&policy, at(13), 100), Maintenance::default());
        assert_eq!(
            bob.maintain(&policy, at(14), 100)
                .signed_prekey
                .map(|s| s.id),
            Some(3)
        );
        assert_eq!(bob.signed_prekey_ids(), [1, 2, 3]);
        // Two weeks after its replacement the first key is gone.
        bob.maintain(&policy, at(20), 100);
        assert_eq!(bob.signed_prekey_ids(), [1, 2, 3]);
        bob.maintain(&policy, at(21), 100);
        assert_eq!(bob.signed_prekey_ids(), [2, 3, 4]);
        assert_eq!(
            bob.accept(&first, &mut RandomKeys).unwrap_err(),
            Error::UnknownKey
        );
    }

    #[test]
    fn one_time_prekeys_are_topped_up_below_the_threshold() {
        let policy = PrekeyPolicy::default();
        let mut bob = Device::new(IdentityKeyPair::generate(), at(0));
        assert!(bob.maintain(&policy, at(0), 20).one_time_prekeys.is_empty());
        let fresh = bob.maintain(&policy, at(0), 19).one_time_prekeys;
        assert_eq!(fresh.len(), 81);
        let ids: std::collections::BTreeSet<u32> = fresh.iter().map(|k| k.id).collect();
        assert_eq!(ids.len(), 81, "ids are distinct");
        assert_eq!(bob.maintain(&policy, at(0), 0).one_time_prekeys.len(), 100);
    }

    #[test]
    fn a_device_round_trips_through_bytes() {
        let alice = Device::new(IdentityKeyPair::generate(), at(0));
        let mut bob = Device::new(IdentityKeyPair::generate(), at(3));
        let b = bundle(&mut bob, true);
        bob.generate_one_time_prekeys(5);
        let mut restored = Device::from_bytes(&bob.to_bytes()).unwrap();
        assert_eq!(restored.identity().public(), bob.identity().public());
        assert_eq!(restored.signed_prekey(), bob.signed_prekey());
        assert_eq!(restored.one_time_prekeys(), 6);
        let (_, first) = alice.initiate(&b, b"x", &mut RandomKeys).unwrap();
        assert_eq!(restored.accept(&first, &mut RandomKeys).unwrap().1, b"x");
        let bytes = bob.to_bytes();
        for cut in [0, 1, 40, bytes.len() - 1] {
            assert!(Device::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut v = bytes.to_vec();
        v[0] = 9;
        assert_eq!(Device::from_bytes(&v).unwrap_err(), Error::Version(9));
    }
}
