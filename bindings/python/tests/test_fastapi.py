"""caas.fastapi.require and caas.starlette.CaasAuthBackend with real tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

import caas
from caas.asgi import CaasMiddleware
from caas.checks import RouteCheck, decide_claims
from caas.errors import Forbidden
from caas.fastapi import install, require
from caas.starlette import CaasAuthBackend, instance
from caas.starlette import install as starlette_install
from caas.tokens import Claims
from conftest import Tenant
from test_asgi import assert_problem, bearer


class Authz:
    """A small engine: allows what ``allowed`` lists, by (sub, action, type, id)."""

    def __init__(self, allowed: set[tuple[str, str, str, str]]) -> None:
        self.allowed = allowed
        self.calls: list[tuple[str, str, tuple[str, str] | None]] = []

    async def acheck_route(
        self,
        check: caas.RouteCheck,
        claims: Claims | None,
        *,
        tenant: caas.Tenant,
        resource: tuple[str, str] | None = None,
    ) -> None:
        assert claims is not None and resource is not None
        self.calls.append((str(check), claims.sub, resource))
        action = str(check).split(", ")[1].rstrip(")")
        if (claims.sub, action, *resource) not in self.allowed:
            raise Forbidden(
                f'`{action}` on {resource[0]}::"{resource[1]}" is not allowed',
                code="resource_access_denied",
            )


class Tenants:
    """Every tenant id names the one real tenant of a small platform."""

    def __init__(self) -> None:
        self.platform = caas.Platform.open("sqlite::memory:")
        self.tenant = self.platform.tenants.create("games-co", "Games")

    async def aget(self, key: str) -> caas.Tenant:
        return self.tenant


class FakePlatform:
    def __init__(self, authz: Authz) -> None:
        self._authz = authz
        self._tenants = Tenants()

    @property
    def authz(self) -> Authz:
        return self._authz

    @property
    def tenants(self) -> Tenants:
        return self._tenants


AUTHZ = Authz({("alice", "update", "Game", "g1")})
PLATFORM = FakePlatform(AUTHZ)


def make_api(tenant: Tenant, **kwargs: Any) -> CaasMiddleware:
    api = FastAPI()
    install(api)

    @api.get("/open")
    async def open_route() -> dict[str, Any]:
        return {"ok": True}

    @api.get("/me")
    async def me(claims: Claims = Depends(require())) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims.sub}

    @api.get("/read", dependencies=[Depends(require(scope="games:read"))])
    async def read() -> dict[str, Any]:
        return {"ok": True}

    @api.get("/both", dependencies=[Depends(require(scope=["games:read", "games:write"]))])
    async def both() -> dict[str, Any]:
        return {"ok": True}

    @api.get("/edit", dependencies=[Depends(require(role="editor"))])
    async def edit() -> dict[str, Any]:
        return {"ok": True}

    @api.get("/admin", dependencies=[Depends(require(scope_or_role=("games:admin", "admin")))])
    async def admin() -> dict[str, Any]:
        return {"ok": True}

    game_check = require(
        resource=("editor", "update"),
        resource_id="game_id",
        resource_type="Game",
        platform=PLATFORM,
    )

    @api.put("/t-games/{game_id}")
    async def update(game_id: str, claims: Claims = Depends(game_check)) -> dict[str, Any]:  # noqa: B008
        return {"game": game_id, "by": claims.sub}

    return CaasMiddleware(api, verifier=tenant.verifier, **kwargs)


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_authenticated_route(acme: Tenant) -> None:
    async with client(make_api(acme)) as c:
        ok = await c.get("/me", headers=bearer(acme.token(sub="bob")))
        anonymous = await c.get("/me")
        open_route = await c.get("/open")
    assert ok.json() == {"sub": "bob"}
    assert open_route.json() == {"ok": True}
    assert_problem(anonymous, 401, "missing_token", "/me", "Unauthenticated")
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="caas"'


async def test_scope_checks(acme: Tenant) -> None:
    async with client(make_api(acme)) as c:
        read = await c.get("/read", headers=bearer(acme.token(scope="games:read")))
        lacking = await c.get("/read", headers=bearer(acme.token(scope="other")))
        one_of_two = await c.get("/both", headers=bearer(acme.token(scope="games:read")))
        two = await c.get("/both", headers=bearer(acme.token(scope="games:write games:read")))
    assert read.status_code == 200 and two.status_code == 200
    body = assert_problem(lacking, 403, "insufficient_scope", "/read", "Forbidden")
    assert body["detail"] == "these credentials lack the scope games:read"
    assert "www-authenticate" not in lacking.headers
    body = assert_problem(one_of_two, 403, "insufficient_scope", "/both", "Forbidden")
    assert body["detail"] == "these credentials lack the scope games:read games:write"


@pytest.mark.parametrize(
    ("roles", "status"),
    [(["editor"], 200), (["owner"], 200), (["admin"], 200), (["viewer"], 403), ([], 403)],
)
async def test_role_check_with_builtin_inheritance(
    acme: Tenant, roles: list[str], status: int
) -> None:
    async with client(make_api(acme)) as c:
        r = await c.get("/edit", headers=bearer(acme.token(roles=roles)))
    assert r.status_code == status
    if status == 403:
        body = assert_problem(r, 403, "insufficient_role", "/edit", "Forbidden")
        assert body["detail"] == "this route needs the role `editor`"


async def test_scope_or_role_check(acme: Tenant) -> None:
    async with client(make_api(acme)) as c:
        by_scope = await c.get("/admin", headers=bearer(acme.token(scope="games:admin")))
        by_role = await c.get("/admin", headers=bearer(acme.token(roles=["owner"])))
        neither = await c.get("/admin", headers=bearer(acme.token(roles=["editor"])))
    assert by_scope.status_code == 200 and by_role.status_code == 200
    body = assert_problem(neither, 403, "insufficient_scope_or_role", "/admin", "Forbidden")
    assert body["detail"] == "this route needs the scope `games:admin` or the role `admin`"


async def test_resource_check(acme: Tenant) -> None:
    AUTHZ.calls.clear()
    async with client(make_api(acme)) as c:
        allowed = await c.put(
            "/t-games/g1", headers=bearer(acme.token(sub="alice", roles=["editor"]))
        )
        denied = await c.put(
            "/t-games/g2", headers=bearer(acme.token(sub="alice", roles=["admin"]))
        )
        no_base = await c.put(
            "/t-games/g1", headers=bearer(acme.token(sub="alice", roles=["viewer"]))
        )
        anonymous = await c.put("/t-games/g1")
    assert allowed.json() == {"game": "g1", "by": "alice"}
    body = assert_problem(denied, 403, "resource_access_denied", "/t-games/g2", "Forbidden")
    assert body["detail"] == '`update` on Game::"g2" is not allowed'
    body = assert_problem(no_base, 403, "base_role_missing", "/t-games/g1", "Forbidden")
    assert body["detail"] == "this route needs the role `editor` in the tenant"
    assert_problem(anonymous, 401, "missing_token", "/t-games/g1", "Unauthenticated")
    # The engine is asked only once the base role is held.
    assert AUTHZ.calls == [
        ("resource(editor, update)", "alice", ("Game", "g1")),
        ("resource(editor, update)", "alice", ("Game", "g2")),
    ]


async def test_problem_instance_is_the_path_the_caller_sent(acme: Tenant) -> None:
    api = FastAPI()
    install(api)

    @api.get("/v1/games", dependencies=[Depends(require(scope="games:write"))])
    async def games() -> dict[str, Any]:
        return {}

    app = CaasMiddleware(api, verifiers={"acme": acme.verifier}, tenant=("path",))
    async with client(app) as c:
        r = await c.get("/t/acme/v1/games", headers=bearer(acme.token()))
    assert_problem(r, 403, "insufficient_scope", "/t/acme/v1/games", "Forbidden")


async def test_without_install_a_refusal_keeps_status_and_challenge(acme: Tenant) -> None:
    api = FastAPI()

    @api.get("/me", dependencies=[Depends(require())])
    async def me() -> dict[str, Any]:
        return {}

    async with client(CaasMiddleware(api, verifier=acme.verifier)) as c:
        r = await c.get("/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="caas"'


async def test_require_without_the_middleware_is_a_clear_error() -> None:
    api = FastAPI()

    @api.get("/me", dependencies=[Depends(require())])
    async def me() -> dict[str, Any]:
        return {}

    async with client(api) as c:
        with pytest.raises(RuntimeError, match="CaasMiddleware"):
            await c.get("/me")


def test_require_refuses_ambiguous_or_incomplete_checks() -> None:
    with pytest.raises(ValueError, match="one of"):
        require(scope="a", role="b")
    with pytest.raises(ValueError, match="resource_id"):
        require(resource=("editor", "update"))


def test_decide_claims_refuses_no_claims() -> None:
    problem = decide_claims(RouteCheck.authenticated(), None)
    assert problem is not None and problem.code == "missing_token"


# --- Starlette authentication -----------------------------------------------------


async def test_starlette_auth_backend(acme: Tenant) -> None:
    async def whoami(request: Request) -> Response:
        return JSONResponse(
            {
                "authenticated": request.user.is_authenticated,
                "name": request.user.display_name,
                "scopes": sorted(request.auth.scopes),
            }
        )

    @requires(["authenticated", "games:write"])
    async def write(request: Request) -> Response:
        return JSONResponse({"by": request.user.identity})

    @requires("role:viewer")
    async def view(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[Route("/me", whoami), Route("/write", write), Route("/view", view)],
        middleware=[
            Middleware(CaasMiddleware, verifier=acme.verifier),
            Middleware(AuthenticationMiddleware, backend=CaasAuthBackend()),
        ],
    )
    token = acme.token(sub="carol", scope="games:write", roles=["editor"])
    async with client(app) as c:
        me = await c.get("/me", headers=bearer(token))
        anonymous = await c.get("/me")
        write_ok = await c.get("/write", headers=bearer(token))
        write_denied = await c.get("/write", headers=bearer(acme.token(scope="games:read")))
        view_ok = await c.get("/view", headers=bearer(token))
        view_denied = await c.get("/view", headers=bearer(acme.token()))
    assert me.json() == {
        "authenticated": True,
        "name": "carol",
        "scopes": ["authenticated", "games:write", "role:editor", "role:viewer"],
    }
    assert anonymous.json() == {"authenticated": False, "name": "", "scopes": []}
    assert write_ok.json() == {"by": "carol"}
    assert write_denied.status_code == 403
    assert view_ok.status_code == 200
    assert view_denied.status_code == 403


async def test_resource_check_with_the_real_engine() -> None:
    """The same dependency against the platform's authorization engine: the
    token's tenant role first, then the access entry on the resource."""
    platform = caas.Platform.open("sqlite::memory:")
    tenant = platform.tenants.create("engine-co", "Engine")
    verifier = platform.tokens.verifier(tenant, audience="games")
    alice = {"type": "User", "id": "alice"}
    platform.authz.add_access(tenant, {"type": "Game", "id": "g1"}, alice, "editor")

    api = FastAPI()
    install(api)
    check = require(
        resource=("viewer", "update"),
        resource_id="game_id",
        resource_type="Game",
        platform=platform,
    )

    @api.put("/games/{game_id}")
    async def update(game_id: str, claims: Claims = Depends(check)) -> dict[str, Any]:  # noqa: B008
        return {"game": game_id, "by": claims.sub}

    def token(roles: list[str]) -> dict[str, str]:
        issued = platform.tokens.issue(tenant, "alice", roles=roles, audience=["games"])
        return {"authorization": f"Bearer {issued}"}

    app = CaasMiddleware(api, verifier=verifier)
    async with client(app) as c:
        allowed = await c.put("/games/g1", headers=token(["viewer"]))
        denied = await c.put("/games/g2", headers=token(["viewer"]))
        no_base = await c.put("/games/g1", headers=token([]))
    assert allowed.json() == {"game": "g1", "by": "alice"}
    assert_problem(denied, 403, "resource_access_denied", "/games/g2", "Forbidden")
    assert_problem(no_base, 403, "base_role_missing", "/games/g1", "Forbidden")


async def test_starlette_mounts_route_under_a_tenant_prefix(acme: Tenant) -> None:
    async def ksp(request: Request) -> Response:
        return JSONResponse(
            {
                "url": str(request.url),
                "for": str(request.url_for("ksp")),
                "instance": instance(request),
            }
        )

    async def gone(request: Request) -> Response:
        raise caas.NotFound("no such game", code="game_not_found")

    history = Starlette(routes=[Route("/ksp", ksp, name="ksp"), Route("/gone", gone)])
    starlette_install(history)
    app = CaasMiddleware(
        Starlette(routes=[Mount("/history", app=history)]),
        verifiers={acme.slug: acme.verifier},
        tenant=("path",),
    )
    async with client(app) as c:
        r = await c.get("/t/acme/history/ksp", headers=bearer(acme.token()))
        plain = await c.get("/history/ksp")
        missing = await c.get("/t/acme/ksp", headers=bearer(acme.token()))
        gone_r = await c.get("/t/acme/history/gone", headers=bearer(acme.token()))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "url": "http://testserver/t/acme/history/ksp",
        "for": "http://testserver/t/acme/history/ksp",
        "instance": "/t/acme/history/ksp",
    }
    assert plain.status_code == 200 and plain.json()["instance"] == "/history/ksp"
    assert missing.status_code == 404
    assert gone_r.status_code == 404
    assert gone_r.headers["content-type"] == "application/problem+json"
    assert gone_r.json()["code"] == "game_not_found"
    assert gone_r.json()["instance"] == "/t/acme/history/gone"
