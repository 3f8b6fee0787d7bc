"""CAAS for ASGI apps: :class:`CaasMiddleware` verifies the bearer token of
every HTTP and WebSocket request and tells the app who calls.

A pure ASGI middleware (it streams responses through untouched; nothing is
buffered) that works under any ASGI framework — Starlette, FastAPI,
Quart, a bare app::

    from caas import TokenVerifier
    from caas.asgi import CaasMiddleware, current

    verifier = TokenVerifier.from_jwks(issuer, "games", jwks, tenant_id=tenant_id)
    app = CaasMiddleware(app, verifier=verifier)

    async def handler(scope, receive, send):
        ctx = scope["caas"]          # or current(), anywhere in the request
        if ctx.claims is not None:
            print(ctx.claims.sub, ctx.claims.scopes)

Several tenants: give one verifier per tenant (each built with its
``tenant_id=``, so a token of another tenant is refused 401
``invalid_tenant``) and say where requests name their tenant::

    app = CaasMiddleware(
        app,
        verifiers={"acme": acme_verifier, "globex": globex_verifier},  # or a function
        tenant=("header", "subdomain", "path"),
        base_domain="example.com",
    )

The rules, as the CAAS server applies them:

* The tenant sources are tried in the order of ``tenant=``: ``header`` is
  ``X-Tenant-ID`` (a slug or a UUID), ``subdomain`` the first label of
  ``Host`` under ``base_domain`` (``acme.example.com``), ``path`` a
  ``/t/{slug}/…`` prefix. Sources that name different tenants are 400
  ``invalid_input``; a tenant ``verifiers`` does not know is 404
  ``not_found`` (as the server); a request that names none goes on with
  ``tenant=None`` (and a token on it is 400 ``tenant_required``: there is
  no verifier to check it with). The keys of ``verifiers`` are what
  requests send: map both the slug and the id if both are used.
* A path prefix mounts the app there: ``/t/acme/v1/games`` reaches it with
  ``root_path`` extended by ``/t/acme`` and ``path`` kept whole, as the
  ASGI spec reads since 2023 (uvicorn, Hypercorn, Starlette): Starlette
  routes on ``/v1/games`` — inside a ``Mount`` too — and ``url_for`` and
  ``request.url`` keep the prefix. (WSGI apps get PEP 3333's split:
  ``SCRIPT_NAME=/t/acme``, ``PATH_INFO=/v1/games``.)
* ``Authorization: Bearer <token>`` (any case of ``Bearer``). Without one
  the request goes on unauthenticated (``claims is None``), unless
  ``require_auth=True``: then 401 ``missing_token``. A token that fails
  verification is always 401, with the verifier's code (``token_expired``,
  ``invalid_tenant``, ``invalid_signature``, …) and
  ``WWW-Authenticate: Bearer realm="caas", error="invalid_token",
  error_description="…"`` (RFC 6750).
* Refusals are ``application/problem+json`` with the server's fields:
  ``type`` (``urn:caas:problem:<code>``), ``title``, ``status``,
  ``detail``, ``instance`` (the path as sent), ``code`` and ``field`` when
  there is one.
* WebSocket handshakes are checked the same way. A refusal is sent as the
  HTTP response above when the server offers the ``websocket.http.response``
  extension; otherwise the handshake is closed with code ``4000 + status``
  (``4401``, ``4403``, ``4404``, ``4400``) and the problem's ``code`` as
  the reason. ``lifespan`` (and any other scope type) passes through.

``scope["caas"]`` is a :class:`CaasContext`; :func:`current` returns the
same during the request (and in tasks it starts), and ``None`` after.
Route checks (scopes, roles, resources) are in :mod:`caas.fastapi`; the
Starlette ``AuthenticationBackend`` is :class:`caas.starlette.CaasAuthBackend`.
"""

from __future__ import annotations

from collections.abc import Awaitable, MutableMapping, Sequence
from typing import Any, Callable

from caas._caas import TokenVerifier
from caas._web import (
    _CURRENT,
    CaasContext,
    Problem,
    Refusal,
    TenantResolver,
    Verifiers,
    bearer_token,
    current,
    strip_raw_prefix,
    tenant_required,
)
from caas.errors import CaasError

__all__ = [
    "ASGIApp",
    "CaasContext",
    "CaasMiddleware",
    "Problem",
    "bearer_token",
    "current",
    "tenant_required",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: An ASGI 3 application.
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class CaasMiddleware:
    """Verifies the caller and resolves the tenant of each request; see the
    module documentation for the rules.

    :param app: the ASGI app to wrap.
    :param verifier: the verifier of the one tenant this app serves.
    :param verifiers: instead, a verifier per tenant (a mapping from slug or
        id, or a function returning ``None`` for an unknown tenant).
    :param tenant: where requests name their tenant, in order (with
        ``verifiers`` only).
    :param base_domain: the domain under which ``subdomain`` finds slugs.
    :param require_auth: refuse requests without a token (401).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: TokenVerifier | None = None,
        verifiers: Verifiers | None = None,
        tenant: Sequence[str] = (),
        base_domain: str | None = None,
        require_auth: bool = False,
    ) -> None:
        self.app = app
        self.resolver = TenantResolver(
            verifier=verifier, verifiers=verifiers, sources=tenant, base_domain=base_domain
        )
        self.require_auth = require_auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "/")
        try:
            ctx, prefix = await self._authenticate(scope, path)
        except Refusal as refusal:
            await self._refuse(scope, receive, send, refusal.problem, path)
            return
        inner = dict(scope)
        inner["caas"] = ctx
        if prefix:
            raw = scope.get("raw_path")
            if raw is not None and strip_raw_prefix(raw.decode("latin-1"), prefix) is None:
                problem = Problem.invalid_input(
                    "the tenant prefix of the path is percent-encoded; send `/t/{slug}` as is"
                )
                await self._refuse(scope, receive, send, problem, path)
                return
            # The app is mounted at the prefix: `root_path` names it and
            # `path` keeps it, as the ASGI spec reads since 2023 (uvicorn,
            # Starlette's routing and `Mount`).
            inner["root_path"] = scope.get("root_path", "") + prefix
        token = _CURRENT.set(ctx)
        try:
            await self.app(inner, receive, send)
        finally:
            _CURRENT.reset(token)

    async def _authenticate(self, scope: Scope, path: str) -> tuple[CaasContext, str]:
        host = _header(scope, b"host")
        if host is None and scope.get("server"):
            host = str(scope["server"][0])
        resolved = self.resolver.resolve(_header(scope, b"x-tenant-id"), host, path)
        token = bearer_token(_header(scope, b"authorization"))
        if token is None:
            if self.require_auth:
                raise Refusal(Problem.missing_token())
            return CaasContext(resolved.tenant, None), resolved.prefix
        if resolved.verifier is None:
            raise Refusal(tenant_required())
        try:
            claims = await resolved.verifier.averify(token)
        except CaasError as e:
            raise Refusal(Problem.from_error(e)) from e
        tenant = resolved.tenant if self.resolver.verifiers is not None else claims.tenant_id
        return CaasContext(tenant, claims), resolved.prefix

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, problem: Problem, instance: str
    ) -> None:
        body, headers = problem.render(instance)
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        if scope["type"] == "http":
            await send(
                {"type": "http.response.start", "status": problem.status, "headers": raw_headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        # A WebSocket handshake: wait for it, then deny.
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if "websocket.http.response" in scope.get("extensions", {}):
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": problem.status,
                    "headers": raw_headers,
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send(
                {"type": "websocket.close", "code": 4000 + problem.status, "reason": problem.code}
            )
