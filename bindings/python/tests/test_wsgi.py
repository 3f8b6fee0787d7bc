"""caas.wsgi.CaasWsgiMiddleware with real tokens, under Flask and Bottle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import bottle  # type: ignore[import-untyped]
import flask
import httpx
import pytest

from caas.wsgi import CaasContext, CaasWsgiMiddleware, WSGIApp, current
from conftest import Tenant


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def describe(ctx: CaasContext | None) -> dict[str, Any]:
    assert ctx is not None
    return {"tenant": ctx.tenant, "sub": ctx.claims.sub if ctx.claims else None}


def flask_app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/me")
    def me() -> Any:
        ctx = flask.request.environ["caas"]
        assert current() is ctx
        return {
            **describe(ctx),
            "path": flask.request.path,
            "script_root": flask.request.script_root,
            "url": flask.url_for("me", _external=True),
        }

    @app.get("/stream")
    def stream() -> Any:
        def chunks() -> Iterator[str]:
            for i in range(3):
                yield f"{describe(current())['sub']}:{i}\n"

        return flask.Response(chunks(), mimetype="text/plain")

    return app


def bottle_app() -> bottle.Bottle:
    app = bottle.Bottle()

    @app.get("/me")  # type: ignore[untyped-decorator]
    def me() -> Any:
        ctx = bottle.request.environ["caas"]
        assert current() is ctx
        return {**describe(ctx), "path": bottle.request.path}

    return app


def client(app: WSGIApp, host: str = "testserver") -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=f"http://{host}")


def assert_problem(r: httpx.Response, status: int, code: str, instance: str) -> dict[str, Any]:
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:caas:problem:{code}"
    assert (body["code"], body["status"], body["instance"]) == (code, status, instance)
    assert body["title"] and body["detail"]
    return body


@pytest.mark.parametrize("make", [flask_app, bottle_app])
def test_valid_token_and_anonymous_requests(acme: Tenant, make: Any) -> None:
    app = CaasWsgiMiddleware(make(), verifier=acme.verifier)
    with client(app) as c:
        ok = c.get("/me", headers=bearer(acme.token(sub="dave")))
        anonymous = c.get("/me")
    assert ok.status_code == 200
    assert ok.json()["sub"] == "dave" and ok.json()["tenant"] == acme.id
    assert anonymous.json()["sub"] is None
    assert current() is None


def test_refusals(acme: Tenant) -> None:
    app = CaasWsgiMiddleware(flask_app(), verifier=acme.verifier, require_auth=True)
    expired = acme.token(exp=int(time.time()) - 3600)
    with client(app) as c:
        missing = c.get("/me")
        bad = c.get("/me", headers=bearer(expired))
        forged = c.get(
            "/me", headers=bearer(acme.token(tenant_id="6b1f4bd2-4a0e-4b8e-9d0e-2f1d8c0a7e11"))
        )
    body = assert_problem(missing, 401, "missing_token", "/me")
    assert body["title"] == "Unauthenticated"
    assert missing.headers["www-authenticate"] == 'Bearer realm="caas"'
    assert_problem(bad, 401, "token_expired", "/me")
    assert bad.headers["www-authenticate"].startswith(
        'Bearer realm="caas", error="invalid_token", error_description="'
    )
    assert_problem(forged, 401, "invalid_tenant", "/me")


def test_tenants_by_path_header_and_subdomain(acme: Tenant, globex: Tenant) -> None:
    app = CaasWsgiMiddleware(
        flask_app(),
        verifiers={"acme": acme.verifier, "globex": globex.verifier},
        tenant=("header", "subdomain", "path"),
        base_domain="example.com",
    )
    with client(app) as c:
        by_path = c.get("/t/acme/me", headers=bearer(acme.token()))
        by_header = c.get("/me", headers={"X-Tenant-ID": "globex", **bearer(globex.token())})
        cross = c.get("/t/acme/me", headers=bearer(globex.token()))
        unknown = c.get("/t/initech/me")
        disagree = c.get("/t/acme/me", headers={"X-Tenant-ID": "globex"})
    with client(app, host="globex.example.com") as c:
        by_host = c.get("/me", headers=bearer(globex.token()))
    assert by_path.json() == {
        "tenant": "acme",
        "sub": "user-1",
        "path": "/me",
        "script_root": "/t/acme",
        "url": "http://testserver/t/acme/me",
    }
    assert by_header.json()["tenant"] == "globex"
    assert by_host.json()["tenant"] == "globex" and by_host.json()["sub"] == "user-1"
    assert cross.status_code == 401
    assert_problem(unknown, 404, "not_found", "/t/initech/me")
    assert_problem(disagree, 400, "invalid_input", "/t/acme/me")


def test_bottle_sees_the_stripped_path(acme: Tenant) -> None:
    app = CaasWsgiMiddleware(bottle_app(), verifiers={"acme": acme.verifier}, tenant=("path",))
    with client(app) as c:
        r = c.get("/t/acme/me", headers=bearer(acme.token()))
    assert r.json() == {"tenant": "acme", "sub": "user-1", "path": "/me"}


def test_streaming_body_is_not_buffered_and_sees_the_context(acme: Tenant) -> None:
    produced: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("content-type", "text/plain")])
        for i in range(3):
            produced.append(i)
            ctx = current()
            yield f"{ctx.claims.sub if ctx and ctx.claims else '-'}:{i}".encode()

    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_AUTHORIZATION": f"Bearer {acme.token(sub='erin')}",
    }
    body = iter(
        CaasWsgiMiddleware(app, verifier=acme.verifier)(environ, lambda s, h: statuses.append(s))
    )
    assert next(body) == b"erin:0"
    assert produced == [0]  # the rest is not produced yet
    assert current() is None  # the request's context stays its own
    assert list(body) == [b"erin:1", b"erin:2"]
    assert statuses == ["200 OK"]


def test_flask_streaming_through_the_transport(acme: Tenant) -> None:
    app = CaasWsgiMiddleware(flask_app(), verifier=acme.verifier)
    with client(app) as c:
        r = c.get("/stream", headers=bearer(acme.token(sub="frank")))
        anonymous = c.get("/stream")
    assert r.text == "frank:0\nfrank:1\nfrank:2\n"
    assert anonymous.text == "None:0\nNone:1\nNone:2\n"
