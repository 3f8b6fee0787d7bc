"""A token issued by a running `caas-server`, verified through its issuer's
discovery document and JWKS (`TokenVerifier.from_issuer`).

The binary is `CAAS_SERVER_BIN` (CI points it at the release build); without
it the test is skipped, unless `CAAS_TEST_REQUIRE_BACKENDS=1`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

import caas

ADMIN_KEY = "an-admin-key-of-at-least-32-characters-for-tests"
PASSWORD = "correct horse battery staple"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    binary = os.environ.get("CAAS_SERVER_BIN")
    if not binary:
        if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
            pytest.fail("CAAS_SERVER_BIN is required")
        pytest.skip("CAAS_SERVER_BIN is not set")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CAAS_LISTEN": f"127.0.0.1:{port}",
        "CAAS_PUBLIC_URL": base,
        "CAAS_DATABASE_URL": "sqlite::memory:",
        "CAAS_ADMIN_KEY": ADMIN_KEY,
        "CAAS_LOG": "warn",
    }
    proc = subprocess.Popen([binary, "serve"], env=env)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("caas-server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_server_token_verifies_through_discovery(server: str) -> None:
    created = httpx.post(
        f"{server}/v1/admin/tenants",
        headers={"authorization": f"Bearer {ADMIN_KEY}"},
        json={
            "slug": "acme",
            "name": "Acme",
            "admin": {"email": "boss@acme.example", "password": PASSWORD},
        },
    )
    assert created.status_code == 201, created.text
    login = httpx.post(
        f"{server}/v1/auth/login",
        headers={"x-tenant-id": "acme"},
        json={"login": "boss@acme.example", "password": PASSWORD},
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]

    verifier = caas.TokenVerifier.from_issuer(
        f"{server}/t/acme", "caas", tenant_id=created.json()["id"]
    )
    claims = verifier.verify(token)
    assert claims.tenant_id == created.json()["id"]
    assert claims.iss == f"{server}/t/acme"
    with pytest.raises(caas.InvalidAudienceError):
        caas.TokenVerifier.from_issuer(f"{server}/t/acme", "billing").verify(token)
    with pytest.raises(caas.Unavailable):
        caas.TokenVerifier.from_issuer(f"{server}/t/nobody", "caas")
