#!/usr/bin/env python3
"""Recomputes every value of caas-e2e-v1.json with an independent implementation
of the profile (PyNaCl for Ed25519/X25519, `cryptography` for HKDF, HMAC and
ChaCha20-Poly1305): X3DH, the Double Ratchet of both sides, every header and
every ciphertext. Run by .ci/interop; exits non-zero on the first mismatch."""

import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.bindings import (
    crypto_scalarmult,
    crypto_scalarmult_base,
    crypto_sign_ed25519_pk_to_curve25519,
    crypto_sign_ed25519_sk_to_curve25519,
    crypto_sign_seed_keypair,
)
from nacl.signing import VerifyKey

ZERO = bytes(32)


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def dh(private, public):
    out = crypto_scalarmult(private, public)
    assert out != ZERO, "all-zero DH output"
    return out


def kdf_rk(rk, dh_out):
    okm = hkdf(rk, dh_out, b"CAAS Root Chain v1", 64)
    return okm[:32], okm[32:]


def kdf_ck(ck):
    return hmac.new(ck, b"\x02", hashlib.sha256).digest(), hmac.new(ck, b"\x01", hashlib.sha256).digest()


def header_bytes(pub, pn, n):
    return pub + struct.pack(">II", pn, n)


def seal(mk, ad, header, plaintext):
    okm = hkdf(ZERO, mk, b"CAAS Message Keys v1", 44)
    return ChaCha20Poly1305(okm[:32]).encrypt(okm[32:], plaintext, ad + header)


class Side:
    def __init__(self, dhs, dhr, rk, cks):
        self.dhs, self.dhr, self.rk, self.cks, self.ckr = dhs, dhr, rk, cks, None
        self.ns = self.nr = self.pn = 0

    def encrypt(self, ad, plaintext):
        self.cks, mk = kdf_ck(self.cks)
        header = header_bytes(crypto_scalarmult_base(self.dhs), self.pn, self.ns)
        self.ns += 1
        return header, seal(mk, ad, header, plaintext)

    def receive(self, pub, n, next_private):
        # In-order delivery: a new ratchet key turns the ratchet.
        if pub != self.dhr:
            self.pn, self.ns, self.nr, self.dhr = self.ns, 0, 0, pub
            self.rk, self.ckr = kdf_rk(self.rk, dh(self.dhs, pub))
            self.dhs = next_private
            self.rk, self.cks = kdf_rk(self.rk, dh(self.dhs, pub))
        assert n == self.nr
        self.ckr, _ = kdf_ck(self.ckr)
        self.nr += 1


def check(case):
    h = bytes.fromhex
    a_pk, a_sk = crypto_sign_seed_keypair(h(case["alice"]["identity_seed"]))
    b_pk, b_sk = crypto_sign_seed_keypair(h(case["bob"]["identity_seed"]))
    ek = h(case["alice"]["ephemeral_private"])
    spk = h(case["bob"]["signed_prekey_private"])
    spk_pub = crypto_scalarmult_base(spk)
    VerifyKey(b_pk).verify(spk_pub, h(case["bob"]["signed_prekey_signature"]))
    dhs = [
        dh(crypto_sign_ed25519_sk_to_curve25519(a_sk), spk_pub),
        dh(ek, crypto_sign_ed25519_pk_to_curve25519(b_pk)),
        dh(ek, spk_pub),
    ]
    if "one_time_prekey_private" in case["bob"]:
        dhs.append(dh(ek, crypto_scalarmult_base(h(case["bob"]["one_time_prekey_private"]))))
    sk = hkdf(ZERO, b"\xff" * 32 + b"".join(dhs), b"CAAS X3DH v1", 32)
    ad = a_pk + b_pk
    assert sk.hex() == case["x3dh"]["shared_secret"], "shared secret"
    assert ad.hex() == case["x3dh"]["associated_data"], "associated data"

    messages = case["messages"]
    first_alice = next(m for m in messages if m["sender"] == "alice")
    a_dhs = h(first_alice["ratchet_private"])
    rk, cks = kdf_rk(sk, dh(a_dhs, spk_pub))
    sides = {"alice": Side(a_dhs, spk_pub, rk, cks), "bob": Side(spk, None, sk, None)}
    for i, m in enumerate(messages):
        sender, receiver = m["sender"], "bob" if m["sender"] == "alice" else "alice"
        assert h(m["ratchet_private"]) == sides[sender].dhs, f"message {i}: ratchet key in force"
        header, ciphertext = sides[sender].encrypt(ad, h(m["plaintext"]))
        expected = header_bytes(h(m["header"]["ratchet_public"]), m["header"]["pn"], m["header"]["n"])
        assert header == expected, f"message {i}: header"
        assert ciphertext.hex() == m["ciphertext"], f"message {i}: ciphertext"
        # The receiver's next ratchet key is the one it sends its next message with.
        later = [x for x in messages[i + 1:] if x["sender"] == receiver]
        next_private = h(later[0]["ratchet_private"]) if later else bytes(range(32))
        sides[receiver].receive(header[:32], m["header"]["n"], next_private)
    return len(messages)


def main():
    data = json.load(open(sys.argv[1]))
    assert data["profile"] == "caas-e2e-v1"
    total = sum(check(case) for case in data["cases"])
    print(f"ok: {len(data['cases'])} cases, {total} messages recomputed independently")


if __name__ == "__main__":
    main()
