"""KSP — Kamen, Škarje, Papir — in process.

:func:`ruleset` gives a built-in :class:`RuleSet` (``"ksp"``: rock, scissors,
paper, to 7 decisive rounds; ``"kspov"``: and fire and water, to 15);
:meth:`RuleSet.from_dict` / :meth:`RuleSet.from_json` validate a custom one
exactly as the Platform does (an invalid one raises
:class:`caas.errors.InvalidInput` whose ``code``, ``field`` and
``detail["pair"]`` name what is wrong). A weapon is named in Slovenian or
English (any case; č, š, ž may be typed c, s, z), by its id, by its 1-based
menu number as text (``"1"``) or by its 0-based index (an ``int``).

A :class:`Match` is played between two players (:meth:`Match.play`) or
against the computer (:meth:`Match.play_computer`, uniform picks,
reproducible with ``seed=``). Games stored on the Platform are not here.

Example::

    from caas.game import Match, ruleset

    rules = ruleset("ksp")
    assert rules.outcome("kamen", "scissors") == "first"
    m = Match(rules, target=3, seed=7)
    while not m.finished:
        m.play_computer("papir")
    print(m.scores, m.winner)
"""

from caas._caas import Match, Round, RuleSet, Weapon, ruleset

__all__ = ["Match", "Round", "RuleSet", "Weapon", "ruleset"]
