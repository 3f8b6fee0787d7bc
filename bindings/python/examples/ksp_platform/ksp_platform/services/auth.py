"""The auth service (``/auth``): upstream OIDC login, password and guest
login, token validation, the user, refresh, logout and one-time tickets —
each a call to ``platform.auth`` / ``platform.tokens``.

The upstream login's callback is ``{KSP_PUBLIC_URL}/t/{slug}/auth/callback``
whatever named the tenant at ``/auth/login``: the browser comes back
without an ``X-Tenant-ID`` header, so the path names it.
"""

from __future__ import annotations

import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ksp_platform.services._http import (
    EXCEPTION_HANDLERS,
    body,
    checked_claims,
    field,
    ok,
    platform,
    runtime,
    tenant,
)

#: The cookie that binds a callback to the browser that started the login,
#: and the one that remembers the provider (the callback URL names neither).
BINDING_COOKIE = "ksp_federation"
PROVIDER_COOKIE = "ksp_federation_provider"


def _public_url(request: Request) -> str:
    settings = runtime(request).settings
    assert settings is not None  # the lifespan set them
    return settings.public_url.rstrip("/")


async def login(request: Request) -> Response:
    """Send the browser to the tenant's upstream identity provider.

    ---
    summary: Upstream (OIDC) login
    parameters:
      - {name: provider, in: query, required: true, schema: {type: string}}
    responses:
      303: {description: to the provider's authorize URL (state, PKCE); sets the binding cookie}
    """
    t = tenant(request)
    binding = secrets.token_urlsafe(32)
    provider = request.query_params.get("provider", "")
    url = await platform(request).auth.afederation_start(
        t,
        provider,
        redirect_uri=f"{_public_url(request)}/t/{t.slug}/auth/callback",
        binding=binding,
    )
    response = RedirectResponse(url, status_code=303)
    for name, value in ((BINDING_COOKIE, binding), (PROVIDER_COOKIE, provider)):
        response.set_cookie(
            name,
            value,
            max_age=600,
            path=f"/t/{t.slug}/auth/callback",
            httponly=True,
            secure=_public_url(request).startswith("https:"),
            samesite="lax",
        )
    return response


async def callback(request: Request) -> Response:
    """The provider's answer: the tenant's tokens for the user.

    ---
    summary: Upstream login callback
    parameters:
      - {name: state, in: query, schema: {type: string}}
      - {name: code, in: query, schema: {type: string}}
      - {name: error, in: query, schema: {type: string}}
    responses:
      200: {description: the login's tokens, user_id and created}
      400: {description: unknown state or a provider error}
      401: {description: no or another browser's binding cookie}
    """
    q, t = request.query_params, tenant(request)
    tokens = await platform(request).auth.afederation_callback(
        t,
        request.cookies.get(PROVIDER_COOKIE, ""),
        state=q.get("state", ""),
        code=q.get("code", ""),
        error=q.get("error"),
        binding=request.cookies.get(BINDING_COOKIE, ""),
        user_agent=request.headers.get("user-agent"),
    )
    response = ok(tokens)
    for name in (BINDING_COOKIE, PROVIDER_COOKIE):
        response.delete_cookie(name, path=f"/t/{t.slug}/auth/callback")
    return response


async def register(request: Request) -> Response:
    """Sign up (when the tenant allows it).

    ---
    summary: Sign up with a password
    requestBody: {content: {application/json: {example: {username: ann, password: "…"}}}}
    responses:
      201: {description: the user}
    """
    data = await body(request)
    user = await platform(request).auth.aregister(
        tenant(request),
        field(data, "password"),
        username=field(data, "username", required=False),
        email=field(data, "email", required=False),
        display_name=field(data, "display_name", required=False),
    )
    return ok(user, 201)


async def token(request: Request) -> Response:
    """Password login.

    ---
    summary: Password login
    requestBody: {content: {application/json: {example: {login: ann, password: "…"}}}}
    responses:
      200: {description: tokens (or an MFA challenge)}
      401: {description: invalid credentials}
    """
    data = await body(request)
    tokens = await platform(request).auth.alogin(
        tenant(request),
        field(data, "login"),
        field(data, "password"),
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return ok(tokens)


async def guest(request: Request) -> Response:
    """A guest's token (when the tenant allows guests).

    ---
    summary: Guest login
    responses:
      200: {description: an access token of kind guest}
    """
    return ok(await platform(request).auth.aguest(tenant(request)))


async def validate(request: Request) -> Response:
    """Validate a token, revocation included.

    ---
    summary: Validate a JWT
    requestBody: {content: {application/json: {example: {token: "eyJ…"}}}}
    responses:
      200: {description: the token's claims}
      401: {description: invalid, expired or revoked}
    """
    data = await body(request)
    verified = await platform(request).tokens.averify(tenant(request), field(data, "token"))
    return ok(verified.raw)


async def user_info(request: Request) -> Response:
    """The caller's account.

    ---
    summary: The user
    responses:
      200: {description: the user}
      401: {description: no or an invalid token}
    """
    return ok(
        await platform(request).auth.auser(tenant(request), (await checked_claims(request)).sub)
    )


async def refresh(request: Request) -> Response:
    """Rotate a refresh token (reusing an old one ends the session).

    ---
    summary: Refresh
    requestBody: {content: {application/json: {example: {refresh_token: "caas_rt_…"}}}}
    responses:
      200: {description: new tokens}
      401: {description: unknown or reused refresh token}
    """
    data = await body(request)
    tokens = await platform(request).auth.arefresh(tenant(request), field(data, "refresh_token"))
    return ok(tokens)


async def logout(request: Request) -> Response:
    """End the caller's session: its tokens are revoked.

    ---
    summary: Logout
    responses:
      204: {description: logged out}
    """
    await platform(request).auth.alogout(tenant(request), await checked_claims(request))
    return Response(status_code=204)


async def ticket(request: Request) -> Response:
    """A one-time ticket for the caller (e.g. to open a WebSocket).

    ---
    summary: Issue a ticket
    responses:
      201: {description: "{ticket}"}
    """
    issued = await platform(request).auth.aissue_ticket(
        tenant(request), await checked_claims(request)
    )
    return ok({"ticket": issued}, 201)


async def redeem(request: Request) -> Response:
    """Redeem a ticket once, before it expires.

    ---
    summary: Redeem a ticket
    requestBody: {content: {application/json: {example: {ticket: "caas_tk_…"}}}}
    responses:
      200: {description: an access token for the ticket's user}
      401: {description: unknown, used or expired ticket}
    """
    data = await body(request)
    redeemed = await platform(request).auth.aredeem_ticket(tenant(request), field(data, "ticket"))
    return ok(redeemed)


app = Starlette(
    routes=[
        Route("/login", login, methods=["GET"]),
        Route("/callback", callback, methods=["GET"], name="callback"),
        Route("/register", register, methods=["POST"]),
        Route("/token", token, methods=["POST"]),
        Route("/guest", guest, methods=["POST"]),
        Route("/validate", validate, methods=["POST"]),
        Route("/user-info", user_info, methods=["GET"]),
        Route("/refresh", refresh, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/ticket", ticket, methods=["POST"]),
        Route("/redeem", redeem, methods=["POST"]),
    ],
    exception_handlers=EXCEPTION_HANDLERS,
)
