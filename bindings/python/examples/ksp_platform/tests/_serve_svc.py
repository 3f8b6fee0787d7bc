"""Helpers of ``test_services.py``: the gateway served by Hypercorn in a
subprocess, the admin CLI, and a real ``caas-server`` (``CAAS_SERVER_BIN``)
as the tenants' upstream OpenID provider — its admin API makes a tenant, a
user and our OAuth client; :func:`authorize` follows its login and consent
pages like a browser."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

#: The directory holding the ``ksp_platform`` package.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long and unusual passphrase"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(**ksp: str) -> dict[str, str]:
    """The process environment with ``ksp`` (``KSP_…`` names) and the
    package importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KSP_")}
    path = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    return {**env, "PYTHONPATH": path, **ksp}


def admin(env: dict[str, str], *args: str) -> Any:
    """``python -m ksp_platform.admin *args``, its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "ksp_platform.admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@contextmanager
def serve(env: dict[str, str], port: int, *, workers: int = 1) -> Iterator[str]:
    """Hypercorn serving the gateway on ``port`` until the block ends."""
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        # The README's command.
        [
            sys.executable,
            "-m",
            "ksp_platform",
            "services",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- a real caas-server as the upstream OpenID provider ----------------------

#: The admin key of :func:`caas_server`.
ADMIN_KEY = "an-admin-key-of-at-least-32-characters-for-tests"


@contextmanager
def caas_server(binary: str) -> Iterator[str]:
    """``binary serve`` (a ``caas-server``) on SQLite in memory with
    :data:`ADMIN_KEY`, on a free port until the block ends: its base URL."""
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
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"caas-server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("caas-server did not start")
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Upstream:
    """A tenant of a running ``caas-server``: its issuer, a user who can log
    in there, and a confidential OAuth client of ours."""

    issuer: str
    login: str
    email: str
    client_id: str
    client_secret: str
    redirect_uri: str


def upstream_tenant(server: str, slug: str, redirect_uri: str) -> Upstream:
    """Creates tenant ``slug`` of ``server`` (admin API) with a user and a
    confidential client whose only redirect URI is ``redirect_uri``."""
    made = httpx.post(
        f"{server}/v1/admin/tenants",
        headers={"authorization": f"Bearer {ADMIN_KEY}"},
        json={
            "slug": slug,
            "name": "Upstream",
            "admin": {"email": "boss@up.example", "password": PASSWORD},
        },
    )
    assert made.status_code == 201, made.text
    head = {"x-tenant-id": slug}
    logged_in = httpx.post(
        f"{server}/v1/auth/login",
        headers=head,
        json={"login": "boss@up.example", "password": PASSWORD},
    )
    assert logged_in.status_code == 200, logged_in.text
    head["authorization"] = f"Bearer {logged_in.json()['access_token']}"
    user = httpx.post(
        f"{server}/v1/users",
        headers=head,
        json={
            "email": "zoe@up.example",
            "username": "zoe",
            "display_name": "Zoe",
            "password": PASSWORD,
            # The provider vouches for the address (its ID tokens say so).
            "attributes": {"email_verified": True},
        },
    )
    assert user.status_code == 201, user.text
    client = httpx.post(
        f"{server}/v1/oauth/clients",
        headers=head,
        json={
            "name": "KSP",
            "client_type": "confidential",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code"],
        },
    )
    assert client.status_code == 201, client.text
    body = client.json()
    return Upstream(
        issuer=f"{server}/t/{slug}",
        login="zoe",
        email="zoe@up.example",
        client_id=body["id"],
        client_secret=body["client_secret"],
        redirect_uri=redirect_uri,
    )


def authorize(upstream: Upstream, url: str, *, decision: str = "allow") -> str:
    """A browser of its own following the provider's pages from ``url`` (the
    authorize URL): logs the user in, answers the consent page with
    ``decision`` (``allow`` or ``deny``), and returns the URL the provider
    sends it back to (``upstream.redirect_uri`` with a code or an error)."""

    def hidden(html: str, name: str) -> str | None:
        found = re.search(f'name="{name}" value="([^"]*)"', html)
        return found[1] if found else None

    consented = False
    with httpx.Client(headers={"accept-language": "en"}, timeout=10) as browser:
        page = browser.get(url)
        for _ in range(10):
            if page.status_code in (302, 303):
                location = urllib.parse.urljoin(str(page.url), page.headers["location"])
                if location.startswith(f"{upstream.redirect_uri}?"):
                    assert consented or decision == "allow", "no consent page to deny"
                    return location
                page = browser.get(location)
                continue
            assert page.status_code == 200, page.text[:300]
            form = {"csrf": hidden(page.text, "csrf"), "request": hidden(page.text, "request")}
            base = str(page.url).split("/oauth2/")[0]
            if 'name="password"' in page.text:
                login = {"login": upstream.login, "password": PASSWORD}
                page = browser.post(f"{base}/oauth2/login", data={**form, **login})
            else:
                assert 'name="decision"' in page.text, page.text[:300]
                consented = True
                page = browser.post(f"{base}/oauth2/consent", data={**form, "decision": decision})
    raise AssertionError("the provider did not send the browser back")
