"""The session service (``/sessions``): live player-vs-player matches
(in Redis with ``KSP_REDIS_URL``, so any worker serves any move).

CAAS keeps the game: it hides the other player's pending move until both
have moved (``opponent_moved`` says only that they have), and a game of
another tenant is not found. A match against the computer is
kept in the history only for subscribers (the role's policy,
:data:`ksp_platform.common.KEEP_HISTORY`); CAAS always keeps matches
between players.
"""

from __future__ import annotations

import caas
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ksp_platform import common
from ksp_platform.services._http import (
    EXCEPTION_HANDLERS,
    body,
    checked_claims,
    field,
    ok,
    platform,
    ruleset_of,
    tenant,
    user_claims,
)
from ksp_platform.services.game import weapon_of


async def start(request: Request) -> Response:
    """Start a match: against another player (default) or the computer.

    ---
    summary: New match
    requestBody: {content: {application/json: {example: {opponent: player, target: 7}}}}
    responses:
      201: {description: "the game (and, against a player, the invite code to join with)"}
    """
    data = await body(request)
    target, opponent = data.get("target"), data.get("opponent") or "player"
    if opponent not in ("player", "computer"):
        raise caas.InvalidInput("`opponent` is `player` or `computer`", field="opponent")
    if target is not None and (
        not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 1000
    ):
        raise caas.InvalidInput("`target` is a number from 1 to 1000", field="target")
    # A guest plays the computer; other players meet signed-up users.
    caller = await (checked_claims if opponent == "computer" else user_claims)(request)
    # Matches between players are always kept (each player's history is
    # theirs); against the computer only a subscriber's are.
    keep = opponent != "computer" or await common.akeeps_history(
        platform(request), tenant(request), caller
    )
    started = await platform(request).games.astart(
        tenant(request),
        caller.sub,
        ruleset_of(request),
        opponent=opponent,
        target=target,
        keep_history=keep,
    )
    return ok(started, 201)


async def join(request: Request) -> Response:
    """Join a match with its invite code.

    ---
    summary: Join
    requestBody: {content: {application/json: {example: {code: A522SJQCGE}}}}
    responses:
      200: {description: the game}
      404: {description: no such game (in this tenant)}
    """
    code = field(await body(request), "code")
    game = await platform(request).games.ajoin(
        tenant(request), request.path_params["id"], (await user_claims(request)).sub, code
    )
    return ok(game)


async def move(request: Request) -> Response:
    """Play a weapon (a name or the original's number) in the current round.

    ---
    summary: Move
    requestBody: {content: {application/json: {example: {weapon: paper}}}}
    responses:
      200: {description: "the game and the round this move completed (or null)"}
      404: {description: no such game (in this tenant)}
    """
    # The original numbers KSP's weapons as the first three of KSPOV's, so
    # KSPOV's table reads a number for either (water in KSP: the engine refuses).
    weapon = weapon_of("kspov", (await body(request)).get("weapon"))
    played = await platform(request).games.aplay(
        tenant(request), request.path_params["id"], (await checked_claims(request)).sub, weapon
    )
    return ok(played)


async def get(request: Request) -> Response:
    """The game as the caller sees it (the other's pending move hidden).

    ---
    summary: Game state
    responses:
      200: {description: the game}
      404: {description: no such game (in this tenant)}
    """
    game = await platform(request).games.aget(
        tenant(request), request.path_params["id"], (await checked_claims(request)).sub
    )
    return ok(game)


app = Starlette(
    routes=[
        Route("/{ruleset}", start, methods=["POST"]),
        Route("/{id}/join", join, methods=["POST"]),
        Route("/{id}/move", move, methods=["POST"]),
        Route("/{id}", get, methods=["GET"]),
    ],
    exception_handlers=EXCEPTION_HANDLERS,
)
