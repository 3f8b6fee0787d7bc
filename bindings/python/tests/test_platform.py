"""The embedded platform from Python: each namespace's happy path and its
refusals, on SQLite and (in CI) PostgreSQL + Redis, sync and async."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pyotp
import pytest

import caas
from conftest import PASSWORD

ALLOW = {"extensions": {"auth": {"allow_registration": True}}}


def login(platform: caas.Platform, tenant: caas.Tenant) -> dict[str, Any]:
    return platform.auth.login(tenant, "ann@acme.example", PASSWORD)


def test_tenants_are_found_by_slug_and_id(platform: caas.Platform, tenant: caas.Tenant) -> None:
    assert platform.tenants.get(tenant.slug) == tenant
    assert platform.tenants.get(tenant.id).slug == tenant.slug
    assert tenant in platform.tenants.list()
    assert tenant.status == "active"
    with pytest.raises(caas.NotFound):
        platform.tenants.get("no-such-tenant")
    with pytest.raises(caas.Conflict):
        platform.tenants.create(tenant.slug, "Again")


def test_login_refresh_logout(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    with pytest.raises(caas.Unauthenticated) as raised:
        platform.auth.login(tenant, "ann@acme.example", "wrong password")
    assert raised.value.code == "invalid_credentials"
    tokens = login(platform, tenant)
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    claims = platform.tokens.verify(tenant, tokens["access_token"])
    assert claims.sub == ann["id"] and claims.sid == tokens["session_id"]
    assert [s["id"] for s in platform.auth.sessions(tenant, ann["id"])] == [tokens["session_id"]]

    fresh = platform.auth.refresh(tenant, tokens["refresh_token"])
    assert fresh["refresh_token"] != tokens["refresh_token"]
    # The old refresh token again: reuse, the whole session ends.
    with pytest.raises(caas.Unauthenticated):
        platform.auth.refresh(tenant, tokens["refresh_token"])
    with pytest.raises(caas.Unauthenticated):
        platform.auth.refresh(tenant, fresh["refresh_token"])

    again = login(platform, tenant)
    claims = platform.tokens.verify(tenant, again["access_token"])
    platform.auth.logout(tenant, claims)
    with pytest.raises(caas.InvalidToken):
        platform.tokens.verify(tenant, again["access_token"])


def test_totp_second_factor_with_pyotp(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    enrollment = platform.auth.enroll_totp(tenant, ann["id"])
    assert enrollment["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(enrollment["secret"])
    with pytest.raises(caas.CaasError):
        platform.auth.confirm_totp(
            tenant, ann["id"], "000000" if totp.now() != "000000" else "111111"
        )
    backup = platform.auth.confirm_totp(tenant, ann["id"], totp.now())
    assert len(backup) >= 8
    step = login(platform, tenant)
    assert step["mfa_required"] is True and "totp" in step["methods"]
    with pytest.raises(caas.Unauthenticated):
        platform.auth.verify_mfa(tenant, step["challenge_id"], "12345")
    tokens = platform.auth.verify_mfa(tenant, step["challenge_id"], backup[0])
    assert platform.tokens.verify(tenant, tokens["access_token"]).amr


def test_api_keys_are_capped_by_and_die_with_their_owner(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    claims = platform.tokens.verify(tenant, login(platform, tenant)["access_token"])
    created = platform.auth.create_api_key(tenant, claims, "ci", scopes=[])
    assert created["key"].startswith("caas_") and created["owner_id"] == ann["id"]
    found = platform.auth.authenticate_api_key(tenant, created["key"])
    assert found["id"] == created["id"]
    with pytest.raises(caas.Forbidden):
        platform.auth.create_api_key(tenant, claims, "too much", scopes=["tenant:write"])
    with pytest.raises(caas.Unauthenticated):
        platform.auth.authenticate_api_key(tenant, created["key"][:-2] + "xx")
    platform.auth.delete_api_key(tenant, claims, created["id"])
    with pytest.raises(caas.Unauthenticated):
        platform.auth.authenticate_api_key(tenant, created["key"])


def test_tickets_are_single_use(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    claims = platform.tokens.verify(tenant, login(platform, tenant)["access_token"])
    ticket = platform.auth.issue_ticket(tenant, claims)
    redeemed = platform.auth.redeem_ticket(tenant, ticket)
    assert platform.tokens.verify(tenant, redeemed["access_token"]).sub == ann["id"]
    with pytest.raises(caas.Unauthenticated):
        platform.auth.redeem_ticket(tenant, ticket)


def test_a_user_is_found_by_login(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    assert platform.auth.find_user(tenant, "ANN@acme.example")["id"] == ann["id"]
    with pytest.raises(caas.NotFound):
        platform.auth.find_user(tenant, "nobody@acme.example")
    other = platform.tenants.create(f"f-{tenant.slug}", "Other")
    with pytest.raises(caas.NotFound):
        platform.auth.find_user(other, "ann@acme.example")


def test_a_ticket_expires_after_its_ttl(tmp_path: Any) -> None:
    with pytest.raises(caas.InvalidInput) as refused:
        caas.Platform.open("sqlite::memory:", ticket_ttl=0.5)
    assert refused.value.field == "ticket_ttl"
    with pytest.raises(caas.InvalidInput):
        caas.Platform.open("sqlite::memory:", ticket_ttl=601)
    with caas.Platform.open("sqlite::memory:", ticket_ttl=1) as platform:
        tenant = platform.tenants.create("ttl", "TTL", settings=ALLOW)
        platform.auth.register(tenant, PASSWORD, email="ann@acme.example")
        claims = platform.tokens.verify(tenant, login(platform, tenant)["access_token"])
        fresh = platform.auth.issue_ticket(tenant, claims)
        stale = platform.auth.issue_ticket(tenant, claims)
        assert platform.auth.redeem_ticket(tenant, fresh)["access_token"]
        time.sleep(1.3)
        with pytest.raises(caas.Unauthenticated):
            platform.auth.redeem_ticket(tenant, stale)


def test_another_tenants_data_is_not_found(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    beta = platform.tenants.create(f"b-{tenant.slug}", "Beta")
    with pytest.raises(caas.NotFound):
        platform.auth.user(beta, ann["id"])
    game = platform.games.start(tenant, ann["id"], "ksp")
    with pytest.raises(caas.NotFound):
        platform.games.get(beta, game["game"]["id"], ann["id"])
    sealed = platform.keys.seal(tenant, "notes", b"secret")
    with pytest.raises(caas.CaasError):
        platform.keys.open(beta, "notes", sealed)


def test_authorization_decisions_and_route_checks(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    me = {"type": "User", "id": ann["id"]}
    plan = {"type": "Doc", "id": "plan"}
    request = {"principal": me, "action": "read", "resource": plan}
    assert platform.authz.authorize(tenant, request)["allow"] is False
    platform.authz.add_access(tenant, plan, me, "viewer")
    decision = platform.authz.authorize(tenant, request)
    assert decision["allow"] is True and decision["roles"]
    assert "read" in platform.authz.actions(tenant, me, plan)
    batch = platform.authz.authorize_batch(tenant, [request, {**request, "action": "delete"}])
    assert [d["allow"] for d in batch] == [True, False]
    with pytest.raises(caas.InvalidInput):
        platform.authz.authorize(tenant, {"principal": me, "action": "read"})

    claims = platform.tokens.verify(tenant, login(platform, tenant)["access_token"])
    check = caas.RouteCheck
    platform.authz.check_route(check.authenticated(), claims, tenant=tenant)
    refusals = {
        "missing_token": (check.authenticated(), None),
        "insufficient_scope": (check.scope("tenant:write"), claims),
        "insufficient_role": (check.role("admin"), claims),
        "insufficient_scope_or_role": (check.scope_or_role("tenant:write", "admin"), claims),
    }
    for code, (route, who) in refusals.items():
        with pytest.raises(caas.CaasError) as raised:
            platform.authz.check_route(route, who, tenant=tenant)
        assert raised.value.code == code, route
    platform.authz.assign_role(tenant, "viewer", me)
    platform.authz.check_route(check.role("viewer"), claims, tenant=tenant)
    platform.authz.check_route(
        check.resource("viewer", "read"), claims, tenant=tenant, resource=("Doc", "plan")
    )
    with pytest.raises(caas.Forbidden) as raised:
        platform.authz.check_route(
            check.resource("viewer", "share"), claims, tenant=tenant, resource=("Doc", "plan")
        )
    assert raised.value.code == "resource_access_denied"
    with pytest.raises(caas.Forbidden) as raised:
        platform.authz.check_route(
            check.resource("admin", "read"), claims, tenant=tenant, resource=("Doc", "plan")
        )
    assert raised.value.code == "base_role_missing"


def test_keys_seal_open_and_shred(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    sealed = platform.keys.seal(tenant, "notes", b"tenant secret")
    assert b"tenant secret" not in sealed
    assert platform.keys.open(tenant, "notes", sealed) == b"tenant secret"
    with pytest.raises(caas.CaasError):
        platform.keys.open(tenant, "other-purpose", sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(caas.CaasError):
        platform.keys.open(tenant, "notes", tampered)
    mine = platform.keys.seal(tenant, "notes", b"ann's", subject=ann["id"])
    assert platform.keys.open(tenant, "notes", mine, subject=ann["id"]) == b"ann's"
    platform.keys.shred(tenant, ann["id"])
    with pytest.raises(caas.CaasError):
        platform.keys.open(tenant, "notes", mine, subject=ann["id"])


def test_a_game_against_the_computer_to_the_end(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    started = platform.games.start(tenant, ann["id"], "kspov", target=1)
    game_id = started["game"]["id"]
    with pytest.raises(caas.InvalidInput):
        platform.games.play(tenant, game_id, ann["id"], "sword")
    for _ in range(50):
        answer = platform.games.play(tenant, game_id, ann["id"], "voda")
        if answer["game"]["state"] != "in_progress":
            break
    assert answer["game"]["state"] == "finished"
    assert platform.games.stats(tenant, ann["id"])["matches"] == 1
    assert platform.games.history(tenant, ann["id"])["items"][0]["ruleset"] == "kspov"
    assert platform.games.delete_history(tenant, ann["id"]) == 1
    with pytest.raises(caas.InvalidInput):
        platform.games.start(tenant, ann["id"], "ksp", opponent="nobody")


def test_privacy_consent_export_erasure_and_the_audit_log(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    platform.privacy.put_purpose(
        tenant,
        {
            "id": "newsletter",
            "description": "Monthly news",
            "legal_basis": "consent",
            "retention": "P1Y",
        },
        by="admin",
    )
    platform.privacy.give_consent(
        tenant, ann["id"], {"purpose": "newsletter", "notice_version": "v1"}
    )
    assert platform.privacy.has_consent(tenant, ann["id"], "newsletter")
    platform.privacy.withdraw_consent(tenant, ann["id"], "newsletter")
    assert not platform.privacy.has_consent(tenant, ann["id"], "newsletter")
    with pytest.raises(caas.NotFound):
        platform.privacy.give_consent(
            tenant, ann["id"], {"purpose": "unknown", "notice_version": "v1"}
        )

    exported = platform.privacy.export_subject(tenant, ann["id"])
    assert exported["manifest"] and str(ann["id"]) in str(exported["document"])
    platform.privacy.audit(tenant, actor="admin", action="app.checked", target=ann["id"])
    report = platform.privacy.erase_subject(tenant, ann["id"])
    assert report
    with pytest.raises(caas.NotFound):
        platform.auth.user(tenant, ann["id"])
    verification = platform.privacy.verify_audit_log(tenant)
    assert verification["problems"] == [] and verification["size"] >= 1
    entries = platform.privacy.audit_entries(tenant)
    assert any(e.get("action") == "app.checked" or "app.checked" in str(e) for e in entries)


async def test_every_namespace_has_awaitable_forms(tmp_path: Any) -> None:
    platform = await caas.Platform.aopen("sqlite::memory:")
    tenant = await platform.tenants.acreate(
        "async-co", "Async", settings={"extensions": {"auth": {"allow_registration": True}}}
    )
    ann = await platform.auth.aregister(tenant, PASSWORD, email="ann@acme.example")
    logins = await asyncio.gather(
        *(platform.auth.alogin(tenant, "ann@acme.example", PASSWORD) for _ in range(4))
    )
    assert len({t["session_id"] for t in logins}) == 4
    claims = await platform.tokens.averify(tenant, logins[0]["access_token"])
    assert claims.sub == ann["id"]
    with pytest.raises(caas.Unauthenticated):
        await platform.auth.alogin(tenant, "ann@acme.example", "wrong")
    sealed = await platform.keys.aseal(tenant, "notes", b"x")
    assert await platform.keys.aopen(tenant, "notes", sealed) == b"x"
    await platform.aclose()


def test_a_cross_tenant_grant_and_its_revocation(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    partner = platform.tenants.create(f"p-{tenant.slug}", "Partner")
    doc = {"type": "Doc", "id": "shared"}
    with pytest.raises(caas.InvalidInput) as raised:
        platform.authz.grant(tenant, tenant.id, "bob", "viewer", doc)
    assert raised.value.field == "grantee_tenant"
    with pytest.raises(caas.InvalidInput):
        platform.authz.grant(tenant, "not-a-uuid", "bob", "viewer", doc)
    entry = platform.authz.grant(tenant, partner.id, "bob", "viewer", doc)
    assert entry["role"] == "viewer"
    revoked = platform.authz.revoke_grant(tenant, entry["id"])
    assert revoked["id"] == entry["id"]
    with pytest.raises(caas.NotFound):
        platform.authz.revoke_grant(tenant, entry["id"])


def test_a_legal_hold_keeps_data_through_erasure(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    with pytest.raises(caas.InvalidInput):
        platform.privacy.place_hold(
            tenant, {"subject": ann["id"], "reason": "", "case_reference": "C-1"}, by="legal"
        )
    hold = platform.privacy.place_hold(
        tenant,
        {"subject": ann["id"], "reason": "litigation", "case_reference": "C-1"},
        by="legal",
    )
    report = platform.privacy.erase_subject(tenant, ann["id"])
    assert hold["id"] in str(report), report
    released = platform.privacy.release_hold(tenant, hold["id"], by="legal", reason="settled")
    assert released["id"] == hold["id"]
    with pytest.raises(caas.Conflict):
        platform.privacy.release_hold(tenant, hold["id"], by="legal", reason="again")


def test_a_token_of_one_tenant_never_acts_in_another(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    beta = platform.tenants.create(f"x-{tenant.slug}", "Beta")
    access = login(platform, tenant)["access_token"]
    claims = platform.tokens.verify(tenant, access)
    for call in (
        lambda: platform.auth.create_api_key(beta, claims, "stolen"),
        lambda: platform.auth.issue_ticket(beta, claims),
        lambda: platform.auth.logout(beta, claims),
        lambda: platform.authz.check_route(caas.RouteCheck.authenticated(), claims, tenant=beta),
    ):
        with pytest.raises(caas.InvalidToken) as raised:
            call()
        assert raised.value.code == "invalid_tenant"
    # Nothing happened: the token was not logged out and still works at home.
    assert platform.tokens.verify(tenant, access).sub == ann["id"]
    platform.authz.check_route(caas.RouteCheck.authenticated(), claims, tenant=tenant)


def test_a_sqlite_file_keeps_tenants_and_keys_across_opens(tmp_path: Any) -> None:
    url = f"sqlite://{tmp_path}/caas.sqlite3"
    with caas.Platform.open(url, data_dir=str(tmp_path)) as first:
        acme = first.tenants.create("file-co", "File")
        sealed = first.keys.seal(acme, "notes", b"kept")
    with caas.Platform.open(url, data_dir=str(tmp_path)) as again:
        acme = again.tenants.get("file-co")
        assert again.keys.open(acme, "notes", sealed) == b"kept"
    with pytest.raises(caas.InvalidInput) as raised:
        caas.Platform.open("mysql://nope")
    assert raised.value.field == "database_url"
    with pytest.raises(caas.InvalidInput) as raised:
        caas.Platform.open("postgres://127.0.0.1:1/none")
    assert raised.value.field == "master_key"


def test_only_revocation_checked_claims_mint_credentials(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    access = login(platform, tenant)["access_token"]
    # A resource server's verifier cannot see a logout: its claims may
    # decide a route, but never become an API key or a ticket.
    remote = platform.tokens.verifier(tenant).verify(access)
    for call in (
        lambda: platform.auth.create_api_key(tenant, remote, "after logout"),
        lambda: platform.auth.issue_ticket(tenant, remote),
    ):
        with pytest.raises(caas.InvalidToken):
            call()
    platform.authz.check_route(caas.RouteCheck.authenticated(), remote, tenant=tenant)
    checked = platform.tokens.verify(tenant, access)
    platform.auth.logout(tenant, checked)
    with pytest.raises(caas.InvalidToken):
        platform.tokens.verify(tenant, access)
