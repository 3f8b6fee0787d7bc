"""caas.game: rules, weapon names, custom rule sets and matches."""

# The rule sets' names have en dashes, as caas-game's do.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest

from caas.errors import Conflict, InvalidInput
from caas.game import Match, RuleSet, ruleset

MOVES: list[int | str] = ["kamen", "scissors", "3", 0]
KSP_WINS = {("rock", "scissors"), ("scissors", "paper"), ("paper", "rock")}


def test_every_pair_of_ksp() -> None:
    rules = ruleset("ksp")
    assert (rules.id, rules.target, len(rules)) == ("ksp", 7, 3)
    assert rules.name_sl == "Kamen–Škarje–Papir"
    assert rules.name_en == "Rock–Paper–Scissors"
    ids = [w.id for w in rules.weapons]
    assert ids == ["rock", "scissors", "paper"]
    for a, b in itertools.product(ids, ids):
        expected = "draw" if a == b else "first" if (a, b) in KSP_WINS else "second"
        assert rules.outcome(a, b) == expected, (a, b)
        assert rules.outcome(ids.index(a), ids.index(b)) == expected


def test_kspov_order_and_water_and_fire() -> None:
    rules = ruleset("kspov")
    assert rules.target == 15
    # caas-game's menu order: fire (ogenj) before water (voda).
    assert [w.name_sl for w in rules.weapons] == ["kamen", "škarje", "papir", "ogenj", "voda"]
    assert [w.index for w in rules.weapons] == [0, 1, 2, 3, 4]
    assert rules.outcome("voda", "ogenj") == "first"
    assert rules.outcome("fire", "water") == "second"
    for classic in ("kamen", "škarje", "papir"):
        assert rules.outcome("ogenj", classic) == "first"
        assert rules.outcome(classic, "voda") == "first"
        assert rules.outcome("water", classic) == "second"
    assert rules.outcome("ogenj", "ogenj") == "draw"


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("kamen", 0),
        ("Kamen", 0),
        ("rock", 0),
        ("ROCK", 0),
        ("Škarje", 1),
        ("škarje", 1),
        ("skarje", 1),
        ("scissors", 1),
        ("papir", 2),
        ("Paper", 2),
        (" ogenj ", 3),
        ("fire", 3),
        ("voda", 4),
        ("Water", 4),
        ("1", 0),
        ("3", 2),
        ("5", 4),
    ],
)
def test_weapons_by_name_in_both_languages_or_menu_number(text: str, index: int) -> None:
    assert ruleset("kspov").parse_weapon(text) == index


@pytest.mark.parametrize("text", ["0", "6", "-1", "", "lizard", "kamenn"])
def test_an_unknown_weapon_or_number_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as e:
        ruleset("kspov").parse_weapon(text)
    assert (e.value.code, e.value.field, e.value.status) == ("unknown_weapon", "weapon", 400)
    assert "1 rock (kamen)" in e.value.message


def test_an_unknown_builtin_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        ruleset("chess")
    assert e.value.field == "id"


def custom() -> dict[str, Any]:
    return {
        "id": "rpsls",
        "names": {
            "sl": "Kamen–Papir–Škarje–Kuščar–Spock",
            "en": "Rock–Paper–Scissors–Lizard–Spock",
        },
        "weapons": [
            {"id": w, "names": {"sl": sl, "en": w}}
            for w, sl in [
                ("rock", "kamen"),
                ("paper", "papir"),
                ("scissors", "škarje"),
                ("lizard", "kuščar"),
                ("spock", "spock"),
            ]
        ],
        "beats": [
            ["rock", "scissors"],
            ["rock", "lizard"],
            ["paper", "rock"],
            ["paper", "spock"],
            ["scissors", "paper"],
            ["scissors", "lizard"],
            ["lizard", "paper"],
            ["lizard", "spock"],
            ["spock", "rock"],
            ["spock", "scissors"],
        ],
        "target": 5,
    }


def test_a_custom_rule_set_from_a_dict_or_json() -> None:
    rules = RuleSet.from_dict(custom())
    assert (rules.id, rules.target, len(rules)) == ("rpsls", 5, 5)
    assert rules.outcome("kuscar", "spock") == "first"
    assert rules.outcome("Spock", "lizard") == "second"
    assert RuleSet.from_json(json.dumps(custom())) == rules
    assert rules.to_dict() == custom()
    assert RuleSet.from_dict(ruleset("ksp").to_dict()) == ruleset("ksp")


def refusal(rules: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        RuleSet.from_dict(rules)
    return e.value


def test_an_invalid_rule_set_names_what_is_wrong() -> None:
    incomplete = custom()
    del incomplete["beats"][9]  # spock–scissors
    e = refusal(incomplete)
    assert (e.code, e.field, e.detail) == (
        "incomplete_beats",
        "beats",
        {"pair": ["scissors", "spock"]},
    )
    assert "`scissors`" in e.message and "`spock`" in e.message

    contradictory = custom()
    contradictory["beats"].append(["scissors", "rock"])
    e = refusal(contradictory)
    assert (e.code, e.field, e.detail) == (
        "contradictory_beats",
        "beats[10]",
        {"pair": ["scissors", "rock"]},
    )

    cases: list[tuple[str, Any, str, str]] = [
        ("beats", [*custom()["beats"], ["rock", "rock"]], "self_beat", "beats[10]"),
        ("beats", [*custom()["beats"], ["rock", "lizard"]], "duplicate_beat", "beats[10]"),
        ("beats", [["rock", "dragon"]], "unknown_weapon", "beats[0][1]"),
        ("weapons", custom()["weapons"][:2], "weapon_count", "weapons"),
        ("target", 4, "invalid_target", "target"),
        ("id", "", "invalid_id", "id"),
    ]
    for key, value, code, field in cases:
        rules = copy.deepcopy(custom())
        rules[key] = value
        e = refusal(rules)
        assert (e.code, e.field) == (code, field), key

    duplicate = custom()
    duplicate["weapons"][4]["names"]["sl"] = "Kamen"
    e = refusal(duplicate)
    assert (e.code, e.field) == ("duplicate_weapon", "weapons[4]")

    numeric = custom()
    numeric["weapons"][0]["names"]["en"] = "42"
    assert refusal(numeric).field == "weapons[0].names.en"

    shape = refusal({"id": "x"})
    assert shape.field == "rules"
    with pytest.raises(InvalidInput):
        RuleSet.from_json("{not json")


def test_a_match_against_the_computer_to_completion() -> None:
    m = Match(ruleset("ksp"), target=5, seed=42)
    assert (m.state, m.target, m.scores, m.winner, m.finished) == (
        "in_progress",
        5,
        (0, 0),
        None,
        False,
    )
    weapons = itertools.cycle(MOVES)
    while not m.finished:
        r = m.play_computer(next(weapons))
        assert r.moves[1] is not None and 0 <= r.moves[1] < 3
    assert m.state == "finished"
    assert sum(m.scores) == 5
    assert m.winner == (0 if m.scores[0] > m.scores[1] else 1)
    rounds = m.rounds
    assert [r.number for r in rounds] == list(range(1, len(rounds) + 1))
    decisive = [r.outcome for r in rounds if r.outcome != "draw"]
    assert decisive.count("first") == m.scores[0]
    # The same seed plays the same match.
    again = Match(ruleset("ksp"), target=5, seed=42)
    weapons = itertools.cycle(MOVES)
    while not again.finished:
        again.play_computer(next(weapons))
    assert [r.moves for r in again.rounds] == [r.moves for r in rounds]
    assert ruleset("ksp").target == Match(ruleset("ksp")).target == 7


def test_a_match_between_two_players() -> None:
    m = Match.waiting(ruleset("kspov"), target=3)
    assert m.state == "waiting"
    with pytest.raises(Conflict) as e:
        m.play("kamen", "papir")
    assert e.value.code == "match_not_started"
    m.start()
    assert m.play("kamen", "papir").outcome == "second"
    assert m.play("ogenj", "ogenj").outcome == "draw"
    r = m.play("voda", "fire")
    assert (r.number, r.moves, r.outcome, r.forfeited_by) == (3, (4, 3), "first", None)
    assert not m.finished
    m.play("2", "Paper")
    assert (m.state, m.scores, m.winner, m.finished) == ("finished", (2, 1), 0, True)
    assert m.rules == ruleset("kspov")


def test_refusals() -> None:
    m = Match(ruleset("ksp"), target=1)
    m.play("kamen", "škarje")
    assert m.winner == 0
    with pytest.raises(Conflict) as c:
        m.play("kamen", "papir")
    assert (c.value.code, c.value.status) == ("match_finished", 409)
    with pytest.raises(Conflict):
        m.play_computer("kamen")
    assert len(m.rounds) == 1

    live = Match(ruleset("ksp"))
    with pytest.raises(InvalidInput) as e:
        live.play("kamen", "lizard")
    assert (e.value.code, e.value.field) == ("unknown_weapon", "weapon")
    with pytest.raises(InvalidInput) as e:
        live.play(0, 3)  # 0-based index out of range
    assert e.value.code == "unknown_weapon"
    with pytest.raises(InvalidInput) as e:
        live.play_computer(-1)
    assert e.value.field == "weapon"
    with pytest.raises(InvalidInput) as e:
        live.play("4", "1")  # menu number out of range
    assert e.value.code == "unknown_weapon"
    assert live.rounds == [] and live.scores == (0, 0)

    for target in (0, 2, 101):
        with pytest.raises(InvalidInput) as e:
            Match(ruleset("ksp"), target=target)
        assert (e.value.code, e.value.field) == ("invalid_target", "target")

    live.abandon()
    assert (live.state, live.finished, live.winner) == ("abandoned", True, None)
    with pytest.raises(Conflict) as c:
        live.play("kamen", "papir")
    assert c.value.code == "match_abandoned"
    with pytest.raises(Conflict):
        live.abandon()
    with pytest.raises(Conflict) as c:
        live.start()
    assert c.value.code == "match_not_waiting"
