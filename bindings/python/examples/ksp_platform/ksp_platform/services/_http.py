"""What every service shares: the platform and the tenants the gateway
opened (:class:`Runtime`), the caller, JSON bodies, and CAAS errors as the
server's problem details."""

from __future__ import annotations

import json
import time
from typing import Any

import caas
from caas.asgi import Problem, bearer_token, tenant_required
from caas.starlette import Refused, context, instance
from caas.starlette import problem_response as caas_problem
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from ksp_platform import common

#: How long a tenant (and its verifier) is kept before it is looked up
#: again (a rotated signing key reaches every worker within this), and how
#: long an unknown tenant is remembered as unknown.
TENANT_TTL = 60.0
UNKNOWN_TTL = 5.0
MAX_TENANTS = 10_000


class Runtime:
    """The platform of this worker (opened by the gateway's lifespan) and a
    cache of tenants and their token verifiers."""

    def __init__(self, settings: common.Settings | None) -> None:
        self.settings = settings
        self._platform: caas.Platform | None = None
        self._tenants: dict[str, tuple[float, caas.Tenant | None, caas.TokenVerifier | None]] = {}

    @property
    def platform(self) -> caas.Platform:
        if self._platform is None:
            raise RuntimeError("the platform is not open: the gateway's lifespan has not run")
        return self._platform

    @platform.setter
    def platform(self, platform: caas.Platform | None) -> None:
        self._platform = platform

    async def warm(self, ref: str) -> None:
        """Look tenant ``ref`` (slug or id) up unless it is cached."""
        now = time.monotonic()
        entry: tuple[float, caas.Tenant | None, caas.TokenVerifier | None]
        found = self._tenants.get(ref)
        if found is not None and found[0] > now:
            return
        try:
            tenant = await self.platform.tenants.aget(ref)
            verifier = await self.platform.tokens.averifier(tenant)
            entry = (now + TENANT_TTL, tenant, verifier)
        except (caas.NotFound, caas.InvalidInput):
            entry = (now + UNKNOWN_TTL, None, None)
        if len(self._tenants) >= MAX_TENANTS:
            self._tenants.pop(next(iter(self._tenants)))
        self._tenants[ref] = entry

    def verifier(self, ref: str) -> caas.TokenVerifier | None:
        """The verifier of tenant ``ref`` (for ``CaasMiddleware``; the
        cache only: see :class:`ksp_platform.services.gateway.WarmTenants`)."""
        found = self._tenants.get(ref)
        return None if found is None else found[2]

    def tenant(self, ref: str) -> caas.Tenant:
        found = self._tenants.get(ref)
        if found is None or found[1] is None:
            raise Refused(Problem(404, "not_found", f"tenant `{ref}` not found"))
        return found[1]


def runtime(conn: HTTPConnection) -> Runtime:
    """The gateway's :class:`Runtime` (lifespan state)."""
    found: Runtime = conn.state.ksp
    return found


def platform(conn: HTTPConnection) -> caas.Platform:
    return runtime(conn).platform


def tenant(conn: HTTPConnection) -> caas.Tenant:
    """The tenant the request names (``CaasMiddleware`` resolved it)."""
    ref = context(conn).tenant
    if ref is None:
        raise Refused(tenant_required())
    return runtime(conn).tenant(ref)


def claims(conn: HTTPConnection) -> caas.Claims:
    """The caller's verified claims (signature, expiry, tenant); 401
    ``missing_token`` without a token."""
    found = context(conn).claims
    if found is None:
        raise Refused(Problem.missing_token())
    return found


async def checked_claims(conn: HTTPConnection) -> caas.Claims:
    """The caller's claims checked by the platform, revocation included:
    what credentials are minted from (tickets) and sessions ended with."""
    claims(conn)  # 401 without a token
    token = bearer_token(conn.headers.get("authorization"))
    assert token is not None  # CaasMiddleware verified it
    return await platform(conn).tokens.averify(tenant(conn), token)


async def user_claims(conn: HTTPConnection) -> caas.Claims:
    """:func:`checked_claims` of a signed-up user: a guest has no data to
    manage and cannot file requests (403 ``guests_not_allowed``)."""
    found = await checked_claims(conn)
    if found.kind != "user":
        raise Refused(
            Problem.forbidden("guests_not_allowed", "sign up first: guests have no account")
        )
    return found


async def body(request: Request) -> dict[str, Any]:
    """The JSON object the request carries (``{}`` when it is empty)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refused(Problem.invalid_input("the body is not JSON")) from None
    if not isinstance(data, dict):
        raise Refused(Problem.invalid_input("the body must be a JSON object"))
    return data


def field(data: dict[str, Any], name: str, *, required: bool = True) -> Any:
    """``data[name]``; 400 ``invalid_input`` naming the field when it is
    missing (or not a string, for text fields)."""
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise caas.InvalidInput(f"`{name}` is required (a string)", field=name)
    return value


def ruleset_of(conn: HTTPConnection) -> str:
    ruleset: str = conn.path_params["ruleset"]
    return ruleset


def ok(data: Any, status: int = 200) -> JSONResponse:
    # Answers carry tokens and personal data: never cached.
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


def problem_response(request: Request, problem: Problem) -> Response:
    """``problem`` as the server renders it (``instance``: the path as sent)."""
    data, headers = problem.render(instance(request))
    response = Response(data, status_code=problem.status)
    response.headers.update(dict(headers))
    return response


async def http_problem(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, method not allowed) as problem+json."""
    if not isinstance(exc, HTTPException):
        raise exc
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_input")
    return problem_response(request, Problem(exc.status_code, code, exc.detail))


async def internal(request: Request, exc: Exception) -> Response:
    """Anything else: 500 as the server answers it (the error itself goes
    to the log: Starlette re-raises it to the server)."""
    return problem_response(request, Problem(500, "internal", "Internal error"))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    Exception: internal,
    HTTPException: http_problem,
    Refused: caas_problem,
    caas.CaasError: caas_problem,
}
"""Every service's handlers: refusals and CAAS errors as problem+json."""
