"""The routes: the original's paths and forms, every decision CAAS's."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import bottle  # type: ignore[import-untyped]
import caas

from .. import common
from . import session

HERE = Path(__file__).parent
VIEWS = [str(HERE / "views")]
STATIC = str(HERE / "static")
RULESETS = ("ksp", "kspov")
PER_PAGE = 100  # the most a history page holds

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Handler = Callable[..., Any]


class _Bottle(bottle.Bottle):  # type: ignore[misc]
    """Hypercorn 0.18's WSGI wrapper starts the response at the body's first
    chunk, so a body of none (a 303's, any HEAD's) came out as a 500: each
    body here has at least one."""

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = super().wsgi(environ, start_response)
        return [b""] if isinstance(body, list) and not body else body


def page(name: str, **values: Any) -> str:
    return str(bottle.template(name, template_lookup=VIEWS, **values))


def see_other(location: str) -> str:
    bottle.response.status = 303
    bottle.response.set_header("Location", location)
    return ""


def error_page(status: int, message: str) -> str:
    bottle.response.status = status
    return page("error", status=status, message=message)


def secure_headers() -> None:
    headers = bottle.response
    headers.set_header("Content-Security-Policy", CSP)
    headers.set_header("X-Content-Type-Options", "nosniff")
    headers.set_header("Referrer-Policy", "same-origin")
    if not bottle.request.path.startswith("/static/"):
        headers.set_header("Cache-Control", "no-store")


def history_rows(
    platform: caas.Platform, tenant: caas.Tenant, claims: caas.Claims, ruleset: str
) -> list[dict[str, Any]]:
    """The player's finished matches: ``{"id", "igralec", "racunalnik"}``
    (none for a guest: a guest's are never kept)."""
    rows: list[dict[str, Any]] = []
    if claims.kind != "user":
        return rows
    sub = claims.sub
    number = 1
    while True:
        found = platform.games.history(tenant, sub, ruleset=ruleset, page=number, per_page=PER_PAGE)
        for item in found["items"]:
            scores = {p.get("subject") == sub: p["score"] for p in item["players"]}
            rows.append(
                {
                    "id": item["id"],
                    "igralec": scores.get(True, 0),
                    "racunalnik": scores.get(False, 0),
                }
            )
        if not found["items"] or number * PER_PAGE >= found["total"]:
            return rows
        number += 1


def create_app(settings: common.Settings | None = None) -> bottle.Bottle:
    """The monolith on the platform ``settings`` names (default: the
    ``KSP_*`` environment), its tenant created and set up if new."""
    settings = settings or common.Settings.from_env()
    platform = settings.open()
    tenant = common.tenant(platform, settings.tenant)
    session.PUBLIC_HTTPS = settings.public_url.startswith("https://")
    # Weapon labels by caas-game's index (the game view's moves) and id.
    labels: dict[str, list[tuple[str, str]]] = {
        rules["id"]: [(w["id"], str(w["names"]["sl"]).upper()) for w in rules["weapons"]]
        for rules in platform.games.rulesets(tenant)
        if rules["id"] in RULESETS
    }
    app = _Bottle()

    def route(path: str, method: str | list[str] = "GET") -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            app.route(path, method=method, callback=handler)
            return handler

        return register

    def same_origin_only() -> None:
        origin = bottle.request.headers.get("Origin")
        if bottle.request.method not in ("GET", "HEAD", "OPTIONS") and origin:
            parts = bottle.request.urlparts
            if origin != f"{parts.scheme}://{parts.netloc}":
                raise bottle.HTTPError(403, "cross-origin request refused")

    app.add_hook("before_request", same_origin_only)
    app.add_hook("after_request", secure_headers)

    def on_error(error: Any) -> str:
        secure_headers()
        messages = {
            400: "Napačna zahteva.",
            401: "Niste prijavljeni.",
            403: "Ni dovoljeno.",
            404: "Te strani ni.",
            405: "Ta metoda tu ni dovoljena.",
            500: "Notranja napaka.",
        }
        # (The exception's text stays in the log: a 500 page says nothing more.)
        return page("error", status=error.status_code, message=messages.get(error.status_code, ""))

    for status in (400, 401, 403, 404, 405, 500):
        app.error(status)(on_error)

    def signed_in(handler: Handler) -> Handler:
        """The handler gets the verified claims; without a session, 303 to ``/``."""

        @wraps(handler)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                claims = session.claims(platform, tenant)
            except session.NoSession:
                session.end()
                return see_other("/")
            return handler(claims, *args, **kwargs)

        return run

    @route("/static/<path:path>")
    def static(path: str) -> Any:
        return bottle.static_file(path, root=STATIC)

    # --- login, sign-up, logout ------------------------------------------------

    @route("/")
    def login_page() -> str:
        return page(
            "log",
            valid=bottle.request.query.get("valid", "1") != "0",
            registered=bottle.request.query.get("registriran") == "1",
        )

    @route("/zacetni_menu/", "OPTIONS")
    def login_preflight() -> str:
        # Same-origin only: no CORS headers, so another origin's PUT is refused.
        bottle.response.status = 204
        bottle.response.set_header("Allow", "PUT, POST, HEAD, OPTIONS")
        return ""

    @route("/zacetni_menu/", "HEAD")
    def login_head() -> str:
        return see_other("/end/")

    @route("/zacetni_menu/", ["PUT", "POST"])
    def login() -> str:
        # The original's JSON (fetch PUT); a form POST when script is off.
        data = bottle.request.json if bottle.request.method == "PUT" else None
        if data is None:
            data = {k: bottle.request.forms.getunicode(k) for k in ("uporabnik", "password")}
        if not isinstance(data, dict):
            return error_page(400, "Pričakovan je JSON objekt {uporabnik, password}.")
        user = data.get("uporabnik") or ""
        password = data.get("password") or ""
        if not isinstance(user, str) or not isinstance(password, str):
            return error_page(400, "Polji uporabnik in password sta besedilo.")
        try:
            if user in ("Gost", ""):
                tokens = platform.auth.guest(tenant)
            else:
                tokens = platform.auth.login(
                    tenant,
                    user,
                    password,
                    # The peer, not X-Forwarded-For (anyone can send that).
                    ip=bottle.request.environ.get("REMOTE_ADDR"),
                    user_agent=bottle.request.headers.get("User-Agent"),
                )
        except (caas.Unauthenticated, caas.InvalidInput, caas.NotFound, caas.Forbidden):
            return see_other("/?valid=0")
        except caas.RateLimited:
            return error_page(429, "Preveč poskusov prijave. Poskusite znova pozneje.")
        if "access_token" not in tokens:  # an MFA challenge: not offered here
            return see_other("/?valid=0")
        session.start(tokens)
        return see_other("/end/")

    @route("/registracija/")
    def signup_page() -> str:
        return page("registracija", field=None, message=None, username="")

    @route("/registracija/", "POST")
    def signup() -> str:
        username = bottle.request.forms.getunicode("username") or ""
        password = bottle.request.forms.getunicode("password") or ""
        try:
            platform.auth.register(tenant, password, username=username)
        except caas.RateLimited:
            return error_page(429, "Preveč poskusov. Poskusite znova pozneje.")
        except (caas.InvalidInput, caas.Conflict) as error:
            field = error.field or ("username" if isinstance(error, caas.Conflict) else None)
            bottle.response.status = error.status
            return page("registracija", field=field, message=str(error), username=username)
        return see_other("/?registriran=1")

    @route("/odjava/", "POST")
    def logout() -> str:
        try:
            platform.auth.logout(tenant, session.claims(platform, tenant))
        except session.NoSession:
            pass
        session.end()
        return see_other("/")

    # --- the player's data (GDPR Art. 15/20 and 17, self-service) ------------------

    @route("/moji_podatki/")
    @signed_in
    def my_data(claims: caas.Claims) -> str:
        if claims.kind != "user":
            return error_page(403, "Gost nima shranjenih podatkov.")
        exported = platform.privacy.export_subject(tenant, claims.sub)
        bottle.response.content_type = "application/json; charset=utf-8"
        bottle.response.set_header(
            "Content-Disposition", 'attachment; filename="moji_podatki.json"'
        )
        return json.dumps(exported, indent=2, ensure_ascii=False)

    @route("/izbrisi_me/", "DELETE")
    @signed_in
    def erase_me(claims: caas.Claims) -> str:
        """An erasure request the signed-in player files, and the app (the
        controller) carries out at once: the session proves who asks."""
        if claims.kind != "user":
            return error_page(403, "Gost nima shranjenih podatkov.")
        privacy = platform.privacy
        filed = privacy.submit_request(tenant, claims.sub, {"kind": "erasure"}, by=claims.sub)
        privacy.verify_request(tenant, filed["id"], by="ksp-platform", note="signed-in player")
        privacy.approve_request(tenant, filed["id"], by="ksp-platform")
        session.end()
        return see_other("/")

    # --- the menu and the games --------------------------------------------------

    def name(claims: caas.Claims) -> str:
        """The user's name as the original showed it (upper-cased)."""
        if claims.kind != "user":
            return "GOST"
        user = platform.auth.user(tenant, claims.sub)
        return str(user.get("display_name") or user.get("username") or user["id"]).upper()

    @route("/end/")
    @signed_in
    def menu(claims: caas.Claims) -> str:
        return page(
            "zacetni_menu",
            uporabnik=name(claims),
            user_id=claims.sub,
            ima_racun=claims.kind == "user",
        )

    def new_game(ruleset: str) -> None:
        @route(f"/nova_igra_{ruleset}/", "HEAD")
        def head() -> str:
            return see_other(f"/{ruleset}/")

        @route(f"/nova_igra_{ruleset}/")
        @signed_in
        def start(claims: caas.Claims) -> str:
            started = platform.games.start(
                tenant,
                claims.sub,
                ruleset,
                keep_history=common.keeps_history(platform, tenant, claims),
            )
            session.set_cookie(session.GAME[ruleset], str(started["game"]["id"]))
            return see_other(f"/{ruleset}/")

    def current_game(claims: caas.Claims, ruleset: str) -> dict[str, Any] | None:
        found = session.cookie(session.GAME[ruleset])
        if found is None:
            return None
        try:
            game: dict[str, Any] = platform.games.get(tenant, found, claims.sub)
        except (caas.NotFound, caas.InvalidInput):
            return None
        return game if game["ruleset"] == ruleset else None

    def game_page(ruleset: str) -> None:
        @route(f"/{ruleset}/")
        @signed_in
        def show(claims: caas.Claims) -> str:
            game = current_game(claims, ruleset)
            if game is None:
                return see_other(f"/nova_igra_{ruleset}/")
            seat = int(game["seat"])
            names = labels[ruleset]
            last = None
            if game["rounds"]:
                moves, outcome = game["rounds"][-1]["moves"], game["rounds"][-1]["outcome"]
                mine, theirs = moves[seat], moves[1 - seat]
                won = {"first": 0, "second": 1}.get(outcome)
                last = {
                    "igralec": names[mine],
                    "racunalnik": names[theirs],
                    "izid": "neodloceno" if won is None else ("zmaga" if won == seat else "poraz"),
                }
            winner = game["winner"]
            return page(
                "igra",
                ruleset=ruleset,
                target=game["target"],
                igralec=game["scores"][seat],
                racunalnik=game["scores"][1 - seat],
                last=last,
                finished=game["state"] != "in_progress",
                won=winner is not None and int(winner) == seat,
                weapons=[dict(labels[ruleset])[w] for w in common.WEAPONS[ruleset]],
                subscriber=common.keeps_history(platform, tenant, claims),
            )

        @route(f"/{ruleset}/", "POST")
        @signed_in
        def play(claims: caas.Claims) -> str:
            game = current_game(claims, ruleset)
            if game is None:
                return see_other(f"/nova_igra_{ruleset}/")
            try:
                weapon = common.weapon(ruleset, bottle.request.forms.getunicode("orozje"))
            except caas.InvalidInput as error:
                return error_page(400, f"Polje {error.field}: {error}")
            try:
                platform.games.play(tenant, str(game["id"]), claims.sub, weapon)
            except caas.Conflict:  # the match is over: the page says so
                pass
            return see_other(f"/{ruleset}/")

    # --- the history -------------------------------------------------------------

    def history(ruleset: str) -> None:
        @route(f"/zgodovina_{ruleset}/")
        @signed_in
        def show(claims: caas.Claims) -> str:
            rows = history_rows(platform, tenant, claims, ruleset)
            return page("zgodovina", ruleset=ruleset, igre=rows, uporabnik=name(claims))

        @route(f"/zgodovina_{ruleset}/json/")
        @signed_in
        def as_json(claims: caas.Claims) -> str:
            rows = history_rows(platform, tenant, claims, ruleset)
            bottle.response.content_type = "application/json"
            return json.dumps(rows, indent=4)

        @route(f"/zgodovina_{ruleset}/xml/")
        @signed_in
        def as_xml(claims: caas.Claims) -> str:
            rows = history_rows(platform, tenant, claims, ruleset)
            root = ET.Element("igre")
            for row in rows:
                game = ET.SubElement(root, "igra", id=str(row["id"]))
                ET.SubElement(game, "igralec").text = str(row["igralec"])
                ET.SubElement(game, "racunalnik").text = str(row["racunalnik"])
            bottle.response.content_type = "application/xml; charset=utf-8"
            return ET.tostring(root, encoding="unicode")

        @route(f"/brisi_{ruleset}/", "HEAD")
        def erase_head() -> str:
            return see_other(f"/zgodovina_{ruleset}/")

        @route(f"/brisi_{ruleset}/", "DELETE")
        @signed_in
        def erase(claims: caas.Claims) -> str:
            if claims.kind == "user":  # a guest's matches are never kept
                platform.privacy.erase_category(
                    tenant, claims.sub, common.GAME_HISTORY, part=ruleset, by=claims.sub
                )
            return see_other(f"/zgodovina_{ruleset}/")

    for ruleset in RULESETS:
        new_game(ruleset)
        game_page(ruleset)
        history(ruleset)
    return app
