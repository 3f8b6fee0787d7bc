"""CAAS for Starlette (and FastAPI): ``request.user``/``request.auth`` from
:class:`caas.asgi.CaasMiddleware`, and refusals as problem+json.

:class:`CaasAuthBackend` is an ``AuthenticationBackend`` that reads what
``CaasMiddleware`` verified (it verifies nothing itself), so Starlette's
``AuthenticationMiddleware`` and ``@requires`` work. ``request.auth.scopes``
holds ``authenticated``, the token's scopes, and ``role:<name>`` for each
tenant role held (built-in inheritance applied)::

    from starlette.applications import Starlette
    from starlette.authentication import requires
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from caas.asgi import CaasMiddleware
    from caas.starlette import CaasAuthBackend, install

    @requires(["authenticated", "games:write"])
    async def create(request):
        return JSONResponse({"by": request.user.identity})

    app = Starlette(routes=[...], middleware=[
        Middleware(CaasMiddleware, verifier=verifier),        # outermost
        Middleware(AuthenticationMiddleware, backend=CaasAuthBackend()),
    ])
    install(app)  # Refused → application/problem+json

``@requires`` refuses with Starlette's plain 403; the server's problem+json
refusals come from :class:`Refused` (raised by :func:`caas.fastapi.require`)
once :func:`install` has registered :func:`problem_response`.
"""

from __future__ import annotations

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp

from caas._caas import Claims
from caas._web import CaasContext, Problem, held_roles
from caas.errors import CaasError

__all__ = ["CaasAuthBackend", "CaasUser", "Refused", "install", "problem_response"]


class Refused(HTTPException):
    """A refusal with the server's problem details.

    It is an ``HTTPException``, so an app without :func:`install` still
    answers with the right status and headers (with Starlette's own body).
    """

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.status, problem.detail, headers=dict(problem.headers) or None)
        self.problem = problem


def instance(conn: HTTPConnection) -> str:
    """The path as the caller sent it (``path`` keeps the mount's
    ``root_path``, a ``/t/{slug}`` prefix included)."""
    return str(conn.scope["path"])


async def problem_response(request: Request, exc: Exception) -> Response:
    """The problem+json response of a :class:`Refused` or of any
    :class:`caas.CaasError` a handler let through (``caas.NotFound`` is
    404 ``not_found`` with its code and field, as the server answers)."""
    if isinstance(exc, Refused):
        problem = exc.problem
    elif isinstance(exc, CaasError):
        problem = Problem.from_error(exc)
    else:
        raise exc
    body, headers = problem.render(instance(request))
    response = Response(body, status_code=problem.status)
    response.headers.update(dict(headers))
    return response


def install(app: ASGIApp) -> None:
    """Registers :func:`problem_response` for :class:`Refused` and
    :class:`caas.CaasError` on a Starlette or FastAPI app."""
    add = getattr(app, "add_exception_handler", None)
    if add is None:
        raise TypeError("install() takes a Starlette or FastAPI app")
    add(Refused, problem_response)
    add(CaasError, problem_response)


def context(conn: HTTPConnection) -> CaasContext:
    """``scope["caas"]``; a ``RuntimeError`` when ``CaasMiddleware`` is missing."""
    ctx = conn.scope.get("caas")
    if not isinstance(ctx, CaasContext):
        raise RuntimeError("no scope['caas']: wrap the app in caas.asgi.CaasMiddleware")
    return ctx


class CaasUser(BaseUser):
    """The caller of a verified token."""

    def __init__(self, claims: Claims) -> None:
        self.claims = claims

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.claims.sub

    @property
    def identity(self) -> str:
        return self.claims.sub


class CaasAuthBackend(AuthenticationBackend):
    """``request.user``/``request.auth`` from ``scope["caas"]``."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        claims = context(conn).claims
        if claims is None:
            return None
        roles = sorted(f"role:{r}" for r in held_roles(claims.roles))
        return AuthCredentials(["authenticated", *claims.scopes, *roles]), CaasUser(claims)
