"""caas.e2e: the profile's known answers, a conversation, and refusals."""

from __future__ import annotations

import json
import struct
import threading
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from caas.e2e import (
    Device,
    OneTimePrekey,
    PrekeyBundle,
    Session,
    SignedPrekey,
    format_safety_number,
    safety_number,
    sender_identity_key,
)
from caas.errors import InvalidInput, NotFound

VECTORS = Path(__file__).parents[3] / "caas-crypto" / "tests" / "vectors" / "caas-e2e-v1.json"


def cases() -> list[dict[str, Any]]:
    data = json.loads(VECTORS.read_text())
    assert data["profile"] == "caas-e2e-v1"
    result: list[dict[str, Any]] = data["cases"]
    return result


def x25519_public(private: bytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(private).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def bob_device_bytes(bob: dict[str, Any]) -> bytes:
    """Bob's device of a vector case, in the documented `Device.to_bytes` layout."""
    opk = bob.get("one_time_prekey_private")
    out = bytes([0x01]) + bytes.fromhex(bob["identity_seed"])
    out += struct.pack(">II", 2, 2)  # next signed / one-time prekey ids
    out += struct.pack(">I", 1) + bytes.fromhex(bob["signed_prekey_private"])
    out += bytes.fromhex(bob["signed_prekey_signature"]) + struct.pack(">q", 0)
    out += struct.pack(">H", 0)  # no replaced signed prekeys
    if opk is None:
        return out + struct.pack(">I", 0)
    return out + struct.pack(">II", 1, 1) + bytes.fromhex(opk)


def header(message: dict[str, Any]) -> bytes:
    h = message["header"]
    return bytes.fromhex(h["ratchet_public"]) + struct.pack(">II", h["pn"], h["n"])


def wire(message: dict[str, Any]) -> bytes:
    return b"\x01\x02" + header(message) + bytes.fromhex(message["ciphertext"])


def first_message(case: dict[str, Any]) -> bytes:
    ad = bytes.fromhex(case["x3dh"]["associated_data"])
    with_opk = "one_time_prekey_private" in case["bob"]
    out = b"\x01\x01" + ad[:32]
    out += x25519_public(bytes.fromhex(case["alice"]["ephemeral_private"]))
    out += struct.pack(">IBI", 1, int(with_opk), int(with_opk))
    m = case["messages"][0]
    return out + header(m) + bytes.fromhex(m["ciphertext"])


@pytest.mark.parametrize("index", [0, 1])
def test_the_known_answer_vectors_decrypt_byte_for_byte(index: int) -> None:
    case = cases()[index]
    ad = bytes.fromhex(case["x3dh"]["associated_data"])
    alice = Device.generate(identity_seed=bytes.fromhex(case["alice"]["identity_seed"]))
    assert alice.identity_key == ad[:32]
    bob = Device.from_bytes(bob_device_bytes(case["bob"]))
    assert bob.identity_key == ad[32:]
    assert bob.to_bytes() == bob_device_bytes(case["bob"])
    spk = bob.signed_prekey
    assert spk.id == 1
    assert spk.key == x25519_public(bytes.fromhex(case["bob"]["signed_prekey_private"]))
    assert spk.signature == bytes.fromhex(case["bob"]["signed_prekey_signature"])

    first = first_message(case)
    assert sender_identity_key(first) == ad[:32]
    session, plaintext = Session.accept(bob, first)
    messages = case["messages"]
    assert plaintext == bytes.fromhex(messages[0]["plaintext"])
    # Alice's further messages of her first chain (Bob's replies come from
    # his own random ratchet keys, which no API lets a caller fix).
    rest = [m for m in messages[1:] if m["sender"] == "alice" and m["header"]["pn"] == 0]
    for m in reversed(rest):  # out of order, too
        assert session.decrypt(wire(m)) == bytes.fromhex(m["plaintext"])
    assert session.skipped_keys == 0
    assert len(rest) == (2 if index == 0 else 0)


def test_signals_published_safety_number_is_reproduced() -> None:
    alice = bytes.fromhex("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868")
    bob = bytes.fromhex("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b")
    expected = "300354477692869396892869876765458257569162576843440918079131"
    assert safety_number(alice, b"+14152222222", bob, b"+14153333333") == expected
    assert safety_number(bob, b"+14153333333", alice, b"+14152222222") == expected
    assert format_safety_number(expected).split(" ")[0] == "30035"
    assert len(format_safety_number(expected).split(" ")) == 12
    mallory = bytearray(bob)
    mallory[5] ^= 1
    assert safety_number(alice, b"+14152222222", bytes(mallory), b"+14153333333") != expected


def start() -> tuple[Device, Device, Session, Session]:
    alice, bob = Device.generate(), Device.generate()
    [otk] = bob.generate_one_time_prekeys(1)
    a, first = Session.initiate(alice, bob.bundle(otk), b"hi bob")
    b, plaintext = Session.accept(bob, first)
    assert plaintext == b"hi bob"
    return alice, bob, a, b


def test_a_conversation_with_out_of_order_delivery() -> None:
    alice, bob, a, b = start()
    assert bob.one_time_prekey_count == 0
    # Both sides agree on the safety number.
    ids = (b"alice", b"bob")
    assert safety_number(alice.identity_key, ids[0], bob.identity_key, ids[1]) == safety_number(
        bob.identity_key, ids[1], alice.identity_key, ids[0]
    )
    replies = [b.encrypt(f"reply {i}".encode()) for i in range(4)]
    assert a.decrypt(replies[3]) == b"reply 3"
    assert a.skipped_keys == 3
    assert a.decrypt(replies[1]) == b"reply 1"
    ours = [a.encrypt(f"msg {i}".encode()) for i in range(3)]
    assert a.decrypt(replies[0]) == b"reply 0"
    assert b.decrypt(ours[2]) == b"msg 2"
    assert a.decrypt(replies[2]) == b"reply 2"
    assert b.decrypt(ours[0]) == b"msg 0"
    assert b.decrypt(ours[1]) == b"msg 1"
    assert a.skipped_keys == 0 and b.skipped_keys == 0
    # Many turns of the ratchet, an empty and a large message.
    for i in range(5):
        assert a.decrypt(b.encrypt(b"")) == b""
        big = bytes(range(256)) * 256 + bytes([i])
        assert b.decrypt(a.encrypt(big)) == big
    wire = a.encrypt(b"x")
    assert wire[:2] == b"\x01\x02" and len(wire) == 2 + 40 + 1 + 16


def test_a_tampered_message_is_refused_and_the_session_is_unchanged() -> None:
    _, _, a, b = start()
    message = bytearray(b.encrypt(b"secret"))
    before = a.to_bytes()
    for i in (2, 40, len(message) - 1):  # the header's key, N, the tag
        tampered = bytearray(message)
        tampered[i] ^= 1
        with pytest.raises(InvalidInput):
            a.decrypt(bytes(tampered))
        assert a.to_bytes() == before
    with pytest.raises(InvalidInput):
        a.decrypt(bytes(message[:20]))
    assert a.to_bytes() == before
    assert a.decrypt(bytes(message)) == b"secret"


def test_a_replayed_message_is_refused() -> None:
    _, _, a, b = start()
    m = b.encrypt(b"once")
    assert a.decrypt(m) == b"once"
    after = a.to_bytes()
    with pytest.raises(InvalidInput) as e:
        a.decrypt(m)
    assert e.value.status == 400
    assert a.to_bytes() == after
    # A skipped message's key is used once, too.
    m1, m2 = b.encrypt(b"1"), b.encrypt(b"2")
    assert a.decrypt(m2) == b"2"
    assert a.decrypt(m1) == b"1"
    with pytest.raises(InvalidInput):
        a.decrypt(m1)


def test_a_first_message_is_accepted_once() -> None:
    alice, bob = Device.generate(), Device.generate()
    [otk] = bob.generate_one_time_prekeys(1)
    _, first = Session.initiate(alice, bob.bundle(otk), b"hi")
    tampered = bytearray(first)
    tampered[-1] ^= 1
    with pytest.raises(InvalidInput):
        Session.accept(bob, bytes(tampered))
    assert bob.one_time_prekey_count == 1  # nothing consumed
    Session.accept(bob, first)
    with pytest.raises(NotFound):
        Session.accept(bob, first)


def test_serialize_and_restore_mid_conversation() -> None:
    alice, bob, a, b = start()
    pending = b.encrypt(b"in flight")
    b.encrypt(b"lost")  # never delivered
    late = b.encrypt(b"late")
    assert a.decrypt(late) == b"late"
    a2 = Session.from_bytes(a.to_bytes())
    b2 = Session.from_bytes(b.to_bytes())
    assert a2.to_bytes() == a.to_bytes()
    assert a2.skipped_keys == 2
    assert a2.decrypt(pending) == b"in flight"
    assert b2.decrypt(a2.encrypt(b"back")) == b"back"
    # Devices round-trip too, keys and all.
    bob2 = Device.from_bytes(bob.to_bytes())
    assert bob2.identity_key == bob.identity_key
    assert bob2.signed_prekey == bob.signed_prekey
    [otk] = bob2.generate_one_time_prekeys(1)
    _, first = Session.initiate(alice, bob2.bundle(otk), b"again")
    restored = Device.from_bytes(bob2.to_bytes())
    assert Session.accept(restored, first)[1] == b"again"


def test_bundles_from_parts_and_refusals() -> None:
    alice, bob = Device.generate(), Device.generate()
    spk = bob.signed_prekey
    [otk] = bob.generate_one_time_prekeys(1)
    bundle = PrekeyBundle(
        bob.identity_key,
        SignedPrekey(spk.id, spk.key, spk.signature),
        OneTimePrekey(otk.id, otk.key),
    )
    assert bundle == bob.bundle(otk)
    assert bundle.one_time_prekey == otk and bob.bundle().one_time_prekey is None
    _, first = Session.initiate(alice, bundle, b"parts")
    assert Session.accept(bob, first)[1] == b"parts"
    # A signed prekey its identity did not sign is refused before any DH.
    forged = PrekeyBundle(bob.identity_key, SignedPrekey(spk.id, otk.key, spk.signature))
    with pytest.raises(InvalidInput, match="signature"):
        Session.initiate(alice, forged, b"x")
    with pytest.raises(InvalidInput) as e:
        SignedPrekey(1, b"short", spk.signature)
    assert e.value.field == "key"
    with pytest.raises(InvalidInput):
        Session.from_bytes(b"\x01garbage")
    with pytest.raises(InvalidInput):
        Device.from_bytes(b"")


def test_a_replaced_signed_prekey_is_accepted_in_its_grace_period() -> None:
    alice, bob = Device.generate(), Device.generate()
    old = bob.bundle()
    rotated = bob.rotate_signed_prekey()
    assert bob.signed_prekey_ids == [1, 2] and rotated.id == 2
    _, first = Session.initiate(alice, old, b"late")
    b, plaintext = Session.accept(bob, first)
    assert plaintext == b"late"
    assert isinstance(b.encrypt(b"ok"), bytes)
    restored = Session.from_bytes(b.to_bytes())
    assert restored.ratchet_key == b.ratchet_key


def test_threads_share_a_session() -> None:
    _, _, a, b = start()
    messages = [b.encrypt(str(i).encode()) for i in range(200)]
    got: list[bytes] = []

    def read(part: list[bytes]) -> None:
        got.extend(a.decrypt(m) for m in part)

    threads = [threading.Thread(target=read, args=(messages[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got, key=int) == [str(i).encode() for i in range(200)]
    assert a.skipped_keys == 0
