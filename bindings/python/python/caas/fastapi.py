"""CAAS route checks as FastAPI dependencies.

:func:`require` makes a dependency that hands the route the caller's
:class:`caas.Claims`, or refuses with the CAAS server's problem+json (see
:mod:`caas.checks` for the codes). The app is wrapped in
:class:`caas.asgi.CaasMiddleware`, which verifies the token, and
:func:`install` registers the problem+json handler::

    from fastapi import Depends, FastAPI
    from caas.asgi import CaasMiddleware
    from caas.fastapi import install, require

    api = FastAPI()
    install(api)  # without it a refusal keeps its status but has FastAPI's body

    @api.get("/games", dependencies=[Depends(require(scope="games:read"))])
    async def games(): ...

    @api.put("/games/{game_id}")
    async def update(game_id: str,
                     claims=Depends(require(resource=("editor", "update"),
                                            resource_id="game_id", resource_type="Game",
                                            platform=platform))): ...

    app = CaasMiddleware(api, verifier=verifier)

``require()`` alone requires an authenticated caller; ``scope=`` takes one
scope or several (all required); ``role=``, ``scope_or_role=(scope, role)``
and ``resource=(base_role, action)`` as in the server. A resource check
takes its id from the path parameter ``resource_id`` and asks
``platform.authz.acheck_route`` (:class:`caas.checks.Platform`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Callable

from fastapi import Request

from caas._caas import Claims
from caas.checks import Platform, RouteCheck, decide
from caas.starlette import Refused, context, install, problem_response

__all__ = ["Refused", "install", "problem_response", "require"]


def require(
    *,
    scope: str | Sequence[str] | None = None,
    role: str | None = None,
    scope_or_role: tuple[str, str] | None = None,
    resource: tuple[str, str] | None = None,
    resource_id: str | None = None,
    resource_type: str | None = None,
    platform: Platform | None = None,
) -> Callable[[Request], Awaitable[Claims]]:
    """A dependency that checks the caller and returns their claims; give
    at most one of ``scope``, ``role``, ``scope_or_role`` and ``resource``."""
    given = [x for x in (scope, role, scope_or_role, resource) if x is not None]
    if len(given) > 1:
        raise ValueError("give one of `scope`, `role`, `scope_or_role` and `resource`")
    if scope is not None:
        check = RouteCheck.scope(*([scope] if isinstance(scope, str) else scope))
    elif role is not None:
        check = RouteCheck.role(role)
    elif scope_or_role is not None:
        check = RouteCheck.scope_or_role(*scope_or_role)
    elif resource is not None:
        if resource_id is None or resource_type is None or platform is None:
            raise ValueError("a resource check needs `resource_id`, `resource_type` and `platform`")
        check = RouteCheck.resource(*resource)
    else:
        check = RouteCheck.authenticated()
    param, entity_type = resource_id, resource_type

    async def dependency(request: Request) -> Claims:
        claims = context(request).claims
        target = None
        if param is not None and entity_type is not None:
            target = (entity_type, str(request.path_params[param]))
        problem = await decide(check, claims, platform=platform, resource=target)
        if problem is not None:
            raise Refused(problem)
        assert claims is not None  # decide refuses no claims
        return claims

    dependency.__name__ = f"require_{check.kind}"
    return dependency
