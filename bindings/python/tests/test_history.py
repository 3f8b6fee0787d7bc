"""Game history as an application shapes it: matches kept out of it, one
rule set's matches erased as a data-subject erasure of the game category,
and the audit log provably only growing across the erasure."""

from __future__ import annotations

from typing import Any

import pytest

import caas


def finish(platform: caas.Platform, tenant: caas.Tenant, player: str, game: dict[str, Any]) -> None:
    """Plays rock until the match ends."""
    game_id = game["game"]["id"]
    while game["game"]["state"] != "finished":
        game = platform.games.play(tenant, game_id, player, "rock")


def total(platform: caas.Platform, tenant: caas.Tenant, player: str, ruleset: str) -> int:
    return int(platform.games.history(tenant, player, ruleset=ruleset)["total"])


def test_a_match_kept_out_of_the_history_leaves_no_trace(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    me = ann["id"]
    finish(
        platform, tenant, me, platform.games.start(tenant, me, "ksp", target=1, keep_history=False)
    )
    assert total(platform, tenant, me, "ksp") == 0
    finish(platform, tenant, me, platform.games.start(tenant, me, "ksp", target=1))
    assert total(platform, tenant, me, "ksp") == 1
    with pytest.raises(caas.InvalidInput) as refused:
        platform.games.start(tenant, me, "ksp", opponent="player", keep_history=False)
    assert refused.value.code == "not_for_player_games"


def test_one_rule_sets_history_is_erased_audited_and_the_log_still_consistent(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    me = ann["id"]
    for ruleset in ("ksp", "kspov"):
        finish(platform, tenant, me, platform.games.start(tenant, me, ruleset, target=1))
    platform.privacy.audit(tenant, actor=me, action="ksp.played", target=me)
    before = platform.privacy.audit_checkpoint(tenant)

    report = platform.privacy.erase_category(tenant, me, "game_history", part="kspov", by=me)
    assert report["keys_shredded"] is False
    assert [s["records"] for s in report["sources"] if s["source"] == "caas-game.history"] == [1]
    assert total(platform, tenant, me, "kspov") == 0
    assert total(platform, tenant, me, "ksp") == 1

    after = platform.privacy.audit_checkpoint(tenant)
    size = after["checkpoint"]["size"]
    last = platform.privacy.audit_entries(tenant, start=size - 1, limit=1)[0]
    assert (last["action"], last["target"], last["actor"]) == ("privacy.category_erased", me, me)
    assert last["details"]["part"] == "kspov"
    assert platform.privacy.verify_audit_log(tenant)["ok"] is True
    proof = platform.privacy.audit_consistency_proof(tenant, before["checkpoint"]["size"], size)
    key = after["verifier_key"]
    assert caas.verify_audit_consistency(before, after, proof, trusted_key=key) is True
    # Swapped, forged or signed by another key: refused.
    assert caas.verify_audit_consistency(after, before, proof) is False
    forged = {**proof, "hashes": ["00" * 32 for _ in proof["hashes"]]}
    assert caas.verify_audit_consistency(before, after, forged) is False
    other = platform.tenants.create(f"o-{tenant.slug}", "Other")
    platform.privacy.audit(other, actor="x", action="test.entry", target="x")
    foreign = platform.privacy.audit_checkpoint(other)["verifier_key"]
    assert caas.verify_audit_consistency(before, after, proof, trusted_key=foreign) is False


def test_category_erasure_refusals_change_nothing(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    me = ann["id"]
    finish(platform, tenant, me, platform.games.start(tenant, me, "ksp", target=1))
    size = platform.privacy.audit_checkpoint(tenant)["checkpoint"]["size"]
    cases = [
        ({"category": "nothing"}, caas.NotFound, "unknown_category"),
        ({"category": "security_events"}, caas.InvalidInput, "category_not_separable"),
        (
            {"category": "game_history", "part": "ksp", "method": "anonymize"},
            caas.InvalidInput,
            "invalid_input",
        ),
        ({"category": "game_history", "method": "shred"}, caas.InvalidInput, "invalid_input"),
        ({"category": ""}, caas.InvalidInput, "invalid_input"),
    ]
    for kwargs, kind, code in cases:
        with pytest.raises(kind) as refused:
            platform.privacy.erase_category(tenant, me, by=me, **kwargs)
        assert refused.value.code == code, kwargs
    assert total(platform, tenant, me, "ksp") == 1
    assert platform.privacy.audit_checkpoint(tenant)["checkpoint"]["size"] == size

    # A legal hold on the category keeps it.
    hold = platform.privacy.place_hold(
        tenant,
        {"category": "game_history", "reason": "tournament dispute", "case_reference": "C-1"},
        by="admin",
    )
    report = platform.privacy.erase_category(tenant, me, "game_history", by=me)
    assert report["limited_by"] == [hold["id"]]
    assert total(platform, tenant, me, "ksp") == 1


async def test_the_async_twins(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    me = ann["id"]
    game = await platform.games.astart(tenant, me, "ksp", target=1, keep_history=False)
    assert game["game"]["state"] == "in_progress"
    report = await platform.privacy.aerase_category(tenant, me, "game_history", by=me)
    assert report["method"] == "delete"
    size = (await platform.privacy.aaudit_checkpoint(tenant))["checkpoint"]["size"]
    proof = await platform.privacy.aaudit_consistency_proof(tenant, size, size)
    assert proof["hashes"] == []


def test_a_filed_erasure_request_is_verified_then_carried_out(
    platform: caas.Platform, tenant: caas.Tenant, ann: dict[str, Any]
) -> None:
    me = ann["id"]
    finish(platform, tenant, me, platform.games.start(tenant, me, "ksp", target=1))
    filed = platform.privacy.submit_request(tenant, me, {"kind": "erasure"}, by=me)
    assert [r["id"] for r in platform.privacy.requests(tenant, subject=me)] == [filed["id"]]
    with pytest.raises(caas.CaasError):  # the requester's identity first
        platform.privacy.approve_request(tenant, filed["id"], by="admin")
    verified = platform.privacy.verify_request(tenant, filed["id"], by="admin", note="ID seen")
    assert verified["state"] == "verified"
    done = platform.privacy.approve_request(tenant, filed["id"], by="admin")
    assert done["state"] == "completed"
    assert platform.privacy.request(tenant, filed["id"])["state"] == "completed"
    assert total(platform, tenant, me, "ksp") == 0
    with pytest.raises(caas.NotFound):
        platform.privacy.request(tenant, "no-such-request")
