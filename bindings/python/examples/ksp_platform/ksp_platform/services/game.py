"""The game engine service (``/game``): one round against the computer,
decided by the wheel's rules engine (``caas.game``).

A round here is stateless — nothing is stored, so nobody needs to sign in:
a one-round match (``Match(rules, target=1)``) lives only for the request.
The platform's computer games (``platform.games.start(...,
opponent="computer")``) would keep a live game (left in progress after a
draw) and, for subscribers, a history entry; matches that count are the
session service's.
"""

from __future__ import annotations

import caas
from caas.game import Match, ruleset
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ksp_platform import common
from ksp_platform.services._http import EXCEPTION_HANDLERS, body, ok, ruleset_of

OUTCOMES = {"first": "you", "second": "computer", "draw": None}


def weapon_of(rules: str, value: object) -> str:
    """The weapon ``value`` names: the original's form number (``0``…) or
    a name the engine knows (Slovenian or English)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise caas.InvalidInput("`weapon` is required (a name or a number)", field="weapon")
    if value.isdecimal():
        return common.weapon(rules, value)
    return value


async def play(request: Request) -> Response:
    """Play one round against the computer.

    ---
    summary: One round against the computer
    requestBody: {content: {application/json: {example: {weapon: rock}}}}
    responses:
      200: {description: "the round: weapons (yours, the computer's) and winner"}
      400: {description: an unknown weapon}
      404: {description: an unknown rule set}
    """
    rules_id = ruleset_of(request)
    if rules_id not in common.WEAPONS:
        raise caas.NotFound(f"rule set `{rules_id}` not found")
    rules = ruleset(rules_id)
    played = Match(rules, target=1).play_computer(
        weapon_of(rules_id, (await body(request)).get("weapon"))
    )
    names = [rules.weapons[m].id if m is not None else None for m in played.moves]
    return ok(
        {
            "ruleset": rules_id,
            "weapons": names,
            "outcome": played.outcome,
            "winner": OUTCOMES.get(played.outcome),
        }
    )


app = Starlette(
    routes=[Route("/{ruleset}/play", play, methods=["POST"])],
    exception_handlers=EXCEPTION_HANDLERS,
)
