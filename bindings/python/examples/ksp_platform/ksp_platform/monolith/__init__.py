"""The original KSP monolith: one Bottle (WSGI) app with the original's
routes and forms, on the ``caas`` wheel (its sync API).

Serve it with Hypercorn, which speaks WSGI natively (run from the folder
that holds the ``ksp_platform`` package, or with it on ``PYTHONPATH``)::

    KSP_DATA_DIR=ksp-data hypercorn --bind 127.0.0.1:8000 'wsgi:ksp_platform.monolith:app'

(``'wsgi:ksp_platform.monolith:create_app()'`` builds the app at start-up
instead.) One worker unless ``KSP_REDIS_URL`` is set: without Redis the
platform keeps sessions and live games in-process. The other ``KSP_*``
variables are :mod:`ksp_platform.common`'s.

``app`` is built on its first request (so importing this package opens
nothing); :func:`create_app` builds one at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .web import create_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["app", "create_app"]


class _LazyApp:
    """A WSGI app that builds :func:`create_app`'s on its first request."""

    def __init__(self) -> None:
        self._app: Any = None
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = create_app()
        body: Iterable[bytes] = self._app(environ, start_response)
        return body


app = _LazyApp()
