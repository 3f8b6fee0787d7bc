"""TokenVerifier: tokens the platform issues, PyJWT as the independent peer
both ways, every refusal as its exception class, the cache honouring expiry,
and `from_issuer` against discovery served over HTTP."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

import caas

ISSUER = "https://id.example/t/acme"
TENANT = "01900000-0000-7000-8000-000000000001"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": "api",
        "exp": now + 600,
        "nbf": now,
        "iat": now,
        "jti": "j-1",
        "tenant_id": TENANT,
        "kind": "user",
        "scope": "read write",
        "roles": ["editor"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def jwks(key: Ed25519PrivateKey) -> dict[str, Any]:
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    jwk["kid"] = "k1"
    return {"keys": [jwk]}


def sign(key: Ed25519PrivateKey, body: dict[str, Any], kid: str = "k1") -> str:
    return jwt.encode(body, key, algorithm="EdDSA", headers={"kid": kid})


def test_a_pyjwt_token_verifies_with_typed_claims(
    key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    verifier = caas.TokenVerifier.from_jwks(ISSUER, "api", jwks, tenant_id=TENANT)
    c = verifier.verify(sign(key, claims(extra="kept")))
    assert (c.sub, c.tenant_id, c.kind) == ("user-1", TENANT, "user")
    assert c.scopes == ["read", "write"] and c.roles == ["editor"]
    assert c.has_scope("write") and not c.has_scope("admin") and c.has_role("editor")
    assert c.raw["extra"] == "kept" and c["jti"] == "j-1" and "extra" in c
    assert c.get("missing", 7) == 7
    with pytest.raises(KeyError):
        c["missing"]


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        ({"aud": "billing"}, caas.InvalidAudienceError, "invalid_audience"),
        ({"iss": "https://evil.example/t/acme"}, caas.InvalidIssuerError, "invalid_issuer"),
        ({"exp": int(time.time()) - 120}, caas.ExpiredToken, "token_expired"),
        ({"nbf": int(time.time()) + 600}, caas.ImmatureSignatureError, "token_not_yet_valid"),
        (
            {"tenant_id": "01900000-0000-7000-8000-000000000002"},
            caas.InvalidToken,
            "invalid_tenant",
        ),
        ({"tenant_id": None}, caas.MissingRequiredClaimError, "missing_claim"),
    ],
)
def test_each_failed_check_raises_its_class(
    key: Ed25519PrivateKey,
    jwks: dict[str, Any],
    change: dict[str, Any],
    error: type[caas.InvalidToken],
    code: str,
) -> None:
    verifier = caas.TokenVerifier.from_jwks(ISSUER, "api", jwks, tenant_id=TENANT)
    with pytest.raises(error) as raised:
        verifier.verify(sign(key, claims(**change)))
    assert raised.value.code == code and raised.value.status == 401


def test_signature_algorithm_and_key_are_checked(
    key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    verifier = caas.TokenVerifier.from_jwks(ISSUER, "api", jwks)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(caas.InvalidSignatureError):
        verifier.verify(sign(other, claims()))
    with pytest.raises(caas.InvalidSignatureError):
        verifier.verify(sign(key, claims(), kid="unknown"))
    hs = jwt.encode(
        claims(), "a shared secret of at least 32 bytes", algorithm="HS256", headers={"kid": "k1"}
    )
    with pytest.raises(caas.InvalidAlgorithmError):
        verifier.verify(hs)
    with pytest.raises(caas.InvalidToken):
        verifier.verify("not.a.token")
    with pytest.raises(caas.InvalidInput) as raised:
        caas.TokenVerifier.from_jwks(ISSUER, "api", {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})
    assert raised.value.field == "jwks"
    with pytest.raises(caas.InvalidInput) as raised:
        caas.TokenVerifier.from_jwks(ISSUER, "api", jwks, leeway=-1)
    assert raised.value.field == "leeway"


def test_the_cache_still_honours_expiry(key: Ed25519PrivateKey, jwks: dict[str, Any]) -> None:
    verifier = caas.TokenVerifier.from_jwks(ISSUER, "api", jwks, leeway=0)
    token = sign(key, claims(exp=int(time.time()) + 2))
    assert verifier.verify(token).sub == "user-1"
    assert verifier.verify(token).sub == "user-1"  # from the cache
    time.sleep(2.2)
    with pytest.raises(caas.ExpiredToken):
        verifier.verify(token)


def test_platform_tokens_verify_with_pyjwt_and_the_verifier(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    tokens = platform.auth.login(tenant, "ann@acme.example", "a long and unusual passphrase")
    access = tokens["access_token"]
    # PyJWT, from the tenant's JWKS, as any third party would.
    jwk = platform.tokens.jwks(tenant)["keys"][0]
    public = OKPAlgorithm.from_jwk(json.dumps(jwk))
    decoded = jwt.decode(access, public, algorithms=["EdDSA"], audience="caas")  # type: ignore[arg-type]
    assert decoded["sub"] == ann["id"] and decoded["tenant_id"] == tenant.id
    assert jwt.get_unverified_header(access)["kid"] == jwk["kid"]
    # The resource server's verifier and the platform's own check agree.
    verifier = platform.tokens.verifier(tenant)
    assert verifier.verify(access).sub == ann["id"]
    assert platform.tokens.verify(tenant, access).sub == ann["id"]
    # Another tenant's verifier refuses it.
    beta = platform.tenants.create(f"beta-{tenant.slug[2:]}", "Beta")
    with pytest.raises(caas.InvalidToken):
        platform.tokens.verifier(beta).verify(access)
    with pytest.raises(caas.InvalidToken):
        platform.tokens.verify(beta, access)


class _Issuer(http.server.BaseHTTPRequestHandler):
    documents: ClassVar[dict[str, Any]] = {}
    fetches: ClassVar[int] = 0

    def do_GET(self) -> None:
        body = self.documents.get(self.path)
        if self.path.endswith("jwks.json"):
            type(self).fetches += 1
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def issuer(jwks: dict[str, Any]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Issuer)
    base = f"http://127.0.0.1:{server.server_address[1]}/t/acme"
    _Issuer.documents = {
        "/t/acme/.well-known/openid-configuration": {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "jwks_uri": f"{base}/.well-known/jwks.json",
        },
        "/t/acme/.well-known/jwks.json": jwks,
    }
    _Issuer.fetches = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


def test_from_issuer_finds_the_keys_by_discovery(key: Ed25519PrivateKey, issuer: str) -> None:
    verifier = caas.TokenVerifier.from_issuer(issuer, "api")
    assert verifier.issuer == issuer and _Issuer.fetches == 1
    assert verifier.verify(sign(key, claims(iss=issuer))).sub == "user-1"
    with pytest.raises(caas.InvalidIssuerError):
        verifier.verify(sign(key, claims()))
    with pytest.raises(caas.Unavailable):
        caas.TokenVerifier.from_issuer("http://127.0.0.1:1/t/none", "api")


async def test_async_forms(key: Ed25519PrivateKey, issuer: str) -> None:
    verifier = await caas.TokenVerifier.afrom_issuer(issuer, "api")
    tokens = [sign(key, claims(iss=issuer, jti=f"j-{i}")) for i in range(20)]
    verified = await asyncio.gather(*(verifier.averify(t) for t in tokens))
    assert [c["jti"] for c in verified] == [f"j-{i}" for i in range(20)]
    with pytest.raises(caas.InvalidIssuerError):
        await verifier.averify(sign(key, claims()))
