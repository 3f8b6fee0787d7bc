"""What the ASGI and WSGI middleware share: the request context, problem
details as the CAAS server writes them, bearer tokens and tenant resolution.

Nothing here imports a web framework; :mod:`caas.asgi` and :mod:`caas.wsgi`
adapt it to their protocols.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from caas._caas import Claims, TokenVerifier
from caas.errors import CaasError, InvalidToken

__all__ = [
    "BUILTIN_ROLE_INHERITS",
    "CONTENT_TYPE",
    "CaasContext",
    "Problem",
    "TenantResolver",
    "Verifiers",
    "current",
]

#: The media type of problem details.
CONTENT_TYPE = "application/problem+json"

#: What each built-in tenant role inherits (caas-authz ``builtin_roles``):
#: ``owner`` holds ``admin``, which holds ``editor``, which holds ``viewer``.
BUILTIN_ROLE_INHERITS: Mapping[str, tuple[str, ...]] = {
    "viewer": (),
    "editor": ("viewer",),
    "admin": ("editor",),
    "owner": ("admin",),
}

#: The titles of the server's error kinds, by HTTP status.
_TITLES = {
    400: "Invalid input",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    429: "Rate limited",
    503: "Service unavailable",
    500: "Internal error",
}

#: The sources of the tenant, as named in ``tenant=``.
TENANT_SOURCES = ("header", "subdomain", "path")

_SOURCE_NAMES = {
    "header": "the `X-Tenant-ID` header",
    "subdomain": "the subdomain",
    "path": "the /t/{slug} path",
}

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
_UUID_SHAPED = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?")


@dataclass(frozen=True)
class CaasContext:
    """Who calls, for which tenant: ``scope["caas"]`` / ``environ["caas"]``.

    ``tenant`` is the tenant the request named (the slug or id, as sent)
    when the middleware resolves tenants; with a single ``verifier=`` it is
    the token's ``tenant_id`` (or ``None`` without a token). ``claims`` are
    the verified token's claims, or ``None`` when the request carried no
    token.
    """

    tenant: str | None
    claims: Claims | None

    @property
    def principal(self) -> Claims | None:
        """The caller's claims (``None`` when unauthenticated)."""
        return self.claims

    @property
    def authenticated(self) -> bool:
        """Whether the request carried a valid token."""
        return self.claims is not None


_CURRENT: ContextVar[CaasContext | None] = ContextVar("caas_context", default=None)


def current() -> CaasContext | None:
    """The context of the request being handled, or ``None`` outside one.

    Tasks the request starts (``asyncio.create_task``, Starlette background
    tasks) see it too: they copy the context when they are created.
    """
    return _CURRENT.get()


@dataclass(frozen=True)
class Problem:
    """A refusal, rendered as the CAAS server renders it (RFC 9457 plus
    ``code`` and ``field``)."""

    status: int
    code: str
    detail: str
    field: str | None = None
    errors: Any | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        """The title of the status' error kind (``Unauthenticated``, …)."""
        if self.status in _TITLES:
            return _TITLES[self.status]
        return "Invalid input" if 400 <= self.status < 500 else "Internal error"

    def body(self, instance: str | None) -> dict[str, Any]:
        """The JSON body, with the keys in the server's order."""
        body: dict[str, Any] = {
            "type": f"urn:caas:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance is not None:
            body["instance"] = instance
        body["code"] = self.code
        if self.field is not None:
            body["field"] = self.field
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    def render(self, instance: str | None) -> tuple[bytes, list[tuple[str, str]]]:
        """The encoded body and every response header."""
        data = json.dumps(self.body(instance), separators=(",", ":")).encode()
        headers = [
            ("content-type", CONTENT_TYPE),
            ("content-length", str(len(data))),
            *self.headers,
        ]
        return data, headers

    @classmethod
    def from_error(cls, e: CaasError) -> Problem:
        """The problem of a CAAS error; 5xx errors keep only their title,
        as the server's do, and 401s carry the RFC 6750 challenge."""
        if e.status >= 500:
            title = cls(e.status, e.code, "").title
            return cls(e.status, e.code, title)
        headers: tuple[tuple[str, str], ...] = ()
        if e.status == 401:
            headers = (("www-authenticate", challenge(e.code, e.message)),)
        return cls(e.status, e.code, e.message, e.field, e.detail, headers)

    @classmethod
    def missing_token(cls) -> Problem:
        """401 ``missing_token``, the server's words."""
        return cls.from_error(
            InvalidToken(
                "this route needs credentials: send `Authorization: Bearer <token>`",
                code="missing_token",
            )
        )

    @classmethod
    def forbidden(cls, code: str, detail: str) -> Problem:
        """403 with ``code``."""
        return cls(403, code, detail)

    @classmethod
    def invalid_input(cls, detail: str, code: str = "invalid_input") -> Problem:
        """400 with ``code``."""
        return cls(400, code, detail)


def challenge(code: str, message: str) -> str:
    """The ``WWW-Authenticate`` value of a 401: none of RFC 6750's error
    attributes when no credentials were sent (``missing_token``)."""
    if code == "missing_token":
        return 'Bearer realm="caas"'
    # error_description is limited to printable ASCII without `"` and `\`.
    description = "".join(c if " " <= c <= "~" and c not in '"\\' else "'" for c in message)
    return f'Bearer realm="caas", error="invalid_token", error_description="{description}"'


class Refusal(Exception):
    """Raised inside the middleware to answer with ``problem``."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme
    in any case); ``None`` when there is no header or another scheme (Basic
    stays the app's). An empty bearer token is a 401 ``invalid_token``."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token or " " in token:
        raise Refusal(Problem.from_error(InvalidToken("the bearer token is empty or malformed")))
    return token


#: A verifier per tenant: a mapping from the tenant's slug or id (as
#: requests name it) to its verifier, or a function that returns it (or
#: ``None`` for an unknown tenant).
Verifiers = Union[Mapping[str, TokenVerifier], Callable[[str], Optional[TokenVerifier]]]


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID (a tenant id rather than a slug)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _check_ref(value: str, source: str) -> str:
    """A tenant reference (id or slug) as the server's resolver accepts it."""
    if is_uuid(value) or (_SLUG.match(value) and not _UUID_SHAPED.match(value)):
        return value
    shown = value if len(value) <= 64 else value[:64] + "…"
    raise Refusal(
        Problem.invalid_input(
            f"{_SOURCE_NAMES[source]} holds `{shown}`, which is not a tenant id or slug"
        )
    )


@dataclass(frozen=True)
class Resolved:
    """The outcome of tenant resolution for one request."""

    tenant: str | None
    verifier: TokenVerifier | None
    #: ``/t/{slug}`` when the path named the tenant (stripped from the path).
    prefix: str = ""


class TenantResolver:
    """Finds the tenant of a request and its verifier, in the order of
    ``sources``; see :class:`caas.asgi.CaasMiddleware` for the rules."""

    def __init__(
        self,
        *,
        verifier: TokenVerifier | None,
        verifiers: Verifiers | None,
        sources: Sequence[str],
        base_domain: str | None,
    ) -> None:
        if (verifier is None) == (verifiers is None):
            raise ValueError("give exactly one of `verifier` and `verifiers`")
        sources = tuple(sources)
        for source in sources:
            if source not in TENANT_SOURCES:
                raise ValueError(
                    f"`{source}` is not a tenant source; use {', '.join(TENANT_SOURCES)}"
                )
        if verifier is not None and sources:
            raise ValueError(
                "one `verifier` serves one tenant: resolving tenants needs `verifiers`"
            )
        if verifiers is not None and not sources:
            raise ValueError("`verifiers` needs at least one tenant source in `tenant`")
        if "subdomain" in sources and not base_domain:
            raise ValueError("tenant resolution by subdomain needs `base_domain`")
        self.verifier = verifier
        self.verifiers = verifiers
        self.sources = sources
        self.base_domain = base_domain.strip().rstrip(".").lower() if base_domain else None

    def _lookup(self, ref: str) -> TokenVerifier | None:
        if self.verifiers is None:
            return None
        if isinstance(self.verifiers, Mapping):
            return self.verifiers.get(ref)
        return self.verifiers(ref)

    def _extract(self, source: str, header: str | None, host: str | None, path: str) -> str | None:
        if source == "header":
            return None if header is None else _check_ref(header.strip(), source)
        if source == "subdomain":
            if host is None or self.base_domain is None:
                return None
            host = host.strip()
            if not host.startswith("["):
                host = host.rsplit(":", 1)[0]
            host = host.rstrip(".").lower()
            if not host.endswith("." + self.base_domain):
                return None
            label = host[: -len(self.base_domain) - 1]
            if "." in label:
                raise Refusal(
                    Problem.invalid_input(
                        f"host `{host}` is not a tenant subdomain of `{self.base_domain}`"
                    )
                )
            return _check_ref(label, source)
        if not path.startswith("/t/"):
            return None
        return _check_ref(path[3:].split("/", 1)[0], source)

    def resolve(self, header: str | None, host: str | None, path: str) -> Resolved:
        """The tenant the request names, or a :class:`Refusal`: 400 for a
        malformed reference or sources that disagree, 404
        ``not_found`` (as the server answers) for a tenant without a verifier."""
        if self.verifier is not None:
            return Resolved(None, self.verifier)
        named = [
            (source, ref)
            for source in self.sources
            if (ref := self._extract(source, header, host, path)) is not None
        ]
        if not named:
            return Resolved(None, None)
        found = [(source, ref, self._lookup(ref)) for source, ref in named]
        first_source, first_ref, first = found[0]
        for source, ref, verifier in found[1:]:
            same = verifier is first if first is not None else ref == first_ref
            if not same:
                raise Refusal(
                    Problem.invalid_input(
                        f"{_SOURCE_NAMES[first_source]} names tenant `{first_ref}` "
                        f"but {_SOURCE_NAMES[source]} names `{ref}`"
                    )
                )
        if first is None:
            raise Refusal(
                Problem(
                    404,
                    "not_found",
                    f"tenant `{first_ref}` (from {_SOURCE_NAMES[first_source]}) not found",
                )
            )
        prefix = f"/t/{path[3:].split('/', 1)[0]}" if "path" in dict(named) else ""
        return Resolved(first_ref, first, prefix)


def tenant_required() -> Problem:
    """400 ``tenant_required``: a token but no tenant to check it for."""
    return Problem.invalid_input(
        "this route acts in a tenant: name it with the `X-Tenant-ID` header or a `/t/{slug}` path",
        code="tenant_required",
    )


def strip_prefix(path: str, prefix: str) -> str:
    """``path`` without the tenant's ``/t/{slug}`` (``/`` when nothing is left)."""
    rest = path[len(prefix) :]
    return rest if rest.startswith("/") else "/" + rest


def strip_raw_prefix(raw: str, prefix: str) -> str | None:
    """``raw`` (a percent-encoded ``raw_path``) without its first two
    segments when they spell ``prefix`` once decoded; ``None`` when they do
    not (the caller refuses: the app must not see a ``raw_path`` naming
    another route than ``path``)."""
    parts = raw.split("/", 3)
    if (
        len(parts) < 3
        or parts[0] != ""
        or urllib.parse.unquote(f"/{parts[1]}/{parts[2]}") != prefix
    ):
        return None
    rest = parts[3] if len(parts) == 4 else ""
    return "/" + rest


def held_roles(roles: Iterable[str]) -> set[str]:
    """``roles`` with the built-in roles they inherit (``owner`` holds
    ``admin``, ``editor`` and ``viewer``). A tenant's own roles count as
    themselves only: their inheritance is known to the engine, not the token."""
    held: set[str] = set()
    todo = list(roles)
    while todo:
        role = todo.pop()
        if role not in held:
            held.add(role)
            todo.extend(BUILTIN_ROLE_INHERITS.get(role, ()))
    return held
