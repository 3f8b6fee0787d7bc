"""The gateway: every service mounted in one ASGI app, behind
:class:`caas.asgi.CaasMiddleware` (the tenant from ``X-Tenant-ID``, the
subdomain or a ``/t/{slug}`` prefix; bearer tokens checked with the
tenant's verifier).

Serve it with Hypercorn (``python -m hypercorn
ksp_platform.services.gateway:app``); the platform is opened on startup
(lifespan) from the environment (:class:`ksp_platform.common.Settings`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from caas.asgi import CaasMiddleware
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ksp_platform import common
from ksp_platform.services import auth, game, history, ops, privacy, sessions
from ksp_platform.services._http import EXCEPTION_HANDLERS, Runtime

TENANT_SOURCES = ("header", "subdomain", "path")
_PATH_TENANT = re.compile(r"^/t/([^/]+)")


class WarmTenants:
    """Looks up (asynchronously, cached) the tenants a request may name, so
    that ``CaasMiddleware``'s ``verifiers`` function — called synchronously —
    finds them in :class:`Runtime`'s cache. Which one the request names, and
    whether its sources agree, stays the middleware's decision."""

    def __init__(self, app: ASGIApp, runtime: Runtime, domain: str) -> None:
        self.app, self.runtime, self.domain = app, runtime, domain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
            refs = set()
            if header := headers.get(b"x-tenant-id"):
                refs.add(header.strip())
            host = headers.get(b"host", "").rsplit(":", 1)[0].rstrip(".").lower()
            if host.endswith("." + self.domain):
                refs.add(host[: -len(self.domain) - 1])
            if found := _PATH_TENANT.match(scope.get("path", "")):
                refs.add(found.group(1))
            for ref in refs:
                if ref and len(ref) <= 64:
                    await self.runtime.warm(ref)
        await self.app(scope, receive, send)


def create_app(settings: common.Settings | None = None) -> ASGIApp:
    """The gateway; the platform opens when the server starts it
    (``settings`` default: :meth:`ksp_platform.common.Settings.from_env`)."""
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime.settings = runtime.settings or common.Settings.from_env()
        runtime.platform = await runtime.settings.aopen()
        try:
            yield {"ksp": runtime}
        finally:
            await runtime.platform.aclose()
            runtime.platform = None

    routes = [
        Route("/health", ops.health, methods=["GET"]),
        Route("/ready", ops.ready, methods=["GET"]),
        Route("/metrics", ops.metrics, methods=["GET"]),
        Route("/openapi.json", ops.openapi, methods=["GET"], include_in_schema=False),
        Route("/docs", ops.docs, methods=["GET"], include_in_schema=False),
        Mount("/auth", auth.app),
        Mount("/game", game.app),
        Mount("/sessions", sessions.app),
        Mount("/history", history.app),
        Mount("/privacy", privacy.app),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    domain = (settings or common.Settings.from_env()).domain
    guarded = CaasMiddleware(
        app, verifiers=runtime.verifier, tenant=TENANT_SOURCES, base_domain=domain
    )
    return ops.Metrics(WarmTenants(guarded, runtime, domain), routes)


app = create_app()
