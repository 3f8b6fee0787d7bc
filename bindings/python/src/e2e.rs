//! `caas.e2e`: end-to-end encryption, profile `caas-e2e-v1` (caas-crypto's
//! X3DH and Double Ratchet) — [`Device`], [`Session`], the published
//! prekeys and safety numbers. Bytes in, bytes out, in the profile's wire
//! formats; every key agreement and ratchet step runs with the GIL released.
//!
//! [`Device`] and [`Session`] change with use (a device spends one-time
//! prekeys, a session advances its ratchet), yet they are frozen classes
//! holding a `Mutex`: pyo3's borrow checking on a mutable class would raise
//! `RuntimeError: Already borrowed` when a second thread calls in while the
//! first has let go of the GIL for the DH work; with the mutex it waits its
//! turn (the lock is taken with the GIL released, so no thread can hold the
//! GIL while waiting for a lock another thread holds).

use std::sync::{Mutex, MutexGuard, PoisonError};

use caas::core::{Clock, SystemClock};
use caas::crypto::e2e::wire::{Message, PrekeyMessage};
use caas::crypto::e2e::{self, IdentityKey, IdentityKeyPair, RandomKeys, safety};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zeroize::Zeroizing;

use crate::errors::{invalid, to_py};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SignedPrekey>()?;
    m.add_class::<OneTimePrekey>()?;
    m.add_class::<PrekeyBundle>()?;
    m.add_class::<Device>()?;
    m.add_class::<Session>()?;
    m.add_function(wrap_pyfunction!(safety_number, m)?)?;
    m.add_function(wrap_pyfunction!(format_safety_number, m)?)?;
    m.add_function(wrap_pyfunction!(sender_identity_key, m)?)?;
    Ok(())
}

/// A caas-crypto error as the `caas.errors` exception of its kind.
fn crypto(error: caas::crypto::Error) -> PyErr {
    to_py(error.into())
}

/// `value` as exactly `N` bytes, or an error naming `field`.
fn fixed<const N: usize>(field: &'static str, value: &[u8]) -> PyResult<[u8; N]> {
    value.try_into().map_err(|_| {
        invalid(
            field,
            format!("`{field}` must be {N} bytes, not {}", value.len()),
        )
    })
}

/// The value behind `mutex`. A poisoned lock (a panic, which this crate's
/// lints rule out) still holds a consistent value: caas-crypto changes a
/// device or session only once an operation has succeeded.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A signed prekey as published: its id, the X25519 public key and the
/// Ed25519 signature of the identity key over it.
#[pyclass(module = "caas._caas", frozen)]
#[derive(Clone)]
pub(crate) struct SignedPrekey {
    inner: e2e::SignedPrekey,
}

#[pymethods]
impl SignedPrekey {
    /// A signed prekey from its parts (as fetched from the key server).
    #[new]
    fn new(id: u32, key: &[u8], signature: &[u8]) -> PyResult<Self> {
        Ok(SignedPrekey {
            inner: e2e::SignedPrekey {
                id,
                key: fixed("key", key)?,
                signature: fixed("signature", signature)?,
            },
        })
    }

    /// Its id.
    #[getter]
    fn id(&self) -> u32 {
        self.inner.id
    }

    /// The 32-byte X25519 public key.
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.key)
    }

    /// The 64-byte Ed25519 signature by the identity key over `key`.
    #[getter]
    fn signature<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.signature)
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!("SignedPrekey(id={})", self.inner.id)
    }
}

/// A one-time prekey as published: its id and X25519 public key.
#[pyclass(module = "caas._caas", frozen)]
#[derive(Clone)]
pub(crate) struct OneTimePrekey {
    inner: e2e::OneTimePrekey,
}

#[pymethods]
impl OneTimePrekey {
    /// A one-time prekey from its parts (as fetched from the key server).
    #[new]
    fn new(id: u32, key: &[u8]) -> PyResult<Self> {
        Ok(OneTimePrekey {
            inner: e2e::OneTimePrekey {
                id,
                key: fixed("key", key)?,
            },
        })
    }

    /// Its id.
    #[getter]
    fn id(&self) -> u32 {
        self.inner.id
    }

    /// The 32-byte X25519 public key.
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.key)
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!("OneTimePrekey(id={})", self.inner.id)
    }
}

/// What an initiator fetches to start a session with one device: its
/// identity key, signed prekey and, if any were left, one one-time prekey.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct PrekeyBundle {
    inner: e2e::PrekeyBundle,
}

#[pymethods]
impl PrekeyBundle {
    /// A bundle from its parts. The signature is checked when a session is
    /// initiated with it, before any Diffie-Hellman.
    #[new]
    #[pyo3(signature = (identity_key, signed_prekey, one_time_prekey = None))]
    fn new(
        identity_key: &[u8],
        signed_prekey: &SignedPrekey,
        one_time_prekey: Option<&OneTimePrekey>,
    ) -> PyResult<Self> {
        let identity = IdentityKey::from_bytes(&fixed("identity_key", identity_key)?)
            .map_err(|e| invalid("identity_key", e.to_string()))?;
        Ok(PrekeyBundle {
            inner: e2e::PrekeyBundle {
                identity,
                signed_prekey: signed_prekey.inner,
                one_time_prekey: one_time_prekey.map(|k| k.inner),
            },
        })
    }

    /// The 32-byte Ed25519 identity key.
    #[getter]
    fn identity_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.identity.to_bytes())
    }

    /// The signed prekey.
    #[getter]
    fn signed_prekey(&self) -> SignedPrekey {
        SignedPrekey {
            inner: self.inner.signed_prekey,
        }
    }

    /// The one-time prekey, if any.
    #[getter]
    fn one_time_prekey(&self) -> Option<OneTimePrekey> {
        self.inner
            .one_time_prekey
            .map(|inner| OneTimePrekey { inner })
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!(
            "PrekeyBundle(signed_prekey_id={}, one_time_prekey_id={:?})",
            self.inner.signed_prekey.id,
            self.inner.one_time_prekey.map(|k| k.id)
        )
    }
}

/// One device's private keys: its Ed25519 identity, its signed prekeys
/// (the current one and replaced ones in their grace period) and the
/// private halves of its one-time prekeys. It lives on the client;
/// [`Device::to_bytes`] is secret.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Device {
    inner: Mutex<e2e::Device>,
}

#[pymethods]
impl Device {
    /// A new device with a first signed prekey (id 1): a new random
    /// identity, or the one of `identity_seed` (32 bytes, secret).
    #[staticmethod]
    #[pyo3(signature = (identity_seed = None))]
    fn generate(identity_seed: Option<&[u8]>) -> PyResult<Self> {
        let identity = match identity_seed {
            Some(seed) => {
                IdentityKeyPair::from_seed(&Zeroizing::new(fixed("identity_seed", seed)?))
            }
            None => IdentityKeyPair::generate(),
        };
        Ok(Device {
            inner: Mutex::new(e2e::Device::new(identity, SystemClock.now())),
        })
    }

    /// Reads what [`Device::to_bytes`] wrote.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        let device = e2e::Device::from_bytes(data).map_err(crypto)?;
        Ok(Device {
            inner: Mutex::new(device),
        })
    }

    /// The device serialized (its private keys: secret, store it sealed).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| lock(&self.inner).to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// The 32-byte Ed25519 public identity key.
    #[getter]
    fn identity_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let key = py.detach(|| lock(&self.inner).identity().public().to_bytes());
        PyBytes::new(py, &key)
    }

    /// The current signed prekey (public part and signature).
    #[getter]
    fn signed_prekey(&self, py: Python<'_>) -> SignedPrekey {
        let inner = py.detach(|| lock(&self.inner).signed_prekey());
        SignedPrekey { inner }
    }

    /// The ids of the signed prekeys still accepted, oldest first.
    #[getter]
    fn signed_prekey_ids(&self, py: Python<'_>) -> Vec<u32> {
        py.detach(|| lock(&self.inner).signed_prekey_ids())
    }

    /// How many one-time prekey private keys the device holds.
    #[getter]
    fn one_time_prekey_count(&self, py: Python<'_>) -> usize {
        py.detach(|| lock(&self.inner).one_time_prekeys())
    }

    /// `n` new one-time prekeys to publish (their private halves stay
    /// here; a device keeps at most 2000).
    fn generate_one_time_prekeys(&self, py: Python<'_>, n: usize) -> Vec<OneTimePrekey> {
        let keys = py.detach(|| lock(&self.inner).generate_one_time_prekeys(n));
        keys.into_iter()
            .map(|inner| OneTimePrekey { inner })
            .collect()
    }

    /// Makes a new signed prekey current (publish it); the replaced one is
    /// still accepted for its grace period.
    fn rotate_signed_prekey(&self, py: Python<'_>) -> SignedPrekey {
        let inner = py.detach(|| lock(&self.inner).rotate_signed_prekey(SystemClock.now()));
        SignedPrekey { inner }
    }

    /// This device's bundle: its identity key, current signed prekey and
    /// `one_time_prekey` (one of those [`Device::generate_one_time_prekeys`]
    /// returned), if given.
    #[pyo3(signature = (one_time_prekey = None))]
    fn bundle(&self, py: Python<'_>, one_time_prekey: Option<&OneTimePrekey>) -> PrekeyBundle {
        let (identity, signed_prekey) = py.detach(|| {
            let device = lock(&self.inner);
            (device.identity().public(), device.signed_prekey())
        });
        PrekeyBundle {
            inner: e2e::PrekeyBundle {
                identity,
                signed_prekey,
                one_time_prekey: one_time_prekey.map(|k| k.inner),
            },
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (ids, one_time) = py.detach(|| {
            let device = lock(&self.inner);
            (device.signed_prekey_ids(), device.one_time_prekeys())
        });
        format!("Device(signed_prekey_ids={ids:?}, one_time_prekeys={one_time})")
    }
}

/// One side of a conversation with one remote device (the Double Ratchet).
/// [`Session::to_bytes`] is secret.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Session {
    inner: Mutex<e2e::Session>,
}

impl Session {
    fn wrap(session: e2e::Session) -> Self {
        Session {
            inner: Mutex::new(session),
        }
    }
}

#[pymethods]
impl Session {
    /// Starts a session from `device` with the device of `bundle` (X3DH,
    /// after checking the signed prekey's signature) and encrypts the first
    /// message: returns the session and the prekey message to send.
    #[staticmethod]
    fn initiate<'py>(
        py: Python<'py>,
        device: &Device,
        bundle: &PrekeyBundle,
        plaintext: &[u8],
    ) -> PyResult<(Session, Bound<'py, PyBytes>)> {
        let (session, message) = py
            .detach(|| {
                let (session, message) =
                    lock(&device.inner).initiate(&bundle.inner, plaintext, &mut RandomKeys)?;
                Ok::<_, caas::crypto::Error>((session, message.to_bytes()))
            })
            .map_err(crypto)?;
        Ok((Session::wrap(session), PyBytes::new(py, &message)))
    }

    /// Accepts a first (prekey) message on `device`: returns the session
    /// and the plaintext. The one-time prekey it used is spent only once it
    /// decrypts, so a replay fails; a message that fails changes nothing.
    #[staticmethod]
    fn accept<'py>(
        py: Python<'py>,
        device: &Device,
        message: &[u8],
    ) -> PyResult<(Session, Bound<'py, PyBytes>)> {
        let (session, plaintext) = py
            .detach(|| {
                let message = PrekeyMessage::from_bytes(message)?;
                lock(&device.inner).accept(&message, &mut RandomKeys)
            })
            .map_err(crypto)?;
        Ok((Session::wrap(session), PyBytes::new(py, &plaintext)))
    }

    /// Reads what [`Session::to_bytes`] wrote.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        e2e::Session::from_bytes(data)
            .map(Session::wrap)
            .map_err(crypto)
    }

    /// The session serialized (its keys: secret, store it sealed).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| lock(&self.inner).to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// Encrypts the next message: the wire message to send. The responder
    /// can send once it has accepted a message (`Conflict` before).
    fn encrypt<'py>(&self, py: Python<'py>, plaintext: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let message = py
            .detach(|| {
                let (header, ciphertext) = lock(&self.inner).encrypt(plaintext)?;
                Ok::<_, caas::crypto::Error>(Message { header, ciphertext }.to_bytes())
            })
            .map_err(crypto)?;
        Ok(PyBytes::new(py, &message))
    }

    /// Decrypts a wire message, in any order within the profile's limits.
    /// A message that fails (tampered, replayed, not for this session)
    /// raises `InvalidInput` and leaves the session unchanged.
    fn decrypt<'py>(&self, py: Python<'py>, message: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let plaintext = py
            .detach(|| {
                let message = Message::from_bytes(message)?;
                lock(&self.inner).decrypt(&message.header, &message.ciphertext)
            })
            .map_err(crypto)?;
        Ok(PyBytes::new(py, &plaintext))
    }

    /// The 32-byte ratchet public key this session sends with now.
    #[getter]
    fn ratchet_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let key = py.detach(|| lock(&self.inner).ratchet_public());
        PyBytes::new(py, &key)
    }

    /// How many message keys of skipped (not yet received) messages are kept.
    #[getter]
    fn skipped_keys(&self, py: Python<'_>) -> usize {
        py.detach(|| lock(&self.inner).skipped_keys())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let skipped = py.detach(|| lock(&self.inner).skipped_keys());
        format!("Session(skipped_keys={skipped})")
    }
}

/// The 60-digit safety number of two parties, each an identity key and an
/// id (e.g. the user id as UTF-8): Signal's numeric fingerprint, the same
/// on both sides.
#[pyfunction]
fn safety_number(
    py: Python<'_>,
    local_key: &[u8],
    local_id: &[u8],
    remote_key: &[u8],
    remote_id: &[u8],
) -> String {
    py.detach(|| safety::safety_number(local_key, local_id, remote_key, remote_id))
}

/// A safety number in blocks of five digits, for display.
#[pyfunction]
fn format_safety_number(number: &str) -> String {
    safety::display(number)
}

/// The sender's 32-byte identity key named in a first (prekey) message —
/// for its safety number; it is authenticated once the message is accepted.
#[pyfunction]
fn sender_identity_key<'py>(py: Python<'py>, message: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let message = PrekeyMessage::from_bytes(message).map_err(crypto)?;
    Ok(PyBytes::new(py, &message.identity.to_bytes()))
}
