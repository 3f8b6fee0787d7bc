"""Helpers of ``test_services.py``: the gateway served by Hypercorn in a
subprocess, the admin CLI, and a stand-in upstream OIDC issuer."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
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
    """``python -m ksp_platform.services.admin *args``, its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "ksp_platform.services.admin", *args],
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
        [
            sys.executable,
            "-m",
            "hypercorn",
            "ksp_platform.services.gateway:app",
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
                raise RuntimeError(f"hypercorn exited with {proc.returncode}")
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


@contextmanager
def oidc_issuer() -> Iterator[str]:
    """An upstream OIDC issuer that answers discovery (and nothing that
    logs anyone in): enough for ``/auth/login``'s redirect."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://{self.headers['host']}"
            documents: dict[str, Any] = {
                "/.well-known/openid-configuration": {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/authorize",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["EdDSA", "RS256"],
                    "code_challenge_methods_supported": ["S256"],
                },
                "/jwks": {"keys": []},
            }
            found = documents.get(self.path)
            data = json.dumps(found).encode()
            self.send_response(200 if found is not None else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
