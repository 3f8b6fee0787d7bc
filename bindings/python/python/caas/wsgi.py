"""CAAS for WSGI apps (Flask, Bottle, Django, …): :class:`CaasWsgiMiddleware`
makes the checks of :class:`caas.asgi.CaasMiddleware` — same options, same
tenant rules, same problem+json refusals — with the blocking
``TokenVerifier.verify``::

    from caas.wsgi import CaasWsgiMiddleware, current

    app.wsgi_app = CaasWsgiMiddleware(app.wsgi_app, verifier=verifier)  # Flask

    @app.get("/me")
    def me():
        ctx = request.environ["caas"]        # or current()
        return {"sub": ctx.claims.sub if ctx.claims else None}

Bottle: ``application = CaasWsgiMiddleware(bottle.default_app(), verifier=verifier)``.

A ``/t/{slug}`` path prefix moves from ``PATH_INFO`` to ``SCRIPT_NAME``.
The app runs in a context of its own in which :func:`current` returns the
request's :class:`CaasContext`, while it is called and while its response
body is iterated (a streaming generator sees it too); nothing is set in the
server's context, so nothing leaks to the next request. The response is
passed through as the app produces it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Sequence
from http import HTTPStatus
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
    strip_prefix,
    tenant_required,
)
from caas.errors import CaasError

__all__ = ["CaasContext", "CaasWsgiMiddleware", "WSGIApp", "current"]

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
#: A WSGI application.
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class _InContext:
    """The app's response body, iterated in the request's context."""

    def __init__(self, context: contextvars.Context, body: Iterable[bytes]) -> None:
        self._context = context
        self._body = body
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._context.run(iter, self._body)
        return self._context.run(next, self._iterator)

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            self._context.run(close)


class CaasWsgiMiddleware:
    """Verifies the caller and resolves the tenant of each request; the
    options are those of :class:`caas.asgi.CaasMiddleware`."""

    def __init__(
        self,
        app: WSGIApp,
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

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        script_name = environ.get("SCRIPT_NAME", "")
        try:
            ctx, prefix = self._authenticate(environ, path)
        except Refusal as refusal:
            problem = refusal.problem
            body, headers = problem.render(script_name + path)
            start_response(f"{problem.status} {HTTPStatus(problem.status).phrase}", headers)
            return [body]
        inner = dict(environ)
        inner["caas"] = ctx
        if prefix:
            inner["PATH_INFO"] = strip_prefix(path, prefix)
            inner["SCRIPT_NAME"] = script_name + prefix
        context = contextvars.copy_context()
        context.run(_CURRENT.set, ctx)
        return _InContext(context, context.run(self.app, inner, start_response))

    def _authenticate(self, environ: Environ, path: str) -> tuple[CaasContext, str]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME")
        resolved = self.resolver.resolve(environ.get("HTTP_X_TENANT_ID"), host, path)
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        if token is None:
            if self.require_auth:
                raise Refusal(Problem.missing_token())
            return CaasContext(resolved.tenant, None), resolved.prefix
        if resolved.verifier is None:
            raise Refusal(tenant_required())
        try:
            claims = resolved.verifier.verify(token)
        except CaasError as e:
            raise Refusal(Problem.from_error(e)) from e
        tenant = resolved.tenant if self.resolver.verifiers is not None else claims.tenant_id
        return CaasContext(tenant, claims), resolved.prefix
