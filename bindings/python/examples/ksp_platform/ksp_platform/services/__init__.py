"""The proposal's services, on the ``caas`` wheel: auth, game engine,
session, history and privacy, one Starlette app each, mounted by
:mod:`ksp_platform.services.gateway`.

Why Starlette: the wheel's web support is ASGI —
:class:`caas.asgi.CaasMiddleware` (tenant resolution, bearer tokens,
problem+json refusals) and :mod:`caas.starlette` (``Refused`` and its
problem+json handler) — and Starlette is the ASGI toolkit with the least
magic: routes are a list, handlers are ``async def f(request)``, nothing is
injected or generated behind the code's back. Its ``SchemaGenerator`` makes
``/openapi.json`` from the handlers' docstrings.

Each service is a thin layer: parse the request, make one ``caas`` call
(the async, ``a``-prefixed form), answer. Security and game logic — users,
tokens, revocation, tickets, upstream login, live games and their hidden
moves, history, consent, erasure, the audit log — are CAAS's.

========================  ===============================================
``/auth/…``               :mod:`~ksp_platform.services.auth`
``/game/{ruleset}/play``  :mod:`~ksp_platform.services.game`
``/sessions/…``           :mod:`~ksp_platform.services.sessions`
``/history/{ruleset}``    :mod:`~ksp_platform.services.history`
``/privacy/…``            :mod:`~ksp_platform.services.privacy`
``/health`` ``/ready``    :mod:`~ksp_platform.services.ops` (and
``/metrics`` ``/docs``    ``/openapi.json``)
========================  ===============================================

Tenants and their users are the platform administrator's:
``python -m ksp_platform.admin``.
"""
