"""Operations: liveness, readiness, Prometheus metrics, and the API's
description (``/openapi.json`` from the handlers' docstrings, ``/docs`` a
plain HTML list of the operations — no scripts from a CDN)."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.schemas import SchemaGenerator
from starlette.types import ASGIApp, Receive, Scope, Send

from ksp_platform.services._http import platform

SCHEMAS = SchemaGenerator(
    {"openapi": "3.0.0", "info": {"title": "KSP platform services", "version": "1.0.0"}}
)

REGISTRY = CollectorRegistry()
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter(
    "ksp_http_requests", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "ksp_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
)

_TENANT_PREFIX = re.compile(r"^/t/[^/]+(?=/|$)")


async def health(request: Request) -> Response:
    """Liveness: the process answers.

    ---
    summary: Liveness
    responses:
      200: {description: alive}
    """
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    """Readiness: the platform (database) answers.

    ---
    summary: Readiness
    responses:
      200: {description: ready}
      503: {description: the platform does not answer}
    """
    await platform(request).tenants.alist(limit=1)
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests and latency per route.

    ---
    summary: Metrics
    responses:
      200: {description: Prometheus text format}
    """
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def operations(request: Request) -> dict[str, Any]:
    schema: dict[str, Any] = SCHEMAS.get_schema(routes=request.app.routes)
    return schema


async def openapi(request: Request) -> Response:
    """The OpenAPI description of every route.

    ---
    summary: OpenAPI
    responses:
      200: {description: OpenAPI 3.0}
    """
    return JSONResponse(operations(request))


async def docs(request: Request) -> Response:
    """The operations, as a page.

    ---
    summary: Docs
    responses:
      200: {description: HTML}
    """
    rows = "".join(
        f"<tr><td>{html.escape(method.upper())}</td><td><code>{html.escape(path)}</code></td>"
        f"<td>{html.escape(str(op.get('summary', '')))}</td></tr>"
        for path, ops in sorted(operations(request).get("paths", {}).items())
        for method, op in ops.items()
    )
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>KSP platform API</title>"
        "<h1>KSP platform API</h1><p>Name the tenant with <code>X-Tenant-ID</code>, "
        "its subdomain or a <code>/t/{slug}</code> prefix; "
        '<a href="openapi.json">openapi.json</a></p>'
        f"<table><tr><th>method</th><th>path</th><th>summary</th></tr>{rows}</table>"
    )


def _template(routes: list[BaseRoute], scope: Scope, prefix: str = "") -> str | None:
    for route in routes:
        match, child = route.matches(scope)
        if match != Match.FULL:
            continue
        if isinstance(route, Mount):
            return _template(route.routes, dict(scope, **child), prefix + route.path)
        if isinstance(route, Route):
            return prefix + route.path
    return None


class Metrics:
    """Counts requests and their latency per route template (``/t/{slug}``
    removed, unknown paths as ``unmatched``: the label set stays small)."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _TENANT_PREFIX.sub("", scope["path"]) or "/"
        route = _template(self.routes, dict(scope, path=path, root_path="")) or "unmatched"
        status = 500
        started = time.perf_counter()

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # A bounded label set: any token is a valid HTTP method.
            method = scope["method"] if scope["method"] in METHODS else "other"
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
            REQUESTS.labels(method, route, str(status)).inc()
