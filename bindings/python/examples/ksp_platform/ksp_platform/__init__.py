"""The KSP platform CAAS grew out of, written again on the ``caas`` wheel.

Two forms of the same game, as the original project had them:

* :mod:`ksp_platform.monolith` — the first form: one Bottle (WSGI) app with
  the original routes and forms (``/``, ``/zacetni_menu/``, ``/ksp/``,
  ``/zgodovina_kspov/xml/``, …), served by Hypercorn.
* :mod:`ksp_platform.services` — the proposal's form: auth, game, session,
  history and privacy services (Starlette, ASGI) behind one gateway.

Both keep nothing security- or game-related of their own: users, sessions,
tokens, roles, live games, history, consent and the audit log are CAAS's
(:mod:`ksp_platform.common` opens the platform and sets the tenant up).
"""
