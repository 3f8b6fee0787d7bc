//! Rule sets as data: weapons with Slovenian and English names, and which
//! weapon beats which. [`RuleSet::ksp`] and [`RuleSet::kspov`] are built
//! in; [`RuleSet::new`] validates a custom one.
//!
//! A rule set is valid when it has at least [`MIN_WEAPONS`] weapons (at most
//! [`MAX_WEAPONS`]), every name is unique, and every pair of distinct
//! weapons has exactly one winner. An odd number of weapons lets every
//! weapon beat as many as beat it; an even number is allowed as long as the
//! relation is complete.

use std::fmt;

use caas_core::validate::{self, Identifier};
use caas_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The fewest weapons a rule set may have.
pub const MIN_WEAPONS: usize = 3;
/// The most weapons a rule set may have.
pub const MAX_WEAPONS: usize = 25;
/// The longest weapon or rule-set name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// The largest match target (decisive rounds).
pub const MAX_TARGET: u32 = 99;

/// A name in Slovenian and in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Names {
    /// Slovenian.
    pub sl: String,
    /// English.
    pub en: String,
}

impl Names {
    fn new(sl: &str, en: &str) -> Self {
        Names {
            sl: sl.to_owned(),
            en: en.to_owned(),
        }
    }
}

/// A weapon: its id (used in `beats` and in answers) and its names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Weapon {
    /// A short ASCII id, such as `rock`.
    pub id: String,
    /// Its names.
    pub names: Names,
}

/// A rule set as it is submitted: `beats` lists `[winner, loser]` pairs of
/// weapon ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleSetInput {
    /// A short ASCII id, such as `ksp`.
    pub id: String,
    /// Its names.
    pub names: Names,
    /// The weapons, in menu order.
    pub weapons: Vec<Weapon>,
    /// `[winner, loser]` pairs.
    pub beats: Vec<[String; 2]>,
    /// Decisive rounds a match is played to (odd; 7 when absent).
    #[serde(default)]
    pub target: Option<u32>,
}

/// The outcome of a round, seen from the first player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The first player's weapon wins.
    First,
    /// The second player's weapon wins.
    Second,
    /// Equal weapons.
    Draw,
}

impl Outcome {
    /// The same round seen from the other player.
    #[must_use]
    pub fn flipped(self) -> Outcome {
        match self {
            Outcome::First => Outcome::Second,
            Outcome::Second => Outcome::First,
            Outcome::Draw => Outcome::Draw,
        }
    }
}

/// A validated rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RuleSetInput", into = "RuleSetInput")]
pub struct RuleSet {
    input: RuleSetInput,
    /// `wins[a][b]`: weapon `a` beats weapon `b`.
    wins: Vec<Vec<bool>>,
    target: u32,
}

/// A rule set is sent as it was submitted: its schema is
/// [`RuleSetInput`]'s, under the name `RuleSet`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for RuleSet {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <RuleSetInput as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for RuleSet {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <RuleSetInput as utoipa::ToSchema>::schemas(schemas);
    }
}

impl TryFrom<RuleSetInput> for RuleSet {
    type Error = Error;

    fn try_from(input: RuleSetInput) -> Result<Self> {
        RuleSet::new(input)
    }
}

impl From<RuleSet> for RuleSetInput {
    fn from(r: RuleSet) -> Self {
        r.input
    }
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.input.names.en, self.input.id)
    }
}

fn invalid(message: String, field: &str, code: &'static str) -> Error {
    Error::invalid_input(message)
        .with_field(field.to_owned())
        .with_code(code)
}

/// Lowercase, trimmed, with č, š, ž (and ć, đ) folded to ASCII, so that
/// `Škarje`, `škarje` and `skarje` name the same weapon.
fn fold(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'č' | 'ć' => 'c',
            'š' => 's',
            'ž' => 'z',
            'đ' => 'd',
            other => other,
        })
        .collect()
}

fn check_id(id: &str, field: &str) -> Result<()> {
    const ID: Identifier<'static> = Identifier::new(MAX_NAME_CHARS, &['-', '_']).not_only_digits();
    ID.check_named(id, field)
        .map_err(|e| e.with_field(field.to_owned()).with_code("invalid_id"))
}

fn check_name(name: &str, field: &str) -> Result<()> {
    // A name is shown to players, so it is text, but never a number (a
    // weapon is also chosen by its number).
    let digits = name.trim().chars().all(|c| c.is_ascii_digit());
    match validate::check_text(name, "name", MAX_NAME_CHARS, false) {
        Ok(()) if !digits => Ok(()),
        _ => Err(invalid(
            format!(
                "{field} `{}` must be 1 to {MAX_NAME_CHARS} characters of text, not only digits",
                validate::truncate(name)
            ),
            field,
            "invalid_name",
        )),
    }
}

impl RuleSet {
    /// Validates `input`. Errors name the offending field, and for an
    /// incomplete or contradictory relation the pair of weapons.
    pub fn new(mut input: RuleSetInput) -> Result<RuleSet> {
        check_id(&input.id, "id")?;
        check_name(&input.names.sl, "names.sl")?;
        check_name(&input.names.en, "names.en")?;
        let n = input.weapons.len();
        if !(MIN_WEAPONS..=MAX_WEAPONS).contains(&n) {
            return Err(invalid(
                format!("a rule set has {MIN_WEAPONS} to {MAX_WEAPONS} weapons, not {n}"),
                "weapons",
                "weapon_count",
            ));
        }
        // Every id and name names one weapon only.
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, w) in input.weapons.iter_mut().enumerate() {
            check_id(&w.id, &format!("weapons[{i}].id"))?;
            check_name(&w.names.sl, &format!("weapons[{i}].names.sl"))?;
            check_name(&w.names.en, &format!("weapons[{i}].names.en"))?;
            w.names.sl = w.names.sl.trim().to_owned();
            w.names.en = w.names.en.trim().to_owned();
            for name in [&w.id, &w.names.sl, &w.names.en] {
                let key = fold(name);
                if let Some((_, j)) = seen.iter().find(|(k, j)| *k == key && *j != i) {
                    return Err(invalid(
                        format!("weapons {j} and {i} are both called `{name}`"),
                        &format!("weapons[{i}]"),
                        "duplicate_weapon",
                    ));
                }
                seen.push((key, i));
            }
        }
        let index = |id: &str, field: String| {
            input
                .weapons
                .iter()
                .position(|w| w.id == id)
                .ok_or_else(|| {
                    invalid(
                        format!("no weapon has the id `{id}`"),
                        &field,
                        "unknown_weapon",
                    )
                })
        };
        let mut wins = vec![vec![false; n]; n];
        for (k, [winner, loser]) in input.beats.iter().enumerate() {
            let a = index(winner, format!("beats[{k}][0]"))?;
            let b = index(loser, format!("beats[{k}][1]"))?;
            if a == b {
                return Err(invalid(
                    format!("`{winner}` cannot beat itself"),
                    &format!("beats[{k}]"),
                    "self_beat",
                ));
            }
            if wins[a][b] {
                return Err(invalid(
                    format!("`{winner}` beats `{loser}` is listed twice"),
                    &format!("beats[{k}]"),
                    "duplicate_beat",
                ));
            }
            if wins[b][a] {
                return Err(invalid(
                    format!("`{winner}` and `{loser}` each beat the other"),
                    &format!("beats[{k}]"),
                    "contradictory_beats",
                )
                .with_details(json!({ "pair": [winner, loser] })));
            }
            wins[a][b] = true;
        }
        let missing = (0..n)
            .flat_map(|a| ((a + 1)..n).map(move |b| (a, b)))
            .find(|&(a, b)| !wins[a][b] && !wins[b][a]);
        if let Some((a, b)) = missing {
            let (x, y) = (&input.weapons[a].id, &input.weapons[b].id);
            return Err(invalid(
                format!("neither `{x}` nor `{y}` beats the other: every pair of weapons needs exactly one winner"),
                "beats",
                "incomplete_beats",
            )
            .with_details(json!({ "pair": [x, y] })));
        }
        let target = input.target.unwrap_or(7);
        if target == 0 || target > MAX_TARGET || target.is_multiple_of(2) {
            return Err(invalid(
                format!(
                    "the target is an odd number of decisive rounds from 1 to {MAX_TARGET}, not {target}, so that a match always has a winner"
                ),
                "target",
                "invalid_target",
            ));
        }
        input.target = Some(target);
        Ok(RuleSet {
            input,
            wins,
            target,
        })
    }

    fn builtin(
        id: &str,
        names: Names,
        weapons: &[(&str, &str, &str)],
        beats: &[(&str, &str)],
        target: u32,
    ) -> RuleSet {
        let input = RuleSetInput {
            id: id.to_owned(),
            names,
            weapons: weapons
                .iter()
                .map(|(id, sl, en)| Weapon {
                    id: (*id).to_owned(),
                    names: Names::new(sl, en),
                })
                .collect(),
            beats: beats
                .iter()
                .map(|(a, b)| [(*a).to_owned(), (*b).to_owned()])
                .collect(),
            target: Some(target),
        };
        let n = input.weapons.len();
        let mut wins = vec![vec![false; n]; n];
        for [a, b] in &input.beats {
            let pos = |id: &str| input.weapons.iter().position(|w| w.id == id);
            if let (Some(a), Some(b)) = (pos(a), pos(b)) {
                wins[a][b] = true;
            }
        }
        RuleSet {
            input,
            wins,
            target,
        }
    }

    /// Kamen–Škarje–Papir: rock beats scissors, scissors beat paper, paper
    /// beats rock; to 7 decisive rounds.
    #[must_use]
    pub fn ksp() -> RuleSet {
        RuleSet::builtin(
            "ksp",
            Names::new("Kamen–Škarje–Papir", "Rock–Paper–Scissors"),
            &KSP_WEAPONS,
            &KSP_BEATS,
            7,
        )
    }

    /// Kamen–Škarje–Papir–Ogenj–Voda: KSP, and fire beats rock, scissors and
    /// paper; water beats fire; rock, scissors and paper each beat water; to
    /// 15 decisive rounds.
    #[must_use]
    pub fn kspov() -> RuleSet {
        let weapons = [
            KSP_WEAPONS[0],
            KSP_WEAPONS[1],
            KSP_WEAPONS[2],
            ("fire", "ogenj", "fire"),
            ("water", "voda", "water"),
        ];
        let beats = [
            KSP_BEATS[0],
            KSP_BEATS[1],
            KSP_BEATS[2],
            ("fire", "rock"),
            ("fire", "scissors"),
            ("fire", "paper"),
            ("water", "fire"),
            ("rock", "water"),
            ("scissors", "water"),
            ("paper", "water"),
        ];
        RuleSet::builtin(
            "kspov",
            Names::new(
                "Kamen–Škarje–Papir–Ogenj–Voda",
                "Rock–Paper–Scissors–Fire–Water",
            ),
            &weapons,
            &beats,
            15,
        )
    }

    /// The built-in rule sets.
    #[must_use]
    pub fn builtins() -> Vec<RuleSet> {
        vec![RuleSet::ksp(), RuleSet::kspov()]
    }

    /// Its id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.input.id
    }

    /// Its names.
    #[must_use]
    pub fn names(&self) -> &Names {
        &self.input.names
    }

    /// Its weapons, in menu order.
    #[must_use]
    pub fn weapons(&self) -> &[Weapon] {
        &self.input.weapons
    }

    /// The decisive rounds a match is played to by default.
    #[must_use]
    pub fn target(&self) -> u32 {
        self.target
    }

    /// The weapon at `index` (0-based), if any.
    #[must_use]
    pub fn weapon(&self, index: usize) -> Option<&Weapon> {
        self.input.weapons.get(index)
    }

    /// The outcome of `a` against `b` (0-based weapon indexes); `None` for
    /// an index out of range.
    #[must_use]
    pub fn outcome(&self, a: usize, b: usize) -> Option<Outcome> {
        let n = self.input.weapons.len();
        if a >= n || b >= n {
            return None;
        }
        Some(if a == b {
            Outcome::Draw
        } else if self.wins[a][b] {
            Outcome::First
        } else {
            Outcome::Second
        })
    }

    /// The 0-based index of the weapon `text` names: its id, its Slovenian
    /// or English name (case-insensitive; č, š, ž may be typed as c, s, z),
    /// or its 1-based number in the menu.
    pub fn parse_weapon(&self, text: &str) -> Result<usize> {
        let t = text.trim();
        if !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(k) = t.parse::<usize>()
                && (1..=self.input.weapons.len()).contains(&k)
            {
                return Ok(k - 1);
            }
        } else {
            let key = fold(t);
            if let Some(i) = self.input.weapons.iter().position(|w| {
                fold(&w.id) == key || fold(&w.names.sl) == key || fold(&w.names.en) == key
            }) {
                return Ok(i);
            }
        }
        let known: Vec<String> = self
            .input
            .weapons
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{} {} ({})", i + 1, w.names.en, w.names.sl))
            .collect();
        let shown: String = text.chars().take(MAX_NAME_CHARS).collect();
        Err(invalid(
            format!(
                "`{shown}` is not a weapon of {}: use one of {}",
                self.input.id,
                known.join(", ")
            ),
            "weapon",
            "unknown_weapon",
        ))
    }
}

const KSP_WEAPONS: [(&str, &str, &str); 3] = [
    ("rock", "kamen", "rock"),
    ("scissors", "škarje", "scissors"),
    ("paper", "papir", "paper"),
];

const KSP_BEATS: [(&str, &str); 3] = [
    ("rock", "scissors"),
    ("scissors", "paper"),
    ("paper", "rock"),
];
