"""The session: the CAAS access and refresh tokens in cookies
(``HttpOnly; SameSite=Lax; Path=/``, ``Secure`` on https)."""

from __future__ import annotations

from typing import Any

import bottle  # type: ignore[import-untyped]
import caas

ACCESS = "ksp_dostop"
REFRESH = "ksp_osvezitev"
GAME = {"ksp": "ksp_igra", "kspov": "kspov_igra"}
"""The game id cookie of each rule set (only an id: CAAS shows a game to its
player only)."""


class NoSession(Exception):
    """No valid session: the caller goes back to the login page."""


PUBLIC_HTTPS = False
"""Whether the app's public URL is https (set by ``create_app``): cookies
are then ``Secure`` even behind a proxy that does not say so."""


def _https() -> bool:
    return PUBLIC_HTTPS or str(bottle.request.urlparts.scheme) == "https"


def set_cookie(name: str, value: str) -> None:
    bottle.response.set_cookie(
        name, value, path="/", httponly=True, samesite="lax", secure=_https()
    )


def clear_cookie(name: str) -> None:
    bottle.response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=_https())


def cookie(name: str) -> str | None:
    value = bottle.request.get_cookie(name)
    return str(value) if value else None


def start(tokens: dict[str, Any]) -> None:
    """Keeps a login's (or a refresh's) tokens in the cookies."""
    set_cookie(ACCESS, str(tokens["access_token"]))
    if tokens.get("refresh_token"):
        set_cookie(REFRESH, str(tokens["refresh_token"]))
    else:
        clear_cookie(REFRESH)


def end() -> None:
    for name in (ACCESS, REFRESH, *GAME.values()):
        clear_cookie(name)


def claims(platform: caas.Platform, tenant: caas.Tenant) -> caas.Claims:
    """The caller's verified claims (revocation checked). An access token the
    platform refuses is replaced by refreshing the session, and the cookies
    reset; without a refresh token, or when the refresh is refused too,
    raises :class:`NoSession`.

    (``platform.tokens.verify`` answers an expired token as ``InvalidToken``
    "the token expired", not ``ExpiredToken``, so expiry cannot be told from
    other refusals here: the refresh token, rotated and checked by CAAS,
    decides.)
    """
    token = cookie(ACCESS)
    if token is None:
        raise NoSession
    try:
        return platform.tokens.verify(tenant, token)
    except (caas.Unauthenticated, caas.InvalidInput):
        pass
    refresh = cookie(REFRESH)
    if refresh is None:
        raise NoSession
    try:
        tokens = platform.auth.refresh(tenant, refresh)
        found = platform.tokens.verify(tenant, str(tokens["access_token"]))
    except (caas.Unauthenticated, caas.InvalidInput, caas.NotFound):
        raise NoSession from None
    start(tokens)
    return found
