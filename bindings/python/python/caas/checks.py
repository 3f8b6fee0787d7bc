"""Route checks: what a route requires of its caller, decided as the CAAS
server decides them (caas-authz ``RouteCheck``), with no web framework.

| check | refusal |
|---|---|
| any (no credentials) | 401 ``missing_token`` |
| ``RouteCheck.scope(s, …)``: a scope missing | 403 ``insufficient_scope`` |
| ``RouteCheck.role(r)``: role not held | 403 ``insufficient_role`` |
| ``RouteCheck.scope_or_role(s, r)``: neither | 403 ``insufficient_scope_or_role`` |
| ``RouteCheck.resource(base, action)``: base role not held | 403 ``base_role_missing`` |
| ``RouteCheck.resource(base, action)``: the engine denies | 403 ``resource_access_denied`` |

Scopes and roles are read from the token's claims. Roles inherit as the
built-in ones do (``owner`` holds ``admin``, ``editor`` and ``viewer``); a
tenant's own roles count as themselves only — their inheritance is known to
the authorization engine, so a route that relies on it should be a
``resource`` check. The resource check asks the engine
(:class:`Platform`, ``platform.authz.acheck_route``)::

    from caas.checks import RouteCheck, decide

    problem = await decide(RouteCheck.resource("editor", "update"), claims,
                           platform=platform, resource=("Game", game_id))
    if problem is not None:
        ...  # refuse with problem.status and problem.body(path)

:mod:`caas.fastapi` wraps these as FastAPI dependencies.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from caas import _caas
from caas._caas import Claims
from caas._web import Problem, held_roles
from caas.errors import CaasError

__all__ = [
    "Platform",
    "RouteAuthorizer",
    "RouteCheck",
    "TenantDirectory",
    "decide",
    "decide_claims",
]


@dataclass(frozen=True)
class RouteCheck:
    """What a route requires; build it with the class methods."""

    #: ``authenticated``, ``scope``, ``role``, ``scope_or_role`` or ``resource``.
    kind: str
    #: The scopes of ``scope`` (all required) or the scope of ``scope_or_role``.
    scopes: tuple[str, ...] = ()
    #: The role of ``role`` and ``scope_or_role``; the base role of ``resource``.
    role_name: str | None = None
    #: The action of ``resource``.
    action: str | None = None

    @classmethod
    def authenticated(cls) -> RouteCheck:
        """Any authenticated caller."""
        return cls("authenticated")

    @classmethod
    def scope(cls, *scopes: str) -> RouteCheck:
        """Credentials carrying every one of ``scopes``."""
        if not scopes:
            raise ValueError("a scope check needs at least one scope")
        return cls("scope", scopes=scopes)

    @classmethod
    def role(cls, role: str) -> RouteCheck:
        """A caller holding the tenant role ``role``."""
        return cls("role", role_name=role)

    @classmethod
    def scope_or_role(cls, scope: str, role: str) -> RouteCheck:
        """The scope, or the role."""
        return cls("scope_or_role", scopes=(scope,), role_name=role)

    @classmethod
    def resource(cls, base_role: str, action: str) -> RouteCheck:
        """A caller holding ``base_role`` whom the engine allows ``action``
        on the route's resource."""
        return cls("resource", role_name=base_role, action=action)

    def __str__(self) -> str:
        if self.kind == "scope":
            return f"scope({', '.join(self.scopes)})"
        if self.kind == "role":
            return f"role({self.role_name})"
        if self.kind == "scope_or_role":
            return f"scope_or_role({self.scopes[0]}, {self.role_name})"
        if self.kind == "resource":
            return f"resource({self.role_name}, {self.action})"
        return self.kind


class RouteAuthorizer(Protocol):
    """The part of the authorization engine a resource check calls
    (``caas.Platform.authz``)."""

    def acheck_route(
        self,
        check: _caas.RouteCheck,
        claims: Claims | None,
        *,
        tenant: _caas.Tenant,
        resource: tuple[str, str] | None = None,
    ) -> Awaitable[None]:
        """Completes when the engine allows the check's action on
        ``resource`` (``(entity_type, id)``) for the caller; raises a
        :class:`caas.errors.CaasError` (403 ``resource_access_denied``, …)
        when it does not."""
        ...


class TenantDirectory(Protocol):
    """Finding the tenant a token belongs to (``caas.Platform.tenants``)."""

    def aget(self, key: str) -> Awaitable[_caas.Tenant]:
        """The tenant with this id or slug."""
        ...


class Platform(Protocol):
    """What a resource check needs of ``caas.Platform``."""

    @property
    def authz(self) -> RouteAuthorizer:
        """The authorization engine."""
        ...

    @property
    def tenants(self) -> TenantDirectory:
        """The tenant registry."""
        ...


def decide_claims(check: RouteCheck, claims: Claims | None) -> Problem | None:
    """The refusal of ``check`` for ``claims`` by the token alone (``None``
    to go on); a ``resource`` check is decided up to its base role."""
    if claims is None:
        return Problem.missing_token()
    scopes = set(claims.scopes)
    if check.kind == "scope" and not scopes.issuperset(check.scopes):
        return Problem.forbidden(
            "insufficient_scope", f"these credentials lack the scope {' '.join(check.scopes)}"
        )
    if check.kind in ("role", "scope_or_role", "resource"):
        holds = check.role_name in held_roles(claims.roles)
        if check.kind == "role" and not holds:
            return Problem.forbidden(
                "insufficient_role", f"this route needs the role `{check.role_name}`"
            )
        if check.kind == "scope_or_role" and not holds and check.scopes[0] not in scopes:
            return Problem.forbidden(
                "insufficient_scope_or_role",
                f"this route needs the scope `{check.scopes[0]}` or the role `{check.role_name}`",
            )
        if check.kind == "resource" and not holds:
            return Problem.forbidden(
                "base_role_missing", f"this route needs the role `{check.role_name}` in the tenant"
            )
    return None


async def decide(
    check: RouteCheck,
    claims: Claims | None,
    *,
    platform: Platform | None = None,
    resource: tuple[str, str] | None = None,
) -> Problem | None:
    """The refusal of ``check`` for ``claims`` (``None`` to go on), asking
    ``platform``'s engine about ``resource`` for a ``resource`` check."""
    problem = decide_claims(check, claims)
    if problem is not None or check.kind != "resource":
        return problem
    assert claims is not None  # decide_claims refuses no claims
    if platform is None or resource is None:
        raise ValueError("a resource check needs `platform` and `resource`")
    try:
        native = _caas.RouteCheck.resource(check.role_name or "", check.action or "")
        tenant = await platform.tenants.aget(claims.tenant_id)
        await platform.authz.acheck_route(native, claims, tenant=tenant, resource=resource)
    except CaasError as e:
        return Problem.from_error(e)
    return None
