"""The KSP monolith over real HTTP: Hypercorn serves it (a subprocess) on a
fresh SQLite platform; httpx follows no redirect, so each 303 and cookie is
checked as a browser would get it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bottle  # type: ignore[import-untyped]
import caas
import caas.game
import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ksp_platform import common  # noqa: E402
from ksp_platform.monolith import session  # noqa: E402

PASSWORD = "a long and unusual passphrase"
SUBSCRIBER = "narocnica"
MEMBER = "clan_brez_narocnine"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ksp-data")


@pytest.fixture(scope="module")
def env(data_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KSP_")}
    return {**clean, "KSP_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def subscriber_id(env: dict[str, str]) -> str:
    """A subscriber, made before the server starts: without Redis a running
    server does not see a role another process assigns."""
    settings = common.Settings.from_env(env)
    with settings.open() as platform:
        tenant = common.tenant(platform, settings.tenant)
        user_id = str(platform.auth.register(tenant, PASSWORD, username=SUBSCRIBER)["id"])
    done = subprocess.run(
        [sys.executable, "-m", "ksp_platform.admin", "subscribe", settings.tenant, SUBSCRIBER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert user_id in done.stdout
    unknown = subprocess.run(
        [sys.executable, "-m", "ksp_platform.admin", "subscribe", settings.tenant, "nobody"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 1 and "not_found" in unknown.stderr
    return user_id


@pytest.fixture(scope="module")
def base_url(env: dict[str, str], data_dir: Path, subscriber_id: str) -> Iterator[str]:
    port = free_port()
    with open(data_dir / "hypercorn.log", "wb") as log:
        server = subprocess.Popen(
            # The README's command.
            [sys.executable, "-m", "ksp_platform", "monolith", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (data_dir / "hypercorn.log").read_text()
            try:
                if httpx.get(url + "/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def platform(env: dict[str, str], base_url: str) -> Iterator[tuple[caas.Platform, caas.Tenant]]:
    """The same SQLite platform, opened in the test process (audit checks)."""
    settings = common.Settings.from_env(env)
    with settings.open() as opened:
        yield opened, opened.tenants.get(settings.tenant)


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)


def see_other(response: httpx.Response, location: str) -> None:
    assert response.status_code == 303, (response.status_code, response.text)
    assert response.headers["location"] == location


def login(c: httpx.Client, user: str, password: str = "") -> httpx.Response:
    return c.put("/zacetni_menu/", json={"uporabnik": user, "password": password})


@pytest.fixture(scope="module")
def subscriber(base_url: str, subscriber_id: str) -> Iterator[httpx.Client]:
    with client(base_url) as c:
        see_other(login(c, SUBSCRIBER, PASSWORD), "/end/")
        yield c


@pytest.fixture(scope="module")
def member(base_url: str) -> Iterator[httpx.Client]:
    """A user who signs up on the page (not a subscriber)."""
    with client(base_url) as c:
        see_other(
            c.post("/registracija/", data={"username": MEMBER, "password": PASSWORD}),
            "/?registriran=1",
        )
        assert "REGISTRACIJA JE USPELA" in c.get("/?registriran=1").text
        see_other(login(c, MEMBER, PASSWORD), "/end/")
        yield c


SCORE = re.compile(r'id="izid" data-igralec="(\d+)" data-racunalnik="(\d+)" data-cilj="(\d+)"')
LAST = re.compile(r'id="zadnja" data-igralec="(\w+)" data-racunalnik="(\w+)" data-izid="(\w+)"')


def score(html: str) -> tuple[int, int, int]:
    found = SCORE.search(html)
    assert found, html
    return int(found[1]), int(found[2]), int(found[3])


def new_game(c: httpx.Client, ruleset: str) -> str:
    response = c.get(f"/nova_igra_{ruleset}/")
    see_other(response, f"/{ruleset}/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{ruleset}_igra=") and "HttpOnly" in cookie
    page = c.get(f"/{ruleset}/")
    assert page.status_code == 200
    assert score(page.text)[:2] == (0, 0)
    return page.text


def play_to_end(c: httpx.Client, ruleset: str, choices: list[str]) -> tuple[str, list[Any]]:
    """Plays ``choices`` round-robin until the page shows the end; checks each
    round's weapons and result against the rules. Answers the last page and
    the rounds (orozje, player weapon, computer weapon, result)."""
    rules = caas.game.ruleset(ruleset)
    rounds: list[Any] = []
    page = c.get(f"/{ruleset}/").text
    for number in range(500):
        if 'id="konec"' in page:
            return page, rounds
        before = score(page)
        orozje = choices[number % len(choices)]
        see_other(c.post(f"/{ruleset}/", data={"orozje": orozje}), f"/{ruleset}/")
        page = c.get(f"/{ruleset}/").text
        last = LAST.search(page)
        assert last, page
        mine, theirs, result = last[1], last[2], last[3]
        assert mine == common.WEAPONS[ruleset][int(orozje)]
        expected = {"first": "zmaga", "second": "poraz", "draw": "neodloceno"}
        assert result == expected[rules.outcome(mine, theirs)]
        after = score(page)
        gained = {"zmaga": (1, 0), "poraz": (0, 1), "neodloceno": (0, 0)}[result]
        assert after[:2] == (before[0] + gained[0], before[1] + gained[1])
        rounds.append((orozje, mine, theirs, result))
    raise AssertionError("the match did not end")


def finished_match(c: httpx.Client, ruleset: str, choices: list[str]) -> tuple[int, int]:
    new_game(c, ruleset)
    page, _ = play_to_end(c, ruleset, choices)
    player, computer, target = score(page)
    assert player + computer == target == {"ksp": 7, "kspov": 15}[ruleset]
    notice = "ZMAGAL SI MOGOČNI STROJ" if player > computer else "IZGUBIL SI PROTI RAČUNALNIKU"
    assert f"{notice} Z IZIDOM {player} : {computer}" in page
    assert f'action="/nova_igra_{ruleset}/"' in page
    return player, computer


def history(c: httpx.Client, ruleset: str) -> list[dict[str, Any]]:
    response = c.get(f"/zgodovina_{ruleset}/json/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    rows: list[dict[str, Any]] = response.json()
    return rows


# --- pages, headers, sessions ----------------------------------------------------


def test_login_page_headers_and_static(base_url: str) -> None:
    with client(base_url) as c:
        page = c.get("/")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"]
        assert 'name="viewport"' in page.text
        assert 'href="/registracija/"' in page.text
        assert "onclick" not in page.text and "<script>" not in page.text
        assert "NAPAČNO IME ALI GESLO" not in page.text
        script = c.get("/static/script.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert "addEventListener" in script.text and 'method: "PUT"' in script.text
        assert c.get("/static/style.css").headers["x-content-type-options"] == "nosniff"
        head = c.head("/")
        assert head.status_code == 200 and head.content == b""
        missing = c.get("/ni-te-strani/")
        assert missing.status_code == 404 and "PRIŠLO JE DO NAPAKE" in missing.text
        assert "default-src 'self'" in missing.headers["content-security-policy"]
        assert c.get("/static/../web.py").status_code in (400, 403, 404)


def test_head_where_the_original_answered(base_url: str) -> None:
    with client(base_url) as c:
        see_other(c.head("/zacetni_menu/"), "/end/")
        see_other(c.head("/nova_igra_ksp/"), "/ksp/")
        see_other(c.head("/nova_igra_kspov/"), "/kspov/")
        see_other(c.head("/brisi_ksp/"), "/zgodovina_ksp/")
        see_other(c.head("/brisi_kspov/"), "/zgodovina_kspov/")
        see_other(c.head("/end/"), "/")  # a page: without a session, to the login
        options = c.options("/zacetni_menu/")
        assert options.status_code == 204
        assert "access-control-allow-origin" not in options.headers


def test_failed_login_shows_the_notice(base_url: str, subscriber_id: str) -> None:
    with client(base_url) as c:
        see_other(login(c, SUBSCRIBER, "not the password"), "/?valid=0")
        see_other(login(c, "nobody-here", PASSWORD), "/?valid=0")
        assert not c.cookies
        notice = c.get("/?valid=0")
        assert notice.status_code == 200 and "NAPAČNO IME ALI GESLO" in notice.text
        see_other(c.get("/end/"), "/")


def test_pages_without_a_session_go_to_login(base_url: str) -> None:
    with client(base_url) as c:
        for path in (
            "/end/",
            "/nova_igra_ksp/",
            "/ksp/",
            "/kspov/",
            "/zgodovina_ksp/",
            "/zgodovina_kspov/json/",
            "/zgodovina_ksp/xml/",
        ):
            see_other(c.get(path), "/")
        see_other(c.post("/ksp/", data={"orozje": "0"}), "/")
        see_other(c.delete("/brisi_kspov/"), "/")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0." + "A" * 86,
        "ä" * 10,
    ],
)
def test_forged_token_cookie_goes_to_login(base_url: str, token: str) -> None:
    with client(base_url) as c:
        response = c.get("/end/", headers={b"Cookie": b"ksp_dostop=" + token.encode()})
        see_other(response, "/")
        assert 'ksp_dostop=""' in response.headers.get("set-cookie", "")


def test_tampered_token_goes_to_login(base_url: str, subscriber: httpx.Client) -> None:
    token = subscriber.cookies["ksp_dostop"]
    header, payload, signature = token.split(".")
    with client(base_url) as c:
        c.cookies.set("ksp_dostop", f"{header}.{payload}.{signature[::-1]}")
        see_other(c.get("/end/"), "/")


def test_cross_origin_writes_are_refused(base_url: str) -> None:
    with client(base_url) as c:
        response = c.put(
            "/zacetni_menu/", json={"uporabnik": "Gost"}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403 and not c.cookies


class _Expiring:
    """The platform, except that ``tokens.verify`` refuses one token as the
    platform refuses an expired one (waiting out the real expiry and its
    30 s leeway would be slow)."""

    def __init__(self, real: caas.Platform, expired: str) -> None:
        self.auth = real.auth
        self._real, self._expired = real, expired
        self.tokens = self

    def verify(self, tenant: caas.Tenant, token: str) -> caas.Claims:
        if token == self._expired:
            raise caas.InvalidToken("the token expired", code="invalid_token")
        return self._real.tokens.verify(tenant, token)


def _bind(cookies: dict[str, str]) -> None:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    bottle.request.bind(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/end/",
            "HTTP_HOST": "ksp.test",
            "HTTP_COOKIE": header,
        }
    )
    bottle.response.bind()


def test_an_expired_access_token_is_refreshed(tmp_path: Path) -> None:
    with common.Settings(data_dir=str(tmp_path)).open() as real:
        tenant = common.tenant(real, "ksp")
        real.auth.register(tenant, PASSWORD, username="osvezitev")
        tokens = real.auth.login(tenant, "osvezitev", PASSWORD)
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        platform = _Expiring(real, expired=access)
        _bind({session.ACCESS: access, session.REFRESH: refresh})
        claims = session.claims(platform, tenant)  # type: ignore[arg-type]
        set_cookies = [v for k, v in bottle.response.headerlist if k == "Set-Cookie"]
        new = dict(c.split(";")[0].split("=", 1) for c in set_cookies)
        assert new[session.ACCESS] not in ("", access) and new[session.REFRESH] not in ("", refresh)
        assert all("HttpOnly" in c and "SameSite=lax" in c for c in set_cookies)
        assert real.tokens.verify(tenant, new[session.ACCESS]).sub == claims.sub
        # No refresh token, or a spent one: no session.
        _bind({session.ACCESS: access})
        with pytest.raises(session.NoSession):
            session.claims(platform, tenant)  # type: ignore[arg-type]
        _bind({session.ACCESS: access, session.REFRESH: "caas_rt_not-a-real-one"})
        with pytest.raises(session.NoSession):
            session.claims(platform, tenant)  # type: ignore[arg-type]


# --- guests, sign-up, logout -------------------------------------------------------


def test_guest_logs_in_and_plays_ksp(base_url: str) -> None:
    with client(base_url) as c:
        response = login(c, "Gost")
        see_other(response, "/end/")
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        assert "secure" not in cookie.lower()  # plain http
        assert "DOBRODOŠLI GOST IZBERITE SI IGRO" in c.get("/end/").text
        player, computer = finished_match(c, "ksp", ["0", "1", "2"])
        # The match is over: another move changes nothing.
        see_other(c.post("/ksp/", data={"orozje": "0"}), "/ksp/")
        assert score(c.get("/ksp/").text)[:2] == (player, computer)
        assert history(c, "ksp") == []
        see_other(c.delete("/brisi_ksp/"), "/zgodovina_ksp/")
    with client(base_url) as c:  # an empty uporabnik is a guest too
        see_other(login(c, ""), "/end/")
        assert "GOST" in c.get("/end/").text
    with client(base_url) as c:  # the login form without script: a POST
        see_other(c.post("/zacetni_menu/", data={"uporabnik": "Gost"}), "/end/")
        assert "GOST" in c.get("/end/").text


def test_cookies_are_secure_on_https(base_url: str) -> None:
    with client(base_url) as c:  # as behind a TLS proxy
        response = c.put(
            "/zacetni_menu/", json={"uporabnik": "Gost"}, headers={"X-Forwarded-Proto": "https"}
        )
        see_other(response, "/end/")
        assert "; Secure" in response.headers["set-cookie"]


def test_sign_up_errors_name_the_field(base_url: str, member: httpx.Client) -> None:
    with client(base_url) as c:
        form = c.get("/registracija/")
        assert form.status_code == 200 and 'name="username"' in form.text
        short = c.post("/registracija/", data={"username": "novinec", "password": "kratko"})
        assert short.status_code == 400 and 'data-field="password"' in short.text
        bad = c.post(
            "/registracija/", data={"username": '"><script>x</script>', "password": PASSWORD}
        )
        assert bad.status_code == 400 and 'data-field="username"' in bad.text
        assert "<script>x" not in bad.text and "&lt;script&gt;" in bad.text
        taken = c.post("/registracija/", data={"username": MEMBER, "password": PASSWORD})
        assert taken.status_code == 409 and 'data-field="username"' in taken.text
    assert f"DOBRODOŠLI {MEMBER.upper()}" in member.get("/end/").text


def test_logout_ends_the_session(base_url: str) -> None:
    with client(base_url) as c:
        see_other(login(c, MEMBER, PASSWORD), "/end/")
        token = c.cookies["ksp_dostop"]
        response = c.post("/odjava/")
        see_other(response, "/")
        assert "ksp_dostop" not in c.cookies
    with client(base_url) as c:
        c.cookies.set("ksp_dostop", token)
        see_other(c.get("/end/"), "/")  # revoked


# --- games -----------------------------------------------------------------------


def test_kspov_labels_and_water_and_fire(base_url: str, member: httpx.Client) -> None:
    page = new_game(member, "kspov")
    labels = dict(
        re.findall(r'value="(\d)" id="orozje-\d" required>\s*<label for="orozje-\d">(\w+)<', page)
    )
    assert labels == {"0": "KAMEN", "1": "ŠKARJE", "2": "PAPIR", "3": "VODA", "4": "OGENJ"}
    page, rounds = play_to_end(member, "kspov", ["3", "4"])
    assert {(orozje, mine) for orozje, mine, _, _ in rounds} == {("3", "water"), ("4", "fire")}
    player, computer, target = score(page)
    assert player + computer == target == 15


def test_bad_orozje_is_400_and_changes_nothing(base_url: str, member: httpx.Client) -> None:
    new_game(member, "ksp")
    see_other(member.post("/ksp/", data={"orozje": "1"}), "/ksp/")
    before = member.get("/ksp/").text
    for data in (
        {"orozje": "5"},
        {"orozje": "3"},
        {"orozje": "x"},
        {"orozje": "-1"},
        {"orozje": ""},
        {},
    ):
        response = member.post("/ksp/", data=data)
        assert response.status_code == 400, data
        assert "orozje" in response.text
        assert "default-src 'self'" in response.headers["content-security-policy"]
    after = member.get("/ksp/").text
    assert score(after) == score(before)
    assert LAST.search(after)[0] == LAST.search(before)[0]  # type: ignore[index]
    response = member.post("/kspov/", data={"orozje": "5"})
    assert response.status_code in (303, 400)


def test_another_players_game_is_not_shown_or_played(base_url: str, member: httpx.Client) -> None:
    new_game(member, "ksp")
    see_other(member.post("/ksp/", data={"orozje": "0"}), "/ksp/")
    before = member.get("/ksp/").text
    with client(base_url) as guest:
        see_other(login(guest, "Gost"), "/end/")
        for game_id in (
            member.cookies["ksp_igra"],
            "not-a-game",
            "01a2523a-e1b9-751d-a0b6-1f8789a6dba8",
        ):
            guest.cookies.set("ksp_igra", game_id)
            see_other(guest.get("/ksp/"), "/nova_igra_ksp/")
            see_other(guest.post("/ksp/", data={"orozje": "0"}), "/nova_igra_ksp/")
    with client(base_url) as c:  # no game cookie at all
        see_other(login(c, "Gost"), "/end/")
        see_other(c.get("/kspov/"), "/nova_igra_kspov/")
    assert member.get("/ksp/").text == before
    ksp_game = member.cookies["ksp_igra"]
    member.cookies.delete("kspov_igra")
    member.cookies.set("kspov_igra", ksp_game)  # a KŠP game is no KŠPOV one
    see_other(member.get("/kspov/"), "/nova_igra_kspov/")


def test_a_non_subscribers_match_is_not_kept(base_url: str, member: httpx.Client) -> None:
    finished_match(member, "ksp", ["2"])
    assert history(member, "ksp") == []
    assert history(member, "kspov") == []  # the KŠPOV match above was not kept either
    page = member.get("/zgodovina_ksp/")
    assert page.status_code == 200 and "Ni še odigranih iger." in page.text


def test_subscriber_history_json_and_xml(base_url: str, subscriber: httpx.Client) -> None:
    ksp = finished_match(subscriber, "ksp", ["0", "2"])
    kspov = [finished_match(subscriber, "kspov", ["4", "3", "0"]) for _ in range(2)]
    rows = history(subscriber, "ksp")
    assert [(r["igralec"], r["racunalnik"]) for r in rows] == [ksp]
    assert set(rows[0]) == {"id", "igralec", "racunalnik"}
    kspov_rows = history(subscriber, "kspov")
    assert sorted((r["igralec"], r["racunalnik"]) for r in kspov_rows) == sorted(kspov)
    xml = subscriber.get("/zgodovina_kspov/xml/")
    assert xml.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(xml.text)
    assert root.tag == "igre"
    parsed = [
        {
            "id": game.get("id"),
            "igralec": int(game.findtext("igralec") or -1),
            "racunalnik": int(game.findtext("racunalnik") or -1),
        }
        for game in root.findall("igra")
    ]
    assert parsed == kspov_rows
    page = subscriber.get("/zgodovina_kspov/").text
    assert f"ZGODOVINA IGER KŠPOV UPORABNIK: {SUBSCRIBER.upper()}" in page
    for row in kspov_rows:
        assert (
            f"ID {row['id']}: igralec - {row['igralec']}, računalnik - {row['racunalnik']}" in page
        )
    assert 'data-brisi="/brisi_kspov/"' in page
    assert 'href="/zgodovina_ksp/"' in subscriber.get("/ksp/").text  # subscribers see the link


def test_erasing_kspov_keeps_ksp_and_the_audit_log(
    subscriber: httpx.Client,
    subscriber_id: str,
    platform: tuple[caas.Platform, caas.Tenant],
) -> None:
    opened, tenant = platform
    if not history(subscriber, "kspov"):
        finished_match(subscriber, "kspov", ["1"])
    if not history(subscriber, "ksp"):
        finished_match(subscriber, "ksp", ["1"])
    ksp_before, kspov_before = history(subscriber, "ksp"), history(subscriber, "kspov")
    before = opened.privacy.audit_checkpoint(tenant)
    see_other(subscriber.delete("/brisi_kspov/"), "/zgodovina_kspov/")
    assert history(subscriber, "kspov") == []
    assert "Ni še odigranih iger." in subscriber.get("/zgodovina_kspov/").text
    assert history(subscriber, "ksp") == ksp_before
    verified = opened.privacy.verify_audit_log(tenant)
    assert verified["problems"] == [] and verified.get("ok", True)
    after = opened.privacy.audit_checkpoint(tenant)
    old, new = before["checkpoint"], after["checkpoint"]
    assert new["size"] > old["size"]
    proof = opened.privacy.audit_consistency_proof(tenant, old["size"], new["size"])
    assert caas.verify_audit_consistency(before, after, proof)
    entries = opened.privacy.audit_entries(tenant, start=old["size"], limit=100)
    erased = [e for e in entries if e.get("action") == "privacy.category_erased"]
    assert len(erased) == 1, entries
    assert erased[0]["target"] == erased[0]["actor"] == subscriber_id
    details = erased[0]["details"]
    assert (details["category"], details["part"]) == (common.GAME_HISTORY, "kspov")
    assert details["records"] == len(kspov_before)


def test_a_player_exports_then_erases_their_data(base_url: str) -> None:
    with client(base_url) as c:
        signed_up = c.post("/registracija/", data={"username": "zala", "password": PASSWORD})
        see_other(signed_up, "/?registriran=1")
        see_other(login(c, "zala", PASSWORD), "/end/")
        menu = c.get("/end/")
        assert 'href="/moji_podatki/"' in menu.text and 'data-brisi="/izbrisi_me/"' in menu.text
        finished_match(c, "ksp", ["0"])
        exported = c.get("/moji_podatki/")
        assert exported.status_code == 200
        assert exported.headers["content-disposition"].startswith("attachment")
        sources = {m["source"] for m in exported.json()["manifest"]}
        assert {"caas-auth.accounts", "caas-game.history"} <= sources
        token = c.cookies["ksp_dostop"]
        see_other(c.delete("/izbrisi_me/"), "/")
        assert "ksp_dostop" not in c.cookies
    with client(base_url) as c:
        c.cookies.set("ksp_dostop", token)
        see_other(c.get("/end/"), "/")  # the account and its sessions are gone
        see_other(login(c, "zala", PASSWORD), "/?valid=0")
        # A guest has nothing to export or erase.
        see_other(login(c, "Gost"), "/end/")
        assert 'href="/moji_podatki/"' not in c.get("/end/").text
        assert c.get("/moji_podatki/").status_code == 403
        assert c.delete("/izbrisi_me/").status_code == 403
