"""What both forms share: the platform opened from the environment, the
tenant's setup (the subscribers role, the game's consent purposes), and the
original's weapon numbering.

Configuration (environment variables, so that every Hypercorn worker reads
the same):

``KSP_DATABASE_URL``
    ``sqlite://…`` or ``postgres://…``; default: the SQLite file in
    ``KSP_DATA_DIR``.
``KSP_DATABASE_SCHEMA``
    A PostgreSQL schema (several deployments or test runs in one database).
``KSP_REDIS_URL``
    Redis for sessions, live games and the event bus; without it they are
    in-process (one worker only).
``KSP_MASTER_KEY_FILE`` / ``KSP_MASTER_KEY``
    The platform master key; the embedded default generates one in
    ``KSP_DATA_DIR``. Several workers need a configured key.
``KSP_DATA_DIR``
    Default ``ksp-data``.
``KSP_TENANT``
    The monolith's tenant (slug, default ``ksp``).
``KSP_PUBLIC_URL``
    Where clients reach the app (the token issuer is
    ``{KSP_PUBLIC_URL}/t/{slug}``).
``KSP_BASE_DOMAIN``
    The services: the domain under which tenants are subdomains (default:
    the host of ``KSP_PUBLIC_URL``, so ``acme.localhost``).
``KSP_REDIS_PREFIX``
    The prefix of every Redis key (deployments sharing a Redis need their
    own; default ``caas``).
``KSP_TICKET_TTL``
    Seconds a one-time ticket stays redeemable (1 to 600; default 60).
``KSP_FEDERATION_ALLOW_PRIVATE_ISSUERS``
    ``1`` lets tenants' upstream identity providers live on private or
    loopback addresses (development, a provider inside the cluster).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import caas

SUBSCRIBERS = "subscribers"
"""The role that was the LDAP group ``subscribers``: only its holders'
matches are kept in the history."""

KEEP_HISTORY = "keep_history"
"""The action the subscribers role permits (a Cedar policy of the role)."""

GAME_HISTORY = "game_history"
"""caas-game's data category: what ``/brisi_ksp/`` erases."""

WEAPONS: dict[str, tuple[str, ...]] = {
    "ksp": ("rock", "scissors", "paper"),
    # The original's order (model.MOZNOSTI_2): Kamen, Škarje, Papir, Voda,
    # Ogenj — so 3 is water and 4 is fire, whatever order caas-game lists.
    "kspov": ("rock", "scissors", "paper", "water", "fire"),
}
"""The weapons by the original's form number ``orozje``."""


def weapon(ruleset: str, orozje: str | None) -> str:
    """The weapon the form number ``orozje`` names in ``ruleset``.

    Raises :class:`caas.InvalidInput` naming the field ``orozje`` for
    anything else (a missing field, text, a number out of range).
    """
    names = WEAPONS[ruleset]
    if orozje is None or not re.fullmatch(r"[0-9]", orozje) or int(orozje) >= len(names):
        raise caas.InvalidInput(
            f"`orozje` must be a number from 0 to {len(names) - 1}",
            code="invalid_weapon",
            field="orozje",
        )
    return names[int(orozje)]


@dataclass(frozen=True)
class Settings:
    """Where the platform lives (see the module's documentation)."""

    database_url: str | None = None
    database_schema: str | None = None
    redis_url: str | None = None
    master_key: str | None = None
    master_key_file: str | None = None
    data_dir: str = "ksp-data"
    tenant: str = "ksp"
    public_url: str = "http://localhost:8000"
    base_domain: str | None = None
    redis_prefix: str | None = None
    ticket_ttl: float | None = None
    federation_allow_private_issuers: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """The settings in ``env`` (default: ``os.environ``)."""
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            database_url=get("KSP_DATABASE_URL"),
            database_schema=get("KSP_DATABASE_SCHEMA"),
            redis_url=get("KSP_REDIS_URL"),
            master_key=get("KSP_MASTER_KEY"),
            master_key_file=get("KSP_MASTER_KEY_FILE"),
            data_dir=get("KSP_DATA_DIR") or cls.data_dir,
            tenant=get("KSP_TENANT") or cls.tenant,
            public_url=get("KSP_PUBLIC_URL") or cls.public_url,
            base_domain=get("KSP_BASE_DOMAIN"),
            redis_prefix=get("KSP_REDIS_PREFIX"),
            ticket_ttl=float(ttl) if (ttl := get("KSP_TICKET_TTL")) else None,
            federation_allow_private_issuers=get("KSP_FEDERATION_ALLOW_PRIVATE_ISSUERS") == "1",
        )

    @property
    def domain(self) -> str:
        """The domain tenants are subdomains of."""
        return self.base_domain or urllib.parse.urlsplit(self.public_url).hostname or "localhost"

    def _options(self) -> dict[str, Any]:
        return {
            "database_schema": self.database_schema,
            "redis_url": self.redis_url,
            "redis_prefix": self.redis_prefix,
            "master_key": self.master_key,
            "master_key_file": self.master_key_file,
            "data_dir": self.data_dir,
            "public_url": self.public_url,
            "ticket_ttl": self.ticket_ttl,
            "federation_allow_private_issuers": self.federation_allow_private_issuers,
        }

    def open(self) -> caas.Platform:
        """The platform (migrated)."""
        return caas.Platform.open(self.database_url, **self._options())

    async def aopen(self) -> caas.Platform:
        """The platform (migrated), from asyncio."""
        return await caas.Platform.aopen(self.database_url, **self._options())


TENANT_SETTINGS: dict[str, Any] = {
    "extensions": {"auth": {"allow_registration": True, "allow_guests": True}}
}

PURPOSES: tuple[dict[str, Any], ...] = (
    {
        "id": "game_history",
        "description": "Keep your finished matches so you can see your history and statistics",
        "legal_basis": "contract",
        "categories": [GAME_HISTORY],
        "retention": "until you delete your history or your account",
    },
    {
        "id": "game_statistics",
        "description": "Use your matches in the tenant's anonymous game statistics",
        "legal_basis": "consent",
        "categories": [GAME_HISTORY],
        "retention": "until you withdraw consent",
    },
)


def set_up(platform: caas.Platform, tenant: caas.Tenant) -> None:
    """The tenant's roles and purposes (idempotent: every worker runs it)."""
    platform.authz.put_role(
        tenant,
        {
            "name": SUBSCRIBERS,
            "description": "Subscribers: their matches are kept in the history",
            "permissions": [KEEP_HISTORY],
        },
    )
    for purpose in PURPOSES:
        platform.privacy.put_purpose(tenant, purpose, by="ksp-platform")


def tenant(platform: caas.Platform, slug: str, name: str | None = None) -> caas.Tenant:
    """Tenant ``slug``, created (guests and sign-up allowed) and set up if
    it does not exist yet."""
    try:
        found = platform.tenants.get(slug)
    except caas.NotFound:
        try:
            found = platform.tenants.create(slug, name or slug.upper(), settings=TENANT_SETTINGS)
        except caas.Conflict:  # another worker created it first
            found = platform.tenants.get(slug)
    set_up(platform, found)
    return found


def _keep_request(claims: caas.Claims) -> dict[str, Any]:
    return {
        "principal": {"type": "User", "id": claims.sub},
        "action": KEEP_HISTORY,
        "resource": {"type": "Game", "id": "history"},
    }


def keeps_history(platform: caas.Platform, tenant: caas.Tenant, claims: caas.Claims) -> bool:
    """Whether the caller's matches are kept: the Cedar policy of the
    subscribers role decides (guests never are)."""
    if claims.kind != "user":
        return False
    return bool(platform.authz.authorize(tenant, _keep_request(claims))["allow"])


async def akeeps_history(platform: caas.Platform, tenant: caas.Tenant, claims: caas.Claims) -> bool:
    """:func:`keeps_history`, awaitable."""
    if claims.kind != "user":
        return False
    return bool((await platform.authz.aauthorize(tenant, _keep_request(claims)))["allow"])
