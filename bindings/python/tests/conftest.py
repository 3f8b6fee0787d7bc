"""Shared fixtures.

- ``platform`` / ``tenant`` / ``ann``: a platform on every backend the
  machine offers — SQLite in memory always; PostgreSQL (a fresh schema) with
  Redis when ``CAAS_TEST_DATABASE_URL`` and ``CAAS_TEST_REDIS_URL`` are set.
  With ``CAAS_TEST_REQUIRE_BACKENDS=1`` (as in CI) a missing backend fails
  the run instead of skipping.
- ``acme`` / ``globex``: tenant issuers for the middleware tests — an Ed25519
  key each, a JWKS, a :class:`caas.TokenVerifier` and a function that mints
  their access tokens.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

import caas
from caas.tokens import TokenVerifier

PASSWORD = "a long and unusual passphrase"
ADMIN_PASSWORD = "correct horse battery staple"


def _postgres() -> tuple[str, str] | None:
    db = os.environ.get("CAAS_TEST_DATABASE_URL")
    redis = os.environ.get("CAAS_TEST_REDIS_URL")
    if db and redis:
        return db, redis
    if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
        pytest.fail("CAAS_TEST_DATABASE_URL and CAAS_TEST_REDIS_URL are required")
    return None


def open_platform(backend: str) -> caas.Platform:
    """A new platform on `backend` (``sqlite`` or ``postgres``)."""
    if backend == "sqlite":
        return caas.Platform.open("sqlite::memory:")
    found = _postgres()
    if found is None:
        pytest.skip("PostgreSQL and Redis are not configured")
    db, redis = found
    schema = f"caas_py_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", db, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True)
    return caas.Platform.open(
        db,
        database_schema=schema,
        redis_url=redis,
        redis_prefix=schema,
        master_key=secrets.token_hex(32),
    )


@pytest.fixture(params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest) -> Iterator[caas.Platform]:
    p = open_platform(request.param)
    yield p
    p.close()


@pytest.fixture
def tenant(platform: caas.Platform) -> caas.Tenant:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    return platform.tenants.create(
        slug,
        "Acme",
        admin_email="boss@acme.example",
        admin_password=ADMIN_PASSWORD,
        settings={"extensions": {"auth": {"allow_registration": True, "allow_guests": True}}},
    )


@pytest.fixture
def ann(platform: caas.Platform, tenant: caas.Tenant) -> dict[str, object]:
    return platform.auth.register(tenant, PASSWORD, email="ann@acme.example")


AUDIENCE = "games"


@dataclass
class Tenant:
    """One tenant issuer: its slug, id, key and verifier."""

    slug: str
    id: str
    issuer: str
    key: Ed25519PrivateKey
    kid: str
    verifier: TokenVerifier

    def token(self, **claims: Any) -> str:
        """An access token of this tenant; ``claims`` override the defaults
        (a ``None`` value drops the claim)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "user-1",
            "aud": AUDIENCE,
            "exp": now + 300,
            "nbf": now - 5,
            "iat": now - 5,
            "jti": str(uuid.uuid4()),
            "tenant_id": self.id,
            "kind": "user",
            "scope": "games:read",
            "roles": [],
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.key, algorithm="EdDSA", headers={"kid": self.kid})


def make_tenant(slug: str) -> Tenant:
    key = Ed25519PrivateKey.generate()
    kid = f"{slug}-key-1"
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid=kid, use="sig", alg="EdDSA")
    tenant_id = str(uuid.uuid4())
    issuer = f"https://caas.example.com/t/{slug}"
    verifier = TokenVerifier.from_jwks(issuer, AUDIENCE, {"keys": [jwk]}, tenant_id=tenant_id)
    return Tenant(slug, tenant_id, issuer, key, kid, verifier)


@pytest.fixture(scope="session")
def acme() -> Tenant:
    return make_tenant("acme")


@pytest.fixture(scope="session")
def globex() -> Tenant:
    return make_tenant("globex")


# --- a running caas-server (CAAS_SERVER_BIN) ---------------------------------

ADMIN_KEY = "an-admin-key-of-at-least-32-characters-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    import httpx  # only the server's tests need it (the abi3 smoke run has none)

    binary = os.environ.get("CAAS_SERVER_BIN")
    if not binary:
        if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
            pytest.fail("CAAS_SERVER_BIN is required")
        pytest.skip("CAAS_SERVER_BIN is not set")
    port = free_port()
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
