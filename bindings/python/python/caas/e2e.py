"""End-to-end encryption, profile ``caas-e2e-v1``: X3DH and the Double Ratchet.

A :class:`Device` holds one device's private keys (its Ed25519 identity,
signed prekeys and the private halves of its one-time prekeys); it publishes
a :class:`PrekeyBundle`. A :class:`Session` is one side of a conversation with
one remote device: :meth:`Session.initiate` starts it from the peer's bundle
and returns the first (prekey) message, :meth:`Session.accept` takes that
message on the other device. Messages are bytes in the profile's wire format,
byte-identical to the Rust SDK's. A message that fails to decrypt (tampered,
replayed, not for this session) raises :class:`caas.errors.InvalidInput` and
leaves the session unchanged.

``Device.to_bytes()`` and ``Session.to_bytes()`` are secret: store them
encrypted. Safety numbers (:func:`safety_number`) are Signal's numeric
fingerprints, compared out of band.

Example::

    from caas.e2e import Device, Session

    alice, bob = Device.generate(), Device.generate()
    [otk] = bob.generate_one_time_prekeys(1)
    a, first = Session.initiate(alice, bob.bundle(otk), b"hi bob")
    b, plaintext = Session.accept(bob, first)
    assert plaintext == b"hi bob"
    assert a.decrypt(b.encrypt(b"hi alice")) == b"hi alice"
"""

from caas._caas import (
    Device,
    OneTimePrekey,
    PrekeyBundle,
    Session,
    SignedPrekey,
    format_safety_number,
    safety_number,
    sender_identity_key,
)

__all__ = [
    "Device",
    "OneTimePrekey",
    "PrekeyBundle",
    "Session",
    "SignedPrekey",
    "format_safety_number",
    "safety_number",
    "sender_identity_key",
]
