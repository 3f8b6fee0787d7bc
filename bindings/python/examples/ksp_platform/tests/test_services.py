"""The services over real HTTP: the gateway served by Hypercorn (a
subprocess), driven with httpx.

The embedded default (SQLite in a temporary ``KSP_DATA_DIR``) always; two
Hypercorn processes on one PostgreSQL + Redis when
``CAAS_TEST_DATABASE_URL`` and ``CAAS_TEST_REDIS_URL`` are set (with
``CAAS_TEST_REQUIRE_BACKENDS=1`` their absence fails the run). The
upstream (OIDC) login goes through a real ``caas-server`` as the provider
(``CAAS_SERVER_BIN``; skipped without it, failed with
``CAAS_TEST_REQUIRE_BACKENDS=1``).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from _serve_svc import (
    PACKAGE_ROOT,
    PASSWORD,
    Upstream,
    admin,
    authorize,
    caas_server,
    environment,
    free_port,
    serve,
    upstream_tenant,
)

sys.path.insert(0, str(PACKAGE_ROOT))

PROBLEM = "application/problem+json"


@dataclass
class Site:
    base: str
    env: dict[str, str]
    acme: str
    globex: str
    users: dict[str, dict[str, Any]]

    def client(self, slug: str, token: str | None = None) -> httpx.Client:
        headers = {"x-tenant-id": slug}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.base, headers=headers, timeout=10)

    def login(self, slug: str, username: str) -> dict[str, Any]:
        with self.client(slug) as c:
            answer = c.post("/auth/token", json={"login": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens


def _slug(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    env = environment(
        KSP_DATA_DIR=str(tmp_path_factory.mktemp("ksp-svc")),
        KSP_PUBLIC_URL=f"http://127.0.0.1:{port}",
        KSP_TICKET_TTL="2",
        KSP_FEDERATION_ALLOW_PRIVATE_ISSUERS="1",
        KSP_BASE_DOMAIN="ksp.test",
    )
    acme, globex = _slug("acme"), _slug("globex")
    for slug in (acme, globex):
        admin(env, "tenant", slug)
    users = {
        "ann": admin(env, "user", acme, "ann", PASSWORD, "--subscriber"),
        "bob": admin(env, "user", acme, "bob", PASSWORD, "--subscriber"),
        "cid": admin(env, "user", globex, "cid", PASSWORD),
    }
    with serve(env, port) as base:
        yield Site(base, env, acme, globex, users)


def is_problem(answer: httpx.Response, status: int, code: str | None = None) -> bool:
    body = answer.json()
    return (
        answer.status_code == status
        and answer.headers["content-type"].startswith(PROBLEM)
        and body["status"] == status
        and (code is None or body["code"] == code)
    )


def start_match(
    c: httpx.Client, ruleset: str = "ksp", target: int | None = None
) -> tuple[str, str]:
    answer = c.post(f"/sessions/{ruleset}", json={} if target is None else {"target": target})
    assert answer.status_code == 201, answer.text
    return answer.json()["game"]["id"], answer.json()["invite_code"]


# --- sessions -----------------------------------------------------------------


def test_a_match_between_two_players_hides_the_pending_move(site: Site) -> None:
    ann = site.client(site.acme, site.login(site.acme, "ann")["access_token"])
    bob = site.client(site.acme, site.login(site.acme, "bob")["access_token"])
    game_id, code = start_match(ann)
    assert bob.post(f"/sessions/{game_id}/join", json={"code": "WRONGCODE1"}).status_code >= 400
    joined = bob.post(f"/sessions/{game_id}/join", json={"code": code})
    assert joined.status_code == 200 and joined.json()["state"] == "in_progress"

    # Bob wins 7 rounds (paper on rock); every third round is a draw first.
    plays = [("rock", "rock") if n % 3 == 0 else ("rock", 2) for n in range(1, 11)]
    for number, (a, b) in enumerate(plays, start=1):
        first, second, first_move, second_move = (
            (ann, bob, a, b) if number % 2 else (bob, ann, b, a)
        )
        moved = first.post(f"/sessions/{game_id}/move", json={"weapon": first_move})
        assert moved.status_code == 200, moved.text
        assert moved.json()["round"] is None
        seen = second.get(f"/sessions/{game_id}").json()
        # The other has moved, but not with what: no pending move, no new round.
        assert seen["opponent_moved"] is True and seen["your_move"] is None
        assert len(seen["rounds"]) == number - 1
        mine = first.get(f"/sessions/{game_id}").json()
        assert mine["your_move"] is not None and mine["opponent_moved"] is False
        done = second.post(f"/sessions/{game_id}/move", json={"weapon": second_move}).json()
        # Both have moved: the round shows both (seat 0 is ann's).
        assert done["round"]["number"] == number
        expected = [0, 0] if number % 3 == 0 else [0, 2]
        assert done["round"]["moves"] == expected
        assert done["round"]["outcome"] == ("draw" if number % 3 == 0 else "second")

    final = ann.get(f"/sessions/{game_id}").json()
    assert final["state"] == "finished" and final["scores"] == [0, 7] and final["winner"] == 1
    assert len(final["rounds"]) == 10
    again = ann.post(f"/sessions/{game_id}/move", json={"weapon": "rock"})
    assert is_problem(again, 409) or is_problem(again, 400)
    history = ann.get("/history/ksp").json()
    assert any(item["id"] == game_id for item in history["items"])


def test_another_tenants_game_is_not_found_and_its_token_is_refused(site: Site) -> None:
    ann_token = site.login(site.acme, "ann")["access_token"]
    game_id, _ = start_match(site.client(site.acme, ann_token), "kspov")
    cid = site.client(site.globex, site.login(site.globex, "cid")["access_token"])
    assert is_problem(cid.get(f"/sessions/{game_id}"), 404, "game_not_found")
    assert is_problem(cid.post(f"/sessions/{game_id}/move", json={"weapon": "rock"}), 404)
    # Ann's token where the request names globex: refused by the middleware.
    crossed = site.client(site.globex, ann_token).get(f"/sessions/{game_id}")
    # Each tenant signs with its own key, so globex's verifier already fails
    # to find acme's key (invalid_signature); invalid_tenant where keys match.
    assert is_problem(crossed, 401)
    assert crossed.json()["code"] in ("invalid_tenant", "invalid_signature")
    assert crossed.headers["www-authenticate"].startswith("Bearer")
    # The tenant by path (no header) reaches the same game.
    with httpx.Client(base_url=site.base) as c:
        by_path = c.get(
            f"/t/{site.acme}/sessions/{game_id}", headers={"authorization": f"Bearer {ann_token}"}
        )
        assert by_path.status_code == 200 and by_path.json()["id"] == game_id
        # And by subdomain; sources that disagree are refused.
        bearer = {"authorization": f"Bearer {ann_token}"}
        by_host = c.get(f"/sessions/{game_id}", headers={**bearer, "host": f"{site.acme}.ksp.test"})
        assert by_host.status_code == 200 and by_host.json()["id"] == game_id
        both = {**bearer, "host": f"{site.acme}.ksp.test", "x-tenant-id": site.globex}
        assert is_problem(c.get(f"/sessions/{game_id}", headers=both), 400, "invalid_input")
        assert is_problem(c.get("/sessions/x", headers={"x-tenant-id": "nobody-here"}), 404)
        anonymous = c.get(f"/sessions/{game_id}", headers={"x-tenant-id": site.acme})
        assert is_problem(anonymous, 401, "missing_token")


# --- auth ---------------------------------------------------------------------


def test_tickets_redeem_once_and_expire(site: Site) -> None:
    tokens = site.login(site.acme, "ann")
    ann = site.client(site.acme, tokens["access_token"])
    plain = site.client(site.acme)
    ticket = ann.post("/auth/ticket")
    assert ticket.status_code == 201, ticket.text
    redeemed = plain.post("/auth/redeem", json=ticket.json())
    assert redeemed.status_code == 200, redeemed.text
    validated = plain.post("/auth/validate", json={"token": redeemed.json()["access_token"]})
    assert validated.json()["sub"] == site.users["ann"]["id"]
    assert is_problem(plain.post("/auth/redeem", json=ticket.json()), 401)
    assert is_problem(plain.post("/auth/ticket"), 401, "missing_token")

    late = ann.post("/auth/ticket").json()
    time.sleep(2.5)  # KSP_TICKET_TTL=2
    assert is_problem(plain.post("/auth/redeem", json=late), 401)


def test_validate_refresh_and_logout(site: Site) -> None:
    tokens = site.login(site.acme, "bob")
    plain = site.client(site.acme)
    valid = plain.post("/auth/validate", json={"token": tokens["access_token"]})
    assert valid.status_code == 200 and valid.json()["sub"] == site.users["bob"]["id"]
    assert valid.json()["tenant_id"] == site.users["bob"]["tenant_id"]
    assert is_problem(plain.post("/auth/validate", json={"token": "garbage"}), 401)
    assert is_problem(plain.post("/auth/validate", json={}), 400)

    bob = site.client(site.acme, tokens["access_token"])
    me = bob.get("/auth/user-info")
    assert me.status_code == 200 and me.json()["username"] == "bob"

    fresh = plain.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["refresh_token"] != tokens["refresh_token"]
    assert plain.post("/auth/validate", json={"token": fresh.json()["access_token"]}).is_success

    other = site.login(site.acme, "bob")
    assert site.client(site.acme, other["access_token"]).post("/auth/logout").status_code == 204
    revoked = plain.post("/auth/validate", json={"token": other["access_token"]})
    assert is_problem(revoked, 401)


def test_guest_login_and_register(site: Site) -> None:
    plain = site.client(site.acme)
    guest = plain.post("/auth/guest")
    assert guest.status_code == 200
    claims = plain.post("/auth/validate", json={"token": guest.json()["access_token"]}).json()
    assert claims["kind"] == "guest"
    user = plain.post("/auth/register", json={"username": "dee", "password": PASSWORD})
    assert user.status_code == 201, user.text
    assert site.login(site.acme, "dee")["access_token"]


@pytest.fixture(scope="module")
def upstream(site: Site) -> Iterator[Upstream]:
    """A real ``caas-server`` (``CAAS_SERVER_BIN``) as acme's upstream
    provider: a tenant there with a user and our client, whose redirect URI
    is the gateway's callback (``{KSP_PUBLIC_URL}/t/{slug}/auth/callback``)."""
    binary = os.environ.get("CAAS_SERVER_BIN")
    if not binary:
        if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
            pytest.fail("CAAS_SERVER_BIN is required")
        pytest.skip("CAAS_SERVER_BIN is not set")
    callback = f"{site.env['KSP_PUBLIC_URL']}/t/{site.acme}/auth/callback"
    with caas_server(binary) as server:
        yield upstream_tenant(server, "upstream", callback)


def _provider(site: Site, upstream: Upstream) -> str:
    """Configures ``upstream`` for acme (the admin CLI): the provider's id."""
    config = {
        "kind": "oidc",
        "name": "Upstream",
        "client_id": upstream.client_id,
        "client_secret": upstream.client_secret,
        "issuer": upstream.issuer,
    }
    provider = admin(site.env, "identity-provider", site.acme, json.dumps(config))
    assert "client_secret" not in provider
    found: str = provider["id"]
    return found


def test_upstream_login_redirects_with_state_and_pkce(site: Site, upstream: Upstream) -> None:
    provider = _provider(site, upstream)
    browser = httpx.Client(base_url=f"{site.base}/t/{site.acme}")
    started = browser.get("/auth/login", params={"provider": provider})
    assert started.status_code == 303, started.text
    location = urllib.parse.urlsplit(started.headers["location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}"
        == f"{upstream.issuer}/oauth2/authorize"
    )
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query["state"] and query["nonce"] and query["code_challenge"]
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == upstream.client_id and query["response_type"] == "code"
    assert query["redirect_uri"] == upstream.redirect_uri
    cookies = started.headers.get_list("set-cookie")
    assert cookies and all("httponly" in c.lower() for c in cookies)

    # Refused: an unknown state; the right state without the cookie.
    unknown = browser.get("/auth/callback", params={"state": "not-a-state", "code": "x"})
    assert unknown.status_code in (400, 401) and is_problem(unknown, unknown.status_code)
    without_cookie = httpx.get(
        f"{site.base}/t/{site.acme}/auth/callback",
        params={"state": query["state"], "code": "x"},
    )
    assert without_cookie.status_code in (400, 401)
    assert is_problem(without_cookie, without_cookie.status_code)

    # The refused callback used up its state, even for the right browser.
    late = browser.get("/auth/callback", params={"state": query["state"], "code": "x"})
    assert is_problem(late, 400)


def _query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_upstream_login_round_trip(site: Site, upstream: Upstream) -> None:
    provider = _provider(site, upstream)
    browser = httpx.Client(base_url=f"{site.base}/t/{site.acme}", timeout=10)

    def start(decision: str = "allow") -> str:
        """The gateway's login, the provider's pages: where the provider
        sends the browser back (the gateway's callback, code or error)."""
        started = browser.get("/auth/login", params={"provider": provider})
        assert started.status_code == 303, started.text
        assert {*browser.cookies} >= {"ksp_federation", "ksp_federation_provider"}
        back = authorize(upstream, started.headers["location"], decision=decision)
        assert back.startswith(f"{upstream.redirect_uri}?")
        return back

    # Zoe refuses on the provider's consent page: the gateway shows the
    # refusal and logs no one in.
    denied = start("deny")
    assert _query(denied)["error"] == "access_denied"
    assert is_problem(browser.get(denied), 400)

    # A real code, but called back without the binding cookies (another
    # browser): refused, and the state is used up for the right browser too.
    back = start()
    assert _query(back)["code"]
    stolen = httpx.get(back)
    assert stolen.status_code in (400, 401) and is_problem(stolen, stolen.status_code)
    assert is_problem(browser.get(back), 400)

    # The whole round trip: the tenant's tokens for the provider's user.
    back = start()
    tokens = browser.get(back)
    assert tokens.status_code == 200, tokens.text
    done = tokens.json()
    assert done["created"] is True and done["access_token"] and done["refresh_token"]
    claims = browser.post("/auth/validate", json={"token": done["access_token"]})
    assert claims.status_code == 200, claims.text
    assert claims.json()["sub"] == done["user_id"] and "fed" in claims.json()["amr"]
    assert claims.json()["tenant_id"] == site.users["ann"]["tenant_id"]
    bearer = {"authorization": f"Bearer {done['access_token']}"}
    me = browser.get("/auth/user-info", headers=bearer).json()
    assert me["id"] == done["user_id"] and me["email"] == upstream.email
    # Replayed: the state was single use.
    replayed = browser.get(back)
    assert replayed.status_code in (400, 401) and is_problem(replayed, replayed.status_code)

    # Zoe again: the same account, not a new one.
    again = browser.get(start())
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False and again.json()["user_id"] == done["user_id"]


# --- game, history, privacy ----------------------------------------------------


def test_one_round_against_the_computer(site: Site) -> None:
    plain = site.client(site.acme)
    for ruleset, weapon, name in (("ksp", "paper", "paper"), ("kspov", 3, "water")):
        played = plain.post(f"/game/{ruleset}/play", json={"weapon": weapon})
        assert played.status_code == 200, played.text
        body = played.json()
        assert body["weapons"][0] == name and body["weapons"][1] is not None
        assert body["winner"] in ("you", "computer", None)
        assert body["outcome"] in ("first", "second", "draw")
    assert is_problem(plain.post("/game/ksp/play", json={"weapon": "water"}), 400)
    assert is_problem(plain.post("/game/ksp/play", json={"weapon": 7}), 400)
    assert is_problem(plain.post("/game/chess/play", json={"weapon": "rock"}), 404)


def test_history_and_its_audited_erasure(site: Site) -> None:
    ann = site.client(site.acme, site.login(site.acme, "ann")["access_token"])
    bob = site.client(site.acme, site.login(site.acme, "bob")["access_token"])
    game_id, code = start_match(ann, "kspov", target=1)
    bob.post(f"/sessions/{game_id}/join", json={"code": code})
    ann.post(f"/sessions/{game_id}/move", json={"weapon": "fire"})
    bob.post(f"/sessions/{game_id}/move", json={"weapon": "paper"})
    page = ann.get("/history/kspov", params={"per_page": 1}).json()
    assert page["items"][0]["id"] == game_id and page["per_page"] == 1
    assert is_problem(ann.get("/history/kspov", params={"page": "x"}), 400)

    classic, code = start_match(ann, "ksp", target=1)
    bob.post(f"/sessions/{classic}/join", json={"code": code})
    ann.post(f"/sessions/{classic}/move", json={"weapon": "rock"})
    bob.post(f"/sessions/{classic}/move", json={"weapon": "scissors"})

    erased = ann.delete("/history/kspov")
    assert erased.status_code == 200, erased.text
    assert sum(s["records"] for s in erased.json()["sources"]) >= 1
    assert ann.get("/history/kspov").json()["total"] == 0
    # Only that rule set, only ann's: her KSP matches and bob's copy stay.
    assert any(i["id"] == classic for i in ann.get("/history/ksp").json()["items"])
    assert any(i["id"] == game_id for i in bob.get("/history/kspov").json()["items"])

    audit = admin(site.env, "audit", site.acme)
    assert audit["verification"]["problems"] == []
    assert any(
        e.get("action") == "privacy.category_erased" and e.get("target") == site.users["ann"]["id"]
        for e in audit["entries"]
    ), audit["entries"]


def test_only_subscribers_matches_against_the_computer_are_kept(site: Site) -> None:
    plain = site.client(site.acme)
    assert plain.post("/auth/register", json={"username": "eve", "password": PASSWORD}).is_success
    eve = site.client(site.acme, site.login(site.acme, "eve")["access_token"])
    ann = site.client(site.acme, site.login(site.acme, "ann")["access_token"])
    kept = {}
    for name, player in (("eve", eve), ("ann", ann)):
        started = player.post("/sessions/kspov", json={"opponent": "computer", "target": 1})
        assert started.status_code == 201, started.text
        game = started.json()["game"]
        assert game["players"][1]["kind"] == "computer"
        while game["state"] != "finished":
            game = player.post(f"/sessions/{game['id']}/move", json={"weapon": 4}).json()["game"]
        items = player.get("/history/kspov").json()["items"]
        kept[name] = any(i["id"] == game["id"] for i in items)
    # Eve is no subscriber, ann is.
    assert kept == {"eve": False, "ann": True}


def test_consents_export_and_erasure_request(site: Site) -> None:
    ann = site.client(site.acme, site.login(site.acme, "ann")["access_token"])
    listed = ann.get("/privacy/consents").json()
    assert {p["id"] for p in listed["purposes"]} == {"game_history", "game_statistics"}
    given = ann.post("/privacy/consents/game_statistics", json={"notice_version": "v1"})
    assert given.status_code == 201, given.text
    assert any(
        c["purpose"] == "game_statistics" for c in ann.get("/privacy/consents").json()["consents"]
    )
    assert ann.delete("/privacy/consents/game_statistics").status_code == 200
    assert is_problem(ann.post("/privacy/consents/unknown"), 404)
    exported = ann.get("/privacy/export")
    assert exported.status_code == 200 and site.users["ann"]["id"] in exported.text
    filed = ann.post("/privacy/erasure")
    assert filed.status_code == 202 and filed.json()["state"] == "received"
    assert filed.json()["kind"] == "erasure"


# --- operations ----------------------------------------------------------------

ROUTES = {
    "/health": {"get"},
    "/ready": {"get"},
    "/metrics": {"get"},
    "/auth/login": {"get"},
    "/auth/callback": {"get"},
    "/auth/register": {"post"},
    "/auth/token": {"post"},
    "/auth/guest": {"post"},
    "/auth/validate": {"post"},
    "/auth/user-info": {"get"},
    "/auth/refresh": {"post"},
    "/auth/logout": {"post"},
    "/auth/ticket": {"post"},
    "/auth/redeem": {"post"},
    "/game/{ruleset}/play": {"post"},
    "/sessions/{ruleset}": {"post"},
    "/sessions/{id}/join": {"post"},
    "/sessions/{id}/move": {"post"},
    "/sessions/{id}": {"get"},
    "/history/{ruleset}": {"get", "delete"},
    "/privacy/consents": {"get"},
    "/privacy/consents/{purpose}": {"post", "delete"},
    "/privacy/export": {"get"},
    "/privacy/erasure": {"post"},
}


def test_health_ready_metrics_and_the_api_description(site: Site) -> None:
    with httpx.Client(base_url=site.base) as c:
        assert c.get("/health").json() == {"status": "ok"}
        assert c.get("/ready").json() == {"status": "ready"}
        c.get(f"/t/{site.acme}/history/ksp")
        metrics = c.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'ksp_http_requests_total{method="GET",route="/health",status="200"}' in metrics.text
        assert 'route="/history/{ruleset}",status="401"' in metrics.text
        assert "ksp_http_request_duration_seconds_bucket" in metrics.text
        schema = c.get("/openapi.json").json()
        assert schema["openapi"].startswith("3.")
        assert {p: set(ops) for p, ops in schema["paths"].items()} == ROUTES
        for ops in schema["paths"].values():
            assert all(op["summary"] and op["responses"] for op in ops.values())
        docs = c.get("/docs")
        assert docs.headers["content-type"].startswith("text/html")
        assert "/sessions/{id}/move" in docs.text and "<script" not in docs.text
        assert is_problem(c.get("/nowhere"), 404, "not_found")
        assert is_problem(c.delete("/health"), 405)


# --- two processes on PostgreSQL + Redis ------------------------------------------


def _backends() -> tuple[str, str]:
    db, redis = os.environ.get("CAAS_TEST_DATABASE_URL"), os.environ.get("CAAS_TEST_REDIS_URL")
    if db and redis:
        return db, redis
    if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
        pytest.fail("CAAS_TEST_DATABASE_URL and CAAS_TEST_REDIS_URL are required")
    pytest.skip("PostgreSQL and Redis are not configured")


def test_two_processes_serve_one_match_without_losing_a_move() -> None:
    import psycopg

    db, redis = _backends()
    schema = f"ksp_svc_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    env = environment(
        KSP_DATABASE_URL=db,
        KSP_DATABASE_SCHEMA=schema,
        KSP_REDIS_URL=redis,
        KSP_MASTER_KEY=secrets.token_hex(32),
        KSP_PUBLIC_URL="http://ksp.test",
    )
    acme = _slug("acme")
    admin(env, "tenant", acme)
    ids = {
        name: admin(env, "user", acme, name, PASSWORD, "--subscriber")["id"]
        for name in ("ann", "bob")
    }
    with serve(env, free_port(), workers=2) as one, serve(env, free_port()) as two:
        servers = [one, two]

        def client(n: int, token: str | None = None) -> httpx.Client:
            headers = {"x-tenant-id": acme}
            if token:
                headers["authorization"] = f"Bearer {token}"
            return httpx.Client(base_url=servers[n % 2], headers=headers, timeout=10)

        def token(n: int, name: str) -> str:
            answer = client(n).post("/auth/token", json={"login": name, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            access: str = answer.json()["access_token"]
            return access

        ann, bob = token(0, "ann"), token(1, "bob")
        game_id, code = start_match(client(0, ann), "kspov", target=3)
        assert client(1, bob).post(f"/sessions/{game_id}/join", json={"code": code}).is_success

        weapons = ["rock", "paper", "water", "fire", "scissors"]
        completed: list[dict[str, Any]] = []
        with ThreadPoolExecutor(2) as pool:
            for n in range(60):
                state = client(n, ann).get(f"/sessions/{game_id}").json()
                if state["state"] == "finished":
                    break
                # Both moves at once, each to another process.
                moves = pool.map(
                    lambda job: client(job[0], job[1]).post(
                        f"/sessions/{game_id}/move", json={"weapon": job[2]}
                    ),
                    [(n, ann, weapons[n % 5]), (n + 1, bob, weapons[(n * 2 + 1) % 5])],
                )
                answers = [m.json() for m in moves]
                rounds = [a["round"] for a in answers if a["round"] is not None]
                assert len(rounds) == 1, answers  # exactly one move completed the round
                completed.append(rounds[0])

        final = client(1, bob).get(f"/sessions/{game_id}").json()
        assert final["state"] == "finished"
        assert final["rounds"] == completed
        assert [r["number"] for r in completed] == list(range(1, len(completed) + 1))
        decisive = [r for r in completed if r["outcome"] != "draw"]
        assert sum(final["scores"]) == len(decisive) and max(final["scores"]) == 3
        for n, (name, tok) in enumerate((("ann", ann), ("bob", bob))):
            items = client(n, tok).get("/history/kspov").json()["items"]
            assert [i["id"] for i in items] == [game_id], name
            assert items[0]["rounds"] == completed
            assert {p["subject"] for p in items[0]["players"]} == set(ids.values())
