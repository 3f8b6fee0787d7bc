"""The history service (``/history``): the caller's finished matches of a
rule set, and erasing them — a data-subject erasure of one category
(``game_history``, narrowed to the rule set), audited as
``privacy.category_erased`` and respecting legal holds."""

from __future__ import annotations

import re

import caas
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ksp_platform import common
from ksp_platform.services._http import (
    EXCEPTION_HANDLERS,
    checked_claims,
    ok,
    platform,
    ruleset_of,
    tenant,
)


def _number(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not re.fullmatch("[0-9]{1,6}", value) or int(value) == 0:
        raise caas.InvalidInput(f"`{name}` is a number from 1 to 999999", field=name)
    return int(value)


async def matches(request: Request) -> Response:
    """The caller's finished matches, newest first.

    ---
    summary: Match history
    parameters:
      - {name: page, in: query, schema: {type: integer, default: 1}}
      - {name: per_page, in: query, schema: {type: integer, default: 20}}
    responses:
      200: {description: "{items, page, per_page, total}"}
    """
    found = await platform(request).games.ahistory(
        tenant(request),
        (await checked_claims(request)).sub,
        ruleset=ruleset_of(request),
        page=_number(request, "page", 1),
        per_page=_number(request, "per_page", 20),
    )
    return ok(found)


async def erase(request: Request) -> Response:
    """Erase the caller's matches of this rule set.

    ---
    summary: Delete the history
    responses:
      200: {description: the erasure report (records per source, what legal holds retained)}
    """
    sub = (await checked_claims(request)).sub
    report = await platform(request).privacy.aerase_category(
        tenant(request), sub, common.GAME_HISTORY, part=ruleset_of(request), by=sub
    )
    return ok(report)


app = Starlette(
    routes=[
        Route("/{ruleset}", matches, methods=["GET"]),
        Route("/{ruleset}", erase, methods=["DELETE"]),
    ],
    exception_handlers=EXCEPTION_HANDLERS,
)
