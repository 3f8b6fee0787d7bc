"""Logging in through a tenant's upstream OpenID provider: the provider is a
real `caas-server` tenant (its own login page, authorization code with
PKCE, signed ID tokens), the relying party this embedded platform."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

import caas
from conftest import ADMIN_KEY

PASSWORD = "correct horse battery staple"
REDIRECT = "http://127.0.0.1:9/auth/callback"


def test_provider_settings_are_checked() -> None:
    with caas.Platform.open("sqlite::memory:") as platform:
        tenant = platform.tenants.create("relying", "RP")
        with pytest.raises(caas.InvalidInput):
            platform.auth.create_identity_provider(
                tenant, {"kind": "oidc", "name": "No issuer", "client_id": "x"}
            )
        # Private addresses need the platform's permission.
        with pytest.raises(caas.InvalidInput) as refused:
            platform.auth.create_identity_provider(
                tenant,
                {"kind": "oidc", "name": "Local", "client_id": "x", "issuer": "http://127.0.0.1:1"},
            )
        assert refused.value.field == "issuer"
        assert platform.auth.identity_providers(tenant) == []


def _upstream(server: str) -> dict[str, Any]:
    """A tenant of the running server with a user and a client for us."""
    admin = {"authorization": f"Bearer {ADMIN_KEY}"}
    made = httpx.post(
        f"{server}/v1/admin/tenants",
        headers=admin,
        json={
            "slug": "upstream",
            "name": "Upstream",
            "admin": {"email": "boss@up.example", "password": PASSWORD},
        },
    )
    assert made.status_code == 201, made.text
    head = {"x-tenant-id": "upstream"}
    token = httpx.post(
        f"{server}/v1/auth/login",
        headers=head,
        json={"login": "boss@up.example", "password": PASSWORD},
    ).json()["access_token"]
    head["authorization"] = f"Bearer {token}"
    user = httpx.post(
        f"{server}/v1/users",
        headers=head,
        json={
            "email": "ana@up.example",
            "username": "ana",
            "display_name": "Ana",
            "password": PASSWORD,
        },
    )
    assert user.status_code == 201, user.text
    client = httpx.post(
        f"{server}/v1/oauth/clients",
        headers=head,
        json={
            "name": "KSP",
            "client_type": "confidential",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code"],
        },
    )
    assert client.status_code == 201, client.text
    return dict(client.json())


def _authorize(url: str) -> str:
    """Follows the provider's pages (login, consent) to our redirect URI."""

    def hidden(html: str, name: str) -> str | None:
        found = re.search(f'name="{name}" value="([^"]*)"', html)
        return found[1] if found else None

    with httpx.Client(headers={"accept-language": "en"}) as browser:
        r = browser.get(url)
        for _ in range(10):
            if r.status_code == 303:
                location = urljoin(str(r.url), r.headers["location"])
                if location.startswith(REDIRECT):
                    return location
                r = browser.get(location)
                continue
            assert r.status_code == 200, r.text[:300]
            form = {"csrf": hidden(r.text, "csrf"), "request": hidden(r.text, "request")}
            base = str(r.url).split("/oauth2/")[0]
            if 'name="password"' in r.text:
                r = browser.post(
                    f"{base}/oauth2/login", data={**form, "login": "ana", "password": PASSWORD}
                )
            else:
                assert 'name="decision"' in r.text, r.text[:300]
                r = browser.post(f"{base}/oauth2/consent", data={**form, "decision": "allow"})
    raise AssertionError("the flow did not reach the redirect URI")


def test_a_login_through_the_upstream_provider(server: str) -> None:
    client = _upstream(server)
    with caas.Platform.open("sqlite::memory:", federation_allow_private_issuers=True) as platform:
        tenant = platform.tenants.create("relying", "RP")
        provider = platform.auth.create_identity_provider(
            tenant,
            {
                "kind": "oidc",
                "name": "Upstream",
                "client_id": client["id"],
                "client_secret": client["client_secret"],
                "issuer": f"{server}/t/upstream",
            },
        )
        assert "client_secret" not in provider
        assert [p["id"] for p in platform.auth.identity_providers(tenant)] == [provider["id"]]

        binding = secrets.token_urlsafe(24)
        url = platform.auth.federation_start(
            tenant, provider["id"], redirect_uri=REDIRECT, binding=binding, request="/end/"
        )
        query = parse_qs(urlsplit(url).query)
        assert url.startswith(f"{server}/t/upstream/oauth2/authorize")
        assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
        back = parse_qs(urlsplit(_authorize(url)).query)
        state, code = back["state"][0], back["code"][0]

        # Another browser (no or another binding) cannot finish it.
        with pytest.raises(caas.InvalidInput) as refused:
            platform.auth.federation_callback(tenant, provider["id"], state=state, code=code)
        assert refused.value.code == "federation_failed"
        # ... and the state was single use, so the login starts again.
        with pytest.raises(caas.InvalidInput):
            platform.auth.federation_callback(
                tenant, provider["id"], state=state, code=code, binding=binding
            )
        url = platform.auth.federation_start(
            tenant, provider["id"], redirect_uri=REDIRECT, binding=binding, request="/end/"
        )
        back = parse_qs(urlsplit(_authorize(url)).query)
        done = platform.auth.federation_callback(
            tenant,
            provider["id"],
            state=back["state"][0],
            code=back["code"][0],
            binding=binding,
            user_agent="pytest",
        )
        assert done["created"] is True and done["request"] == "/end/"
        claims = platform.tokens.verify(tenant, done["access_token"])
        assert claims.sub == done["user_id"] and "fed" in claims.amr
        assert platform.auth.refresh(tenant, done["refresh_token"])["access_token"]
        # The provider's refusal is shown, not followed.
        with pytest.raises(caas.InvalidInput):
            platform.auth.federation_callback(
                tenant, provider["id"], state="unknown", error="access_denied", binding=binding
            )
        with pytest.raises(caas.InvalidInput):
            platform.auth.federation_start(
                tenant, provider["id"], redirect_uri=REDIRECT, binding="short"
            )
        with pytest.raises(caas.NotFound):
            platform.auth.federation_start(tenant, "nope", redirect_uri=REDIRECT, binding=binding)
