"""Helpers of ``test_services.py``: the gateway served by Hypercorn in a
subprocess, the admin CLI, and a stand-in upstream OIDC provider (PyJWT
signs its ID tokens)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


class Upstream:
    """A stand-in upstream OpenID Connect provider: discovery, JWKS, an
    authorize endpoint that logs ``user`` in at once (answering the
    ``redirect_uri`` with a code), and a token endpoint that checks PKCE and
    answers an EdDSA-signed ID token."""

    def __init__(self, user: dict[str, Any]) -> None:
        self.user = user
        self.codes: dict[str, dict[str, str]] = {}
        self.base = ""
        self._key: Any = None

    @property
    def key(self) -> Any:
        """The signing key (made when first needed: only a login needs
        ``cryptography`` and PyJWT)."""
        if self._key is None:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            self._key = Ed25519PrivateKey.generate()
        return self._key

    def jwks(self) -> dict[str, Any]:
        from jwt.algorithms import OKPAlgorithm

        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "up-1", "use": "sig", "alg": "EdDSA"}]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "jwks_uri": f"{self.base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["EdDSA"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes next: the redirect URI with a code."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        answer = urllib.parse.urlencode({"code": code, "state": query["state"]})
        return f"{query['redirect_uri']}?{answer}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        import jwt

        asked = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if asked is None or challenge.decode() != asked["code_challenge"]:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {
            "iss": self.base,
            "aud": asked["client_id"],
            "iat": now,
            "exp": now + 300,
            "nonce": asked["nonce"],
            **self.user,
        }
        id_token = jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": "up-1"})
        return 200, {"access_token": "upstream", "token_type": "Bearer", "id_token": id_token}


@contextmanager
def oidc_issuer(user: dict[str, Any] | None = None) -> Iterator[Upstream]:
    """:class:`Upstream` served on a free port until the block ends."""
    upstream = Upstream(user or {"sub": "upstream-1"})

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, body: Any = None, location: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            if location is not None:
                self.send_header("location", location)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/authorize":
                query = dict(urllib.parse.parse_qsl(url.query))
                self.answer(302, location=upstream.authorize(query))
            elif url.path == "/.well-known/openid-configuration":
                self.answer(200, upstream.discovery())
            elif url.path == "/jwks":
                self.answer(200, upstream.jwks())
            else:
                self.answer(404, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            self.answer(*upstream.token(form))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    upstream.base = f"http://127.0.0.1:{server.server_address[1]!s}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
