"""E2E across languages: a conversation started by the wheel is decrypted by
caas-crypto in a Rust process (`examples/e2e_peer.rs`), whose reply the
wheel decrypts. The binary is `CAAS_E2E_PEER` (CI builds it); without it the
test is skipped, unless `CAAS_TEST_REQUIRE_BACKENDS=1`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from caas.e2e import Device, Session


def test_python_to_rust_and_back() -> None:
    peer = os.environ.get("CAAS_E2E_PEER")
    if not peer:
        if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
            pytest.fail("CAAS_E2E_PEER is required")
        pytest.skip("CAAS_E2E_PEER is not set")
    alice, bob = Device.generate(), Device.generate()
    [otk] = bob.generate_one_time_prekeys(1)
    session, first = Session.initiate(alice, bob.bundle(otk), b"zdravo, Bob")
    later = [session.encrypt(f"sporočilo {i}".encode()) for i in range(3)]
    request = {
        "device": list(bob.to_bytes()),
        "first": list(first),
        "messages": [list(m) for m in later],
        "reply": "živjo, Alice",
    }
    out = subprocess.run(
        [peer], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    answer = json.loads(out.stdout)
    assert answer["plaintexts"] == ["zdravo, Bob", "sporočilo 0", "sporočilo 1", "sporočilo 2"]
    assert session.decrypt(bytes(answer["reply"])).decode() == "živjo, Alice"
