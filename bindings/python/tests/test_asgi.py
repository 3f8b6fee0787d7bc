"""caas.asgi.CaasMiddleware with real tokens, a bare ASGI app and Starlette."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from caas.asgi import ASGIApp, CaasContext, CaasMiddleware, current
from conftest import Tenant

Message = MutableMapping[str, Any]


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI app that answers with what it was given."""
    ctx: CaasContext = scope["caas"]
    assert current() is ctx
    body = {
        "path": scope["path"],
        "raw_path": scope.get("raw_path", b"").decode(),
        "root_path": scope.get("root_path", ""),
        "tenant": ctx.tenant,
        "sub": ctx.claims.sub if ctx.claims else None,
        "scopes": ctx.claims.scopes if ctx.claims else None,
    }
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": data})


def client(app: ASGIApp, host: str = "testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(
    r: httpx.Response, status: int, code: str, instance: str, title: str
) -> dict[str, Any]:
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:caas:problem:{code}"
    assert body["code"] == code
    assert body["status"] == status
    assert body["title"] == title
    assert body["instance"] == instance
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"type", "title", "status", "detail", "instance", "code", "field"}
    return body


# --- one tenant -----------------------------------------------------------------


async def test_valid_token_reaches_the_app_with_its_claims(acme: Tenant) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier)
    async with client(app) as c:
        r = await c.get("/games", headers=bearer(acme.token(scope="games:read games:write")))
    assert r.status_code == 200
    assert r.json()["sub"] == "user-1"
    assert r.json()["tenant"] == acme.id
    assert sorted(r.json()["scopes"]) == ["games:read", "games:write"]


async def test_bearer_scheme_is_case_insensitive(acme: Tenant) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier)
    async with client(app) as c:
        r = await c.get("/", headers={"Authorization": f"bEaReR {acme.token()}"})
    assert r.json()["sub"] == "user-1"


async def test_no_token_goes_on_unauthenticated_by_default(acme: Tenant) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier)
    async with client(app) as c:
        r = await c.get("/games")
        basic = await c.get("/games", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert r.status_code == 200
    assert r.json()["sub"] is None and r.json()["tenant"] is None
    assert basic.status_code == 200 and basic.json()["sub"] is None


async def test_require_auth_refuses_a_request_without_token(acme: Tenant) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier, require_auth=True)
    async with client(app) as c:
        r = await c.get("/games?x=1")
    body = assert_problem(r, 401, "missing_token", "/games", "Unauthenticated")
    assert "Authorization: Bearer" in body["detail"]
    assert r.headers["www-authenticate"] == 'Bearer realm="caas"'


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        (
            {
                "exp": int(time.time()) - 3600,
                "iat": int(time.time()) - 4000,
                "nbf": int(time.time()) - 4000,
            },
            "token_expired",
        ),
        ({"aud": "another-service"}, "invalid_audience"),
        ({"iss": "https://evil.example.com"}, "invalid_issuer"),
        ({"tenant_id": "6b1f4bd2-4a0e-4b8e-9d0e-2f1d8c0a7e11"}, "invalid_tenant"),
    ],
)
async def test_invalid_tokens_are_401_with_the_verifiers_code(
    acme: Tenant, claims: dict[str, Any], code: str
) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier)
    async with client(app) as c:
        r = await c.get("/games", headers=bearer(acme.token(**claims)))
    body = assert_problem(r, 401, code, "/games", "Unauthenticated")
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="caas", error="invalid_token", error_description="')
    assert body["detail"].replace('"', "'") in challenge


async def test_garbage_and_empty_tokens_are_401(acme: Tenant) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier)
    async with client(app) as c:
        garbage = await c.get("/", headers=bearer("not.a.jwt"))
        empty = await c.get("/", headers={"Authorization": "Bearer "})
    assert garbage.status_code == 401
    assert garbage.json()["code"].startswith("invalid_")
    assert_problem(empty, 401, "invalid_token", "/", "Unauthenticated")
    assert 'error="invalid_token"' in empty.headers["www-authenticate"]


async def test_another_issuers_token_is_refused(acme: Tenant, globex: Tenant) -> None:
    app = CaasMiddleware(echo, verifier=acme.verifier)
    async with client(app) as c:
        r = await c.get("/", headers=bearer(globex.token()))
    assert r.status_code == 401
    assert r.json()["code"] in {"invalid_signature", "invalid_issuer"}


async def test_lifespan_passes_through(acme: Tenant) -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        assert "caas" not in scope
        message = await receive()
        assert message["type"] == "lifespan.startup"
        await send({"type": "lifespan.startup.complete"})

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await CaasMiddleware(app, verifier=acme.verifier, require_auth=True)(
        {"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send
    )
    assert seen == ["lifespan"]
    assert sent == [{"type": "lifespan.startup.complete"}]


# --- several tenants ------------------------------------------------------------


def multi(acme: Tenant, globex: Tenant, **kwargs: Any) -> CaasMiddleware:
    verifiers = {
        acme.slug: acme.verifier,
        acme.id: acme.verifier,
        globex.slug: globex.verifier,
    }
    kwargs.setdefault("tenant", ("header", "subdomain", "path"))
    return CaasMiddleware(echo, verifiers=verifiers, base_domain="example.com", **kwargs)


async def test_tenant_from_the_header_by_slug_or_id(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex)) as c:
        by_slug = await c.get("/x", headers={"X-Tenant-ID": "acme", **bearer(acme.token())})
        by_id = await c.get("/x", headers={"X-Tenant-ID": acme.id, **bearer(acme.token())})
    assert by_slug.status_code == 200 and by_slug.json()["tenant"] == "acme"
    assert by_id.status_code == 200 and by_id.json()["tenant"] == acme.id
    assert by_id.json()["sub"] == "user-1"


async def test_tenant_from_the_subdomain(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex), host="globex.example.com:8443") as c:
        r = await c.get("/x", headers=bearer(globex.token()))
    assert r.status_code == 200
    assert r.json()["tenant"] == "globex"
    assert r.json()["path"] == "/x"


async def test_a_host_outside_the_base_domain_names_no_tenant(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex), host="acme.other.org") as c:
        r = await c.get("/x")
        with_token = await c.get("/x", headers=bearer(acme.token()))
    assert r.status_code == 200 and r.json()["tenant"] is None
    assert_problem(with_token, 400, "tenant_required", "/x", "Invalid input")


async def test_tenant_from_the_path_mounts_the_app_there(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex)) as c:
        r = await c.get("/t/acme/v1/games?limit=5", headers=bearer(acme.token()))
        bare = await c.get("/t/acme")
    assert r.status_code == 200
    assert r.json() == {
        "path": "/t/acme/v1/games",
        "raw_path": "/t/acme/v1/games",
        "root_path": "/t/acme",
        "tenant": "acme",
        "sub": "user-1",
        "scopes": ["games:read"],
    }
    assert bare.json()["path"] == "/t/acme" and bare.json()["root_path"] == "/t/acme"


async def test_an_encoded_tenant_prefix_must_spell_the_tenant(acme: Tenant, globex: Tenant) -> None:
    # httpx normalizes `%6D` to `m`, so the scope is written by hand, as a
    # server passes a request line `GET /t/ac%6De/admin`.
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/t/acme/admin",
        "raw_path": b"/t/ac%6De/admin",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {acme.token()}".encode()),
        ],
    }
    await multi(acme, globex)(scope, receive, send)
    assert sent[0]["status"] == 200
    seen = json.loads(sent[1]["body"])
    # Both forms name the same route under the same mount.
    assert (seen["path"], seen["raw_path"], seen["root_path"]) == (
        "/t/acme/admin",
        "/t/ac%6De/admin",
        "/t/acme",
    )
    # A raw prefix that does not spell the tenant is refused.
    sent.clear()
    await multi(acme, globex)({**scope, "raw_path": b"/t%2Facme/admin"}, receive, send)
    assert sent[0]["status"] == 400
    async with client(multi(acme, globex)) as c:
        later = await c.get("/t/acme/a%2Fb", headers=bearer(acme.token()))
    assert later.status_code == 200
    assert later.json()["raw_path"] == "/t/acme/a%2Fb" and later.json()["path"] == "/t/acme/a/b"


async def test_unknown_tenant_is_404(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex)) as c:
        r = await c.get("/t/initech/v1/games")
    body = assert_problem(r, 404, "not_found", "/t/initech/v1/games", "Not found")
    assert "`initech`" in body["detail"]
    assert "www-authenticate" not in r.headers


async def test_tenant_function_returning_none_is_404(acme: Tenant) -> None:
    def lookup(ref: str) -> Any | None:
        return acme.verifier if ref == "acme" else None

    app = CaasMiddleware(echo, verifiers=lookup, tenant=("header",))
    async with client(app) as c:
        ok = await c.get("/", headers={"X-Tenant-ID": "acme", **bearer(acme.token())})
        missing = await c.get("/", headers={"X-Tenant-ID": "nobody"})
    assert ok.json()["sub"] == "user-1"
    assert_problem(missing, 404, "not_found", "/", "Not found")


async def test_malformed_tenant_reference_is_400(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex)) as c:
        r = await c.get("/", headers={"X-Tenant-ID": "Not A Slug!"})
        nested = await c.get("/", headers={"Host": "a.b.example.com"})
    body = assert_problem(r, 400, "invalid_input", "/", "Invalid input")
    assert "X-Tenant-ID" in body["detail"]
    assert_problem(nested, 400, "invalid_input", "/", "Invalid input")


async def test_sources_that_disagree_are_400(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex)) as c:
        r = await c.get("/t/globex/x", headers={"X-Tenant-ID": "acme"})
        same = await c.get("/t/acme/x", headers={"X-Tenant-ID": acme.id})
    body = assert_problem(r, 400, "invalid_input", "/t/globex/x", "Invalid input")
    assert "`acme`" in body["detail"] and "`globex`" in body["detail"]
    assert same.status_code == 200 and same.json()["tenant"] == acme.id


async def test_cross_tenant_token_is_refused(acme: Tenant, globex: Tenant) -> None:
    async with client(multi(acme, globex)) as c:
        r = await c.get("/t/acme/x", headers=bearer(globex.token()))
        # Signed by acme's key, but for globex's tenant id.
        forged = await c.get("/t/acme/x", headers=bearer(acme.token(tenant_id=globex.id)))
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert_problem(forged, 401, "invalid_tenant", "/t/acme/x", "Unauthenticated")


async def test_order_of_sources_decides_which_is_reported(acme: Tenant, globex: Tenant) -> None:
    app = multi(acme, globex, tenant=("path", "header"))
    async with client(app) as c:
        r = await c.get("/t/initech/x", headers={"X-Tenant-ID": "initech"})
    assert "the /t/{slug} path" in r.json()["detail"]


def test_configuration_mistakes_are_refused(acme: Tenant) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        CaasMiddleware(echo)
    with pytest.raises(ValueError, match="needs `verifiers`"):
        CaasMiddleware(echo, verifier=acme.verifier, tenant=("header",))
    with pytest.raises(ValueError, match="base_domain"):
        CaasMiddleware(echo, verifiers={}, tenant=("subdomain",))
    with pytest.raises(ValueError, match="not a tenant source"):
        CaasMiddleware(echo, verifiers={}, tenant=("cookie",))


# --- streaming, context ---------------------------------------------------------


async def test_streaming_responses_are_passed_through_as_they_come(acme: Tenant) -> None:
    first_chunk_sent = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        # Finishes only once the client has seen the first chunk: a
        # middleware that buffered the response would never get here.
        await asyncio.wait_for(first_chunk_sent.wait(), timeout=5)
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    received: list[Message] = []

    async def send(message: Message) -> None:
        received.append(message)
        if message.get("body") == b"one":
            first_chunk_sent.set()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/stream",
        "headers": [(b"authorization", f"Bearer {acme.token()}".encode())],
    }
    await CaasMiddleware(app, verifier=acme.verifier)(scope, receive, send)
    assert [m.get("body") for m in received] == [None, b"one", b"two"]


async def test_starlette_streaming_endpoint_streams(acme: Tenant) -> None:
    from starlette.responses import StreamingResponse

    async def chunks() -> Any:
        for i in range(3):
            yield f"chunk{i}\n".encode()

    async def stream(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/plain")

    app = CaasMiddleware(Starlette(routes=[Route("/s", stream)]), verifier=acme.verifier)
    async with client(app) as c, c.stream("GET", "/s", headers=bearer(acme.token())) as r:
        lines = [line async for line in r.aiter_lines()]
    assert lines == ["chunk0", "chunk1", "chunk2"]


async def test_context_is_visible_in_tasks_and_does_not_leak(acme: Tenant) -> None:
    background: list[str | None] = []
    done = asyncio.Event()

    def remember() -> None:  # sync: Starlette runs it in a thread
        ctx = current()
        background.append(ctx.claims.sub if ctx and ctx.claims else None)
        done.set()

    async def in_task() -> str | None:
        ctx = current()
        return ctx.claims.sub if ctx and ctx.claims else None

    async def whoami(request: Request) -> Response:
        ctx = current()
        assert ctx is request.scope["caas"]
        task_sub = await asyncio.create_task(in_task())
        return JSONResponse(
            {"sub": ctx.claims.sub if ctx.claims else None, "task": task_sub},
            background=BackgroundTask(remember),
        )

    app = CaasMiddleware(Starlette(routes=[Route("/me", whoami)]), verifier=acme.verifier)
    async with client(app) as c:
        alice = await c.get("/me", headers=bearer(acme.token(sub="alice")))
        await asyncio.wait_for(done.wait(), timeout=5)
        assert current() is None
        anonymous = await c.get("/me")
    assert alice.json() == {"sub": "alice", "task": "alice"}
    assert background == ["alice", None]
    assert anonymous.json() == {"sub": None, "task": None}
    assert current() is None


async def test_concurrent_requests_see_their_own_context(acme: Tenant) -> None:
    async def slow(request: Request) -> Response:
        ctx = current()
        await asyncio.sleep(0.05)
        assert current() is ctx
        return JSONResponse({"sub": ctx.claims.sub if ctx and ctx.claims else None})

    app = CaasMiddleware(Starlette(routes=[Route("/", slow)]), verifier=acme.verifier)
    async with client(app) as c:
        rs = await asyncio.gather(
            *(c.get("/", headers=bearer(acme.token(sub=f"u{i}"))) for i in range(5))
        )
    assert [r.json()["sub"] for r in rs] == [f"u{i}" for i in range(5)]


async def test_starlette_routes_under_the_stripped_path(acme: Tenant) -> None:
    async def game(request: Request) -> Response:
        return JSONResponse(
            {"id": request.path_params["id"], "url": str(request.url_for("game", id="7"))}
        )

    starlette = Starlette(routes=[Route("/v1/games/{id}", game, name="game")])
    app = CaasMiddleware(starlette, verifiers={"acme": acme.verifier}, tenant=("path",))
    async with client(app) as c:
        r = await c.get("/t/acme/v1/games/42", headers=bearer(acme.token()))
    assert r.json() == {"id": "42", "url": "http://testserver/t/acme/v1/games/7"}


# --- websockets -----------------------------------------------------------------


async def run_websocket(
    app: CaasMiddleware, headers: list[tuple[bytes, bytes]], extensions: dict[str, Any]
) -> list[Message]:
    sent: list[Message] = []
    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.disconnect", "code": 1000},
    ]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws", "headers": headers, "extensions": extensions}
    await app(scope, receive, send)
    return sent


async def ws_app(scope: Any, receive: Any, send: Any) -> None:
    assert (await receive())["type"] == "websocket.connect"
    ctx: CaasContext = scope["caas"]
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": ctx.claims.sub if ctx.claims else "-"})
    await send({"type": "websocket.close", "code": 1000})


async def test_websocket_with_a_valid_token_is_accepted(acme: Tenant) -> None:
    app = CaasMiddleware(ws_app, verifier=acme.verifier, require_auth=True)
    sent = await run_websocket(app, [(b"authorization", f"Bearer {acme.token()}".encode())], {})
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "user-1"


async def test_websocket_refused_by_close_code_without_the_extension(acme: Tenant) -> None:
    app = CaasMiddleware(ws_app, verifier=acme.verifier, require_auth=True)
    missing = await run_websocket(app, [], {})
    expired = await run_websocket(
        app, [(b"authorization", f"Bearer {acme.token(exp=int(time.time()) - 3600)}".encode())], {}
    )
    assert missing == [{"type": "websocket.close", "code": 4401, "reason": "missing_token"}]
    assert expired == [{"type": "websocket.close", "code": 4401, "reason": "token_expired"}]


async def test_websocket_refused_by_http_response_with_the_extension(acme: Tenant) -> None:
    app = CaasMiddleware(ws_app, verifier=acme.verifier, require_auth=True)
    sent = await run_websocket(app, [], {"websocket.http.response": {}})
    assert [m["type"] for m in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert sent[0]["status"] == 401
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"www-authenticate"] == b'Bearer realm="caas"'
    body = json.loads(sent[1]["body"])
    assert body["code"] == "missing_token" and body["instance"] == "/ws"


async def test_websocket_unknown_tenant_closes_4404(acme: Tenant) -> None:
    app = CaasMiddleware(ws_app, verifiers={"acme": acme.verifier}, tenant=("header",))
    sent = await run_websocket(app, [(b"x-tenant-id", b"initech")], {})
    assert sent == [{"type": "websocket.close", "code": 4404, "reason": "not_found"}]


def test_the_middleware_modules_import_without_any_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('fastapi', 'starlette', 'flask', 'bottle'): sys.modules[name] = None\n"
        "import caas.asgi, caas.wsgi, caas.checks\n"
        "try:\n"
        "    import caas.fastapi\n"
        "except ImportError:\n"
        "    print('fastapi helpers need fastapi')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "fastapi helpers need fastapi"


def test_context_is_frozen(acme: Tenant) -> None:
    import dataclasses

    ctx = CaasContext("acme", acme.verifier.verify(acme.token()))
    assert ctx.principal is ctx.claims and ctx.authenticated
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.tenant = "globex"  # type: ignore[misc]
