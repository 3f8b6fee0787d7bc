//! `caas.game`: KSP — caas-game's rule sets ([`RuleSet`]: the built-in
//! `ksp` and `kspov`, or a custom one validated exactly as the Platform
//! validates it) and an in-process [`Match`] against the computer or
//! between two players. Database-backed games are the Platform's.
//!
//! A [`Match`] changes with every round, yet it is a frozen class holding a
//! `Mutex` (as `caas.e2e.Session` is): two threads playing the same match
//! take turns instead of one getting pyo3's `RuntimeError: Already
//! borrowed`. Its rounds are cheap, so they run with the GIL held.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use caas::game::rules::{Outcome, RuleSetInput};
use caas::game::{Chooser, MatchState, OsChooser, SeededChooser};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{self, from_py};
use crate::errors::{invalid, to_py};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RuleSet>()?;
    m.add_class::<Weapon>()?;
    m.add_class::<Round>()?;
    m.add_class::<Match>()?;
    m.add_function(wrap_pyfunction!(ruleset, m)?)?;
    Ok(())
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::First => "first",
        Outcome::Second => "second",
        Outcome::Draw => "draw",
    }
}

fn state_name(state: MatchState) -> &'static str {
    match state {
        MatchState::Waiting => "waiting",
        MatchState::InProgress => "in_progress",
        MatchState::Finished => "finished",
        MatchState::Abandoned => "abandoned",
    }
}

/// A weapon as Python names it: its name in Slovenian or English, its id,
/// or its menu number as text (`"1"` is the first) — or a 0-based index.
#[derive(FromPyObject)]
enum WeaponArg {
    Index(i64),
    Text(String),
}

/// A validated rule set: weapons in menu order and which beats which.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct RuleSet {
    inner: Arc<caas::game::RuleSet>,
}

impl RuleSet {
    /// The 0-based index of `weapon`; an index out of range is caas-game's
    /// refusal when played, so only a negative one is refused here.
    fn index(&self, field: &'static str, weapon: WeaponArg) -> PyResult<usize> {
        match weapon {
            WeaponArg::Text(text) => self.inner.parse_weapon(&text).map_err(to_py),
            WeaponArg::Index(i) => usize::try_from(i).map_err(|_| {
                invalid(
                    field,
                    format!("`{field}` is a 0-based weapon index, not {i}"),
                )
            }),
        }
    }
}

#[pymethods]
impl RuleSet {
    /// A custom rule set from a dict of its JSON shape (`id`, `names`
    /// `{sl, en}`, `weapons` `[{id, names}]`, `beats` `[[winner, loser]]`,
    /// `target`): refused with caas-game's error — `field` names the
    /// offending item, `detail["pair"]` the pair of weapons at fault.
    #[staticmethod]
    fn from_dict(rules: &Bound<'_, PyAny>) -> PyResult<Self> {
        let input: RuleSetInput = from_py("rules", rules)?;
        let inner = caas::game::RuleSet::new(input).map_err(to_py)?;
        Ok(RuleSet {
            inner: Arc::new(inner),
        })
    }

    /// [`RuleSet::from_dict`] from JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        let input: RuleSetInput =
            serde_json::from_str(text).map_err(|e| invalid("rules", format!("`rules`: {e}")))?;
        let inner = caas::game::RuleSet::new(input).map_err(to_py)?;
        Ok(RuleSet {
            inner: Arc::new(inner),
        })
    }

    /// The rule set as a dict of its JSON shape.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // Through JSON, so that `beats` pairs are lists, as in the JSON shape.
        let input = serde_json::to_value(RuleSetInput::from((*self.inner).clone()))
            .map_err(|e| to_py(e.into()))?;
        Ok(convert::to_py(py, &input)?.cast_into::<PyDict>()?)
    }

    /// Its id (`ksp`, `kspov`, …).
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// Its Slovenian name.
    #[getter]
    fn name_sl(&self) -> &str {
        &self.inner.names().sl
    }

    /// Its English name.
    #[getter]
    fn name_en(&self) -> &str {
        &self.inner.names().en
    }

    /// Decisive rounds a match is played to by default.
    #[getter]
    fn target(&self) -> u32 {
        self.inner.target()
    }

    /// The weapons, in menu order.
    #[getter]
    fn weapons(&self) -> Vec<Weapon> {
        (0..self.inner.weapons().len())
            .map(|index| Weapon {
                rules: self.inner.clone(),
                index,
            })
            .collect()
    }

    /// The 0-based index of the weapon `text` names: its id, Slovenian or
    /// English name (any case; č, š, ž may be typed c, s, z), or its
    /// 1-based menu number. Unknown: `InvalidInput` (`unknown_weapon`).
    fn parse_weapon(&self, text: &str) -> PyResult<usize> {
        self.inner.parse_weapon(text).map_err(to_py)
    }

    /// The outcome of `first` against `second` (names, menu numbers as
    /// text, or 0-based indexes): `"first"`, `"second"` or `"draw"`.
    fn outcome(&self, first: WeaponArg, second: WeaponArg) -> PyResult<&'static str> {
        let (a, b) = (self.index("first", first)?, self.index("second", second)?);
        self.inner.outcome(a, b).map(outcome_name).ok_or_else(|| {
            invalid(
                "weapon",
                format!(
                    "{} has {} weapons",
                    self.inner.id(),
                    self.inner.weapons().len()
                ),
            )
        })
    }

    fn __len__(&self) -> usize {
        self.inner.weapons().len()
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!(
            "RuleSet(id={:?}, weapons={})",
            self.inner.id(),
            self.inner.weapons().len()
        )
    }
}

/// A built-in rule set: `"ksp"` (rock, scissors, paper; to 7) or `"kspov"`
/// (and fire and water; to 15).
#[pyfunction]
fn ruleset(id: &str) -> PyResult<RuleSet> {
    let inner = caas::game::RuleSet::builtins()
        .into_iter()
        .find(|r| r.id() == id)
        .ok_or_else(|| {
            invalid(
                "id",
                format!("`{id}` is not a built-in rule set: use ksp or kspov"),
            )
        })?;
    Ok(RuleSet {
        inner: Arc::new(inner),
    })
}

/// One weapon of a rule set.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Weapon {
    rules: Arc<caas::game::RuleSet>,
    index: usize,
}

impl Weapon {
    fn get(&self) -> PyResult<&caas::game::Weapon> {
        self.rules
            .weapon(self.index)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("no such weapon"))
    }
}

#[pymethods]
impl Weapon {
    /// Its 0-based index in the menu.
    #[getter]
    fn index(&self) -> usize {
        self.index
    }

    /// Its id (`rock`, …).
    #[getter]
    fn id(&self) -> PyResult<&str> {
        Ok(&self.get()?.id)
    }

    /// Its Slovenian name (`kamen`, …).
    #[getter]
    fn name_sl(&self) -> PyResult<&str> {
        Ok(&self.get()?.names.sl)
    }

    /// Its English name (`rock`, …).
    #[getter]
    fn name_en(&self) -> PyResult<&str> {
        Ok(&self.get()?.names.en)
    }

    fn __repr__(&self) -> PyResult<String> {
        let w = self.get()?;
        Ok(format!(
            "Weapon(index={}, id={:?}, name_sl={:?})",
            self.index, w.id, w.names.sl
        ))
    }
}

/// One round: both weapons (0-based indexes; `None` for a forfeited move)
/// and the outcome from the first player's side.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Round {
    inner: caas::game::Round,
}

#[pymethods]
impl Round {
    /// 1, 2, …
    #[getter]
    fn number(&self) -> u32 {
        self.inner.number
    }

    /// The first and the second player's weapons.
    #[getter]
    fn moves(&self) -> (Option<usize>, Option<usize>) {
        (self.inner.moves[0], self.inner.moves[1])
    }

    /// `"first"`, `"second"` or `"draw"`.
    #[getter]
    fn outcome(&self) -> &'static str {
        outcome_name(self.inner.outcome)
    }

    /// The player (0 or 1) who forfeited the round, if one did.
    #[getter]
    fn forfeited_by(&self) -> Option<usize> {
        self.inner.forfeited_by
    }

    fn __repr__(&self) -> String {
        let show = |m: Option<usize>| m.map_or_else(|| "None".to_owned(), |i| i.to_string());
        format!(
            "Round(number={}, moves=({}, {}), outcome={:?})",
            self.inner.number,
            show(self.inner.moves[0]),
            show(self.inner.moves[1]),
            outcome_name(self.inner.outcome)
        )
    }
}

/// A match of one rule set between player 0 and player 1 (the computer,
/// when played with [`Match::play_computer`]): it ends the moment the
/// decisive rounds reach its target; draws score nothing.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Match {
    rules: Py<RuleSet>,
    computer: Box<dyn Chooser>,
    inner: Mutex<caas::game::Match>,
}

impl Match {
    fn lock(&self) -> MutexGuard<'_, caas::game::Match> {
        // A poisoned lock still holds a consistent match: caas-game changes
        // it only once a round is valid.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn build(rules: Bound<'_, RuleSet>, inner: caas::game::Match, seed: Option<u64>) -> Self {
        let computer: Box<dyn Chooser> = match seed {
            Some(seed) => Box::new(SeededChooser::new(seed)),
            None => Box::new(OsChooser),
        };
        Match {
            rules: rules.unbind(),
            computer,
            inner: Mutex::new(inner),
        }
    }
}

#[pymethods]
impl Match {
    /// A match of `rules` to `target` decisive rounds (odd; the rule set's
    /// when `None`), in progress at once. The computer's picks are uniform:
    /// random, or reproducible from `seed`.
    #[new]
    #[pyo3(signature = (rules, *, target = None, seed = None))]
    fn new(rules: Bound<'_, RuleSet>, target: Option<u32>, seed: Option<u64>) -> PyResult<Self> {
        let inner = caas::game::Match::new(&rules.get().inner, target).map_err(to_py)?;
        Ok(Match::build(rules, inner, seed))
    }

    /// Like the constructor, waiting for the second player ([`Match::start`]).
    #[staticmethod]
    #[pyo3(signature = (rules, *, target = None, seed = None))]
    fn waiting(
        rules: Bound<'_, RuleSet>,
        target: Option<u32>,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let inner = caas::game::Match::waiting(&rules.get().inner, target).map_err(to_py)?;
        Ok(Match::build(rules, inner, seed))
    }

    /// The second player joined: waiting → in progress (`Conflict` otherwise).
    fn start(&self) -> PyResult<()> {
        self.lock().start().map_err(to_py)
    }

    /// Ends the match without a winner (`Conflict` if it already ended).
    fn abandon(&self) -> PyResult<()> {
        self.lock().abandon().map_err(to_py)
    }

    /// Plays a round between the two players. A weapon is a name (either
    /// language), its id, its menu number as text or a 0-based index.
    /// Refused with `Conflict` unless the match is in progress, and with
    /// `InvalidInput` (`unknown_weapon`) for a weapon not in the rule set.
    fn play(&self, py: Python<'_>, first: WeaponArg, second: WeaponArg) -> PyResult<Round> {
        let rules = self.rules.bind(py).get();
        let moves = [rules.index("first", first)?, rules.index("second", second)?];
        let inner = self.lock().play(&rules.inner, moves).map_err(to_py)?;
        Ok(Round { inner })
    }

    /// Plays `weapon` (player 0) against the computer's pick (player 1).
    fn play_computer(&self, py: Python<'_>, weapon: WeaponArg) -> PyResult<Round> {
        let rules = self.rules.bind(py).get();
        let weapon = rules.index("weapon", weapon)?;
        let inner = self
            .lock()
            .play_computer(&rules.inner, weapon, self.computer.as_ref())
            .map_err(to_py)?;
        Ok(Round { inner })
    }

    /// The rule set.
    #[getter]
    fn rules(&self, py: Python<'_>) -> Py<RuleSet> {
        self.rules.clone_ref(py)
    }

    /// Decisive rounds to play.
    #[getter]
    fn target(&self) -> u32 {
        self.lock().target()
    }

    /// `"waiting"`, `"in_progress"`, `"finished"` or `"abandoned"`.
    #[getter]
    fn state(&self) -> &'static str {
        state_name(self.lock().state())
    }

    /// Whether the match is over (finished or abandoned).
    #[getter]
    fn finished(&self) -> bool {
        matches!(
            self.lock().state(),
            MatchState::Finished | MatchState::Abandoned
        )
    }

    /// Points of player 0 and player 1.
    #[getter]
    fn scores(&self) -> (u32, u32) {
        let [a, b] = self.lock().scores();
        (a, b)
    }

    /// Every round so far.
    #[getter]
    fn rounds(&self) -> Vec<Round> {
        self.lock()
            .rounds()
            .iter()
            .map(|&inner| Round { inner })
            .collect()
    }

    /// The winner (0 or 1) of a finished match, else `None`.
    #[getter]
    fn winner(&self) -> Option<usize> {
        self.lock().winner()
    }

    fn __repr__(&self) -> String {
        let m = self.lock();
        let [a, b] = m.scores();
        format!(
            "Match(ruleset={:?}, state={:?}, scores=({a}, {b}), target={})",
            m.ruleset(),
            state_name(m.state()),
            m.target()
        )
    }
}
