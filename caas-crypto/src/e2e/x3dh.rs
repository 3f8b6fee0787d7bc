//! X3DH key agreement (profile `caas-e2e-v1`).

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::keys::{IdentityKey, IdentityKeyPair, KeyPair, dh, public_key};
use crate::{Error, Result};

/// The HKDF `info` of X3DH.
pub const X3DH_INFO: &[u8] = b"CAAS X3DH v1";

/// A signed prekey as published: id, public key, signature by the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedPrekey {
    /// Its id.
    pub id: u32,
    /// `Encode(SPK)`.
    pub key: [u8; 32],
    /// Ed25519 signature by the identity key over `Encode(SPK)`.
    pub signature: [u8; 64],
}

impl SignedPrekey {
    /// Signs `pair` with `identity`.
    pub fn sign(identity: &IdentityKeyPair, id: u32, pair: &KeyPair) -> Self {
        let key = pair.public();
        SignedPrekey {
            id,
            key,
            signature: identity.sign(&key),
        }
    }

    /// Checks the signature against `identity`.
    pub fn verify(&self, identity: &IdentityKey) -> Result<()> {
        identity.verify(&self.key, &self.signature)
    }
}

/// A one-time prekey as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneTimePrekey {
    /// Its id.
    pub id: u32,
    /// `Encode(OPK)`.
    pub key: [u8; 32],
}

/// What Alice fetches to start a session with one of Bob's devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrekeyBundle {
    /// Bob's identity key.
    pub identity: IdentityKey,
    /// Bob's signed prekey.
    pub signed_prekey: SignedPrekey,
    /// One of Bob's one-time prekeys, if any were left.
    pub one_time_prekey: Option<OneTimePrekey>,
}

/// The result of X3DH on either side.
pub struct Agreement {
    /// `SK`, 32 bytes (secret; zeroized when dropped).
    pub shared_secret: Zeroizing<[u8; 32]>,
    /// `AD = Encode(IK_A) ‖ Encode(IK_B)`.
    pub associated_data: [u8; 64],
}

impl std::fmt::Debug for Agreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agreement")
            .field("associated_data", &hex::encode(self.associated_data))
            .finish_non_exhaustive()
    }
}

fn derive(dhs: &[&[u8; 32]], alice: &IdentityKey, bob: &IdentityKey) -> Result<Agreement> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 * 5));
    ikm.extend_from_slice(&[0xFF; 32]);
    for d in dhs {
        ikm.extend_from_slice(&d[..]);
    }
    let mut shared_secret = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(&[0u8; 32]), &ikm)
        .expand(X3DH_INFO, &mut shared_secret[..])
        .map_err(|_| Error::Malformed("HKDF length"))?;
    let mut associated_data = [0u8; 64];
    associated_data[..32].copy_from_slice(&alice.to_bytes());
    associated_data[32..].copy_from_slice(&bob.to_bytes());
    Ok(Agreement {
        shared_secret,
        associated_data,
    })
}

/// Alice's side: verifies the signed prekey first, then
/// DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B),
/// DH4 = DH(EK_A, OPK_B) if a one-time prekey was given.
pub fn initiate(
    alice: &IdentityKeyPair,
    ephemeral: &KeyPair,
    bundle: &PrekeyBundle,
) -> Result<Agreement> {
    bundle.signed_prekey.verify(&bundle.identity)?;
    let spk = public_key(&bundle.signed_prekey.key);
    let dh1 = dh(&alice.dh_secret(), &spk)?;
    let dh2 = dh(ephemeral.secret(), &bundle.identity.dh_public())?;
    let dh3 = dh(ephemeral.secret(), &spk)?;
    let dh4 = match &bundle.one_time_prekey {
        Some(opk) => Some(dh(ephemeral.secret(), &public_key(&opk.key))?),
        None => None,
    };
    let mut all: Vec<&[u8; 32]> = vec![&dh1, &dh2, &dh3];
    if let Some(d) = &dh4 {
        all.push(d);
    }
    derive(&all, &alice.public(), &bundle.identity)
}

/// Bob's side, with the private halves of the prekeys Alice used.
pub fn respond(
    bob: &IdentityKeyPair,
    signed_prekey: &KeyPair,
    one_time_prekey: Option<&KeyPair>,
    alice: &IdentityKey,
    alice_ephemeral: &[u8; 32],
) -> Result<Agreement> {
    let ek = public_key(alice_ephemeral);
    let dh1 = dh(signed_prekey.secret(), &alice.dh_public())?;
    let dh2 = dh(&bob.dh_secret(), &ek)?;
    let dh3 = dh(signed_prekey.secret(), &ek)?;
    let dh4 = match one_time_prekey {
        Some(opk) => Some(dh(opk.secret(), &ek)?),
        None => None,
    };
    let mut all: Vec<&[u8; 32]> = vec![&dh1, &dh2, &dh3];
    if let Some(d) = &dh4 {
        all.push(d);
    }
    derive(&all, alice, &bob.public())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bob_bundle(with_opk: bool) -> (IdentityKeyPair, KeyPair, KeyPair, PrekeyBundle) {
        let bob = IdentityKeyPair::generate();
        let spk = KeyPair::generate();
        let opk = KeyPair::generate();
        let bundle = PrekeyBundle {
            identity: bob.public(),
            signed_prekey: SignedPrekey::sign(&bob, 1, &spk),
            one_time_prekey: with_opk.then(|| OneTimePrekey {
                id: 7,
                key: opk.public(),
            }),
        };
        (bob, spk, opk, bundle)
    }

    #[test]
    fn both_sides_agree_with_and_without_a_one_time_prekey() {
        for with_opk in [true, false] {
            let alice = IdentityKeyPair::generate();
            let ek = KeyPair::generate();
            let (bob, spk, opk, bundle) = bob_bundle(with_opk);
            let a = initiate(&alice, &ek, &bundle).unwrap();
            let b = respond(
                &bob,
                &spk,
                with_opk.then_some(&opk),
                &alice.public(),
                &ek.public(),
            )
            .unwrap();
            assert_eq!(*a.shared_secret, *b.shared_secret);
            assert_eq!(a.associated_data, b.associated_data);
            assert_eq!(&a.associated_data[..32], &alice.public().to_bytes());
        }
    }

    #[test]
    fn a_forged_signed_prekey_is_refused_before_any_dh() {
        let alice = IdentityKeyPair::generate();
        let (_, _, _, mut bundle) = bob_bundle(true);
        bundle.signed_prekey.key = KeyPair::generate().public();
        let e = initiate(&alice, &KeyPair::generate(), &bundle).unwrap_err();
        assert_eq!(e, Error::BadSignature);
    }

    #[test]
    fn a_low_order_prekey_is_refused() {
        let alice = IdentityKeyPair::generate();
        let (bob, _, _, mut bundle) = bob_bundle(false);
        bundle.signed_prekey = SignedPrekey {
            id: 1,
            key: [0; 32],
            signature: bob.sign(&[0; 32]),
        };
        let e = initiate(&alice, &KeyPair::generate(), &bundle).unwrap_err();
        assert_eq!(e, Error::WeakKey);
    }
}
