"""A token issued by a running `caas-server`, verified through its issuer's
discovery document and JWKS (`TokenVerifier.from_issuer`).

The binary is `CAAS_SERVER_BIN` (CI points it at the release build); without
it the test is skipped, unless `CAAS_TEST_REQUIRE_BACKENDS=1`.
"""

from __future__ import annotations

import httpx
import pytest

import caas
from conftest import ADMIN_KEY

PASSWORD = "correct horse battery staple"


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
