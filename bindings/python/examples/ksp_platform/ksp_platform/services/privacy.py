"""The privacy service (``/privacy``): the caller's consents to the game's
purposes, a copy of their data, and erasure requests.

``POST /privacy/erasure`` files a data-subject erasure request (GDPR
Art. 17) and answers it as received (202): CAAS keeps its due date and
history, and the tenant's administrator verifies the requester's identity
and approves it (or refuses it) — a request does not approve itself, and a
signed-in caller is not yet a verified one. What a caller may erase at
once, their match history, is ``DELETE /history/{ruleset}``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ksp_platform import common
from ksp_platform.services._http import (
    EXCEPTION_HANDLERS,
    body,
    field,
    ok,
    platform,
    tenant,
    user_claims,
)


async def consents(request: Request) -> Response:
    """The game's purposes and the caller's consents.

    ---
    summary: Consents
    responses:
      200: {description: "{purposes, consents}"}
    """
    given = await platform(request).privacy.aconsents(
        tenant(request), (await user_claims(request)).sub
    )
    return ok({"purposes": list(common.PURPOSES), "consents": given})


async def give(request: Request) -> Response:
    """Consent to a purpose.

    ---
    summary: Give consent
    requestBody: {content: {application/json: {example: {notice_version: v1}}}}
    responses:
      201: {description: the consent}
      404: {description: no such purpose}
    """
    version = field(await body(request), "notice_version", required=False) or "v1"
    given = await platform(request).privacy.agive_consent(
        tenant(request),
        (await user_claims(request)).sub,
        {"purpose": request.path_params["purpose"], "notice_version": version},
    )
    return ok(given, 201)


async def withdraw(request: Request) -> Response:
    """Withdraw consent to a purpose.

    ---
    summary: Withdraw consent
    responses:
      200: {description: the withdrawn consent}
    """
    withdrawn = await platform(request).privacy.awithdraw_consent(
        tenant(request), (await user_claims(request)).sub, request.path_params["purpose"]
    )
    return ok(withdrawn)


async def export(request: Request) -> Response:
    """Everything the platform holds on the caller (GDPR Art. 15/20).

    ---
    summary: Export my data
    responses:
      200: {description: "{document, manifest}"}
    """
    return ok(
        await platform(request).privacy.aexport_subject(
            tenant(request), (await user_claims(request)).sub
        )
    )


async def erasure(request: Request) -> Response:
    """Ask for all of the caller's data to be erased.

    ---
    summary: Request erasure
    requestBody: {content: {application/json: {example: {method: delete}}}}
    responses:
      202: {description: the request, received (the tenant's administrator verifies and approves it)}
    """
    method = field(await body(request), "method", required=False)
    sub = (await user_claims(request)).sub
    request_body: dict[str, object] = {"kind": "erasure"}
    if method is not None:
        request_body["method"] = method
    filed = await platform(request).privacy.asubmit_request(
        tenant(request), sub, request_body, by=sub
    )
    return ok(filed, 202)


app = Starlette(
    routes=[
        Route("/consents", consents, methods=["GET"]),
        Route("/consents/{purpose}", give, methods=["POST"]),
        Route("/consents/{purpose}", withdraw, methods=["DELETE"]),
        Route("/export", export, methods=["GET"]),
        Route("/erasure", erasure, methods=["POST"]),
    ],
    exception_handlers=EXCEPTION_HANDLERS,
)
