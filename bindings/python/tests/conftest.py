"""Real tenants for the middleware tests: an Ed25519 key each, a JWKS, a
:class:`caas.TokenVerifier` and a function that mints its access tokens."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from caas.tokens import TokenVerifier

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
