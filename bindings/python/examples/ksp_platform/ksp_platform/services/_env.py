"""The settings the services read that :class:`ksp_platform.common.Settings`
does not have (yet):

``KSP_TICKET_TTL``
    Lifetime of one-time tickets in seconds (1 to 600; default 60).
``KSP_BASE_DOMAIN``
    The domain under which tenants are subdomains (default: the host of
    ``KSP_PUBLIC_URL``, so ``acme.localhost`` with the default).
``KSP_FEDERATION_ALLOW_PRIVATE_ISSUERS``
    ``1`` lets upstream identity providers live on private addresses
    (tests, a provider inside the cluster).
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

import caas
from ksp_platform import common


def options() -> dict[str, Any]:
    """The ``Platform.open`` options above (only those set)."""
    extra: dict[str, Any] = {}
    if ttl := os.environ.get("KSP_TICKET_TTL"):
        extra["ticket_ttl"] = float(ttl)
    if os.environ.get("KSP_FEDERATION_ALLOW_PRIVATE_ISSUERS") == "1":
        extra["federation_allow_private_issuers"] = True
    return extra


def _arguments(settings: common.Settings) -> dict[str, Any]:
    return {
        "database_schema": settings.database_schema,
        "redis_url": settings.redis_url,
        "master_key": settings.master_key,
        "master_key_file": settings.master_key_file,
        "data_dir": settings.data_dir,
        "public_url": settings.public_url,
        **options(),
    }


def open_platform(settings: common.Settings) -> caas.Platform:
    """``settings.open()`` with :func:`options`."""
    if not options():
        return settings.open()
    return caas.Platform.open(settings.database_url, **_arguments(settings))


async def aopen_platform(settings: common.Settings) -> caas.Platform:
    """``await settings.aopen()`` with :func:`options`."""
    if not options():
        return await settings.aopen()
    return await caas.Platform.aopen(settings.database_url, **_arguments(settings))


def base_domain(settings: common.Settings) -> str:
    return os.environ.get("KSP_BASE_DOMAIN") or (
        urllib.parse.urlsplit(settings.public_url).hostname or "localhost"
    )
