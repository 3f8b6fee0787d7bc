//! Rule sets: the full KSP and KSPOV outcome tables, antisymmetry of every
//! valid relation, weapon names, and custom rule sets refused with the
//! offending field or pair named.

use caas_game::{Names, Outcome, RuleSet, RuleSetInput, Weapon};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use Outcome::{Draw as D, First as W, Second as L};

fn table(rules: &RuleSet) -> Vec<Vec<Outcome>> {
    let n = rules.weapons().len();
    (0..n)
        .map(|a| (0..n).map(|b| rules.outcome(a, b).unwrap()).collect())
        .collect()
}

fn ids(rules: &RuleSet) -> Vec<&str> {
    rules.weapons().iter().map(|w| w.id.as_str()).collect()
}

#[test]
fn ksp_outcome_table() {
    let ksp = RuleSet::ksp();
    assert_eq!(ids(&ksp), ["rock", "scissors", "paper"]);
    // Rows: the first player's weapon; columns: the second's.
    //            rock scissors paper
    let expected = vec![
        vec![D, W, L], // rock beats scissors, loses to paper
        vec![L, D, W], // scissors beat paper
        vec![W, L, D], // paper beats rock
    ];
    assert_eq!(table(&ksp), expected);
    assert_eq!(ksp.target(), 7);
}

#[test]
fn kspov_outcome_table() {
    let kspov = RuleSet::kspov();
    assert_eq!(ids(&kspov), ["rock", "scissors", "paper", "fire", "water"]);
    //            rock scissors paper fire water
    let expected = vec![
        vec![D, W, L, L, W], // rock: beats scissors and water
        vec![L, D, W, L, W], // scissors: beat paper and water
        vec![W, L, D, L, W], // paper: beats rock and water
        vec![W, W, W, D, L], // fire: beats rock, scissors, paper; loses to water
        vec![L, L, L, W, D], // water: beats fire only
    ];
    assert_eq!(table(&kspov), expected);
    assert_eq!(kspov.target(), 15);
    let names: Vec<(&str, &str)> = kspov
        .weapons()
        .iter()
        .map(|w| (w.names.sl.as_str(), w.names.en.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("kamen", "rock"),
            ("škarje", "scissors"),
            ("papir", "paper"),
            ("ogenj", "fire"),
            ("voda", "water")
        ]
    );
}

#[test]
fn builtins_pass_their_own_validation_and_round_trip() {
    for rules in RuleSet::builtins() {
        let json = serde_json::to_value(&rules).unwrap();
        let back: RuleSet = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, rules);
        let input: RuleSetInput = serde_json::from_value(json).unwrap();
        assert_eq!(RuleSet::new(input).unwrap(), rules);
    }
}

fn weapon(id: &str) -> Weapon {
    Weapon {
        id: id.into(),
        names: Names {
            sl: format!("{id}-sl"),
            en: format!("{id}-en"),
        },
    }
}

/// A random complete relation on `n` weapons (a random tournament).
fn random_rules(rng: &mut StdRng, n: usize) -> RuleSetInput {
    let weapons: Vec<Weapon> = (0..n).map(|i| weapon(&format!("w{i}"))).collect();
    let mut beats = Vec::new();
    for a in 0..n {
        for b in (a + 1)..n {
            let (x, y) = if rng.random_bool(0.5) { (a, b) } else { (b, a) };
            beats.push([format!("w{x}"), format!("w{y}")]);
        }
    }
    RuleSetInput {
        id: "custom".into(),
        names: Names {
            sl: "Po meri".into(),
            en: "Custom".into(),
        },
        weapons,
        beats,
        target: None,
    }
}

#[test]
fn every_valid_relation_is_antisymmetric() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut sets = RuleSet::builtins();
    for _ in 0..300 {
        let n = rng.random_range(3..=12);
        sets.push(RuleSet::new(random_rules(&mut rng, n)).unwrap());
    }
    for rules in &sets {
        let n = rules.weapons().len();
        for a in 0..n {
            assert_eq!(rules.outcome(a, a), Some(Outcome::Draw));
            for b in 0..n {
                let ab = rules.outcome(a, b).unwrap();
                assert_eq!(
                    rules.outcome(b, a).unwrap(),
                    ab.flipped(),
                    "{rules}: {a} vs {b}"
                );
                if a != b {
                    assert_ne!(ab, Outcome::Draw);
                }
            }
        }
        assert_eq!(rules.outcome(n, 0), None);
    }
}

#[test]
fn weapons_by_slovenian_or_english_name_or_number() {
    let kspov = RuleSet::kspov();
    for (text, want) in [
        ("kamen", 0),
        ("Rock", 0),
        ("ROCK", 0),
        (" papir ", 2),
        ("škarje", 1),
        ("Škarje", 1),
        ("skarje", 1),
        ("scissors", 1),
        ("Ogenj", 3),
        ("fire", 3),
        ("voda", 4),
        ("WATER", 4),
        ("1", 0),
        ("4", 3),
        ("5", 4),
    ] {
        assert_eq!(kspov.parse_weapon(text).unwrap(), want, "{text}");
    }
    let ksp = RuleSet::ksp();
    for bad in ["fire", "4", "0", "-1", "", "lizard", "99999999999999999999"] {
        let err = ksp.parse_weapon(bad).unwrap_err();
        assert_eq!(err.code(), "unknown_weapon", "{bad}");
        assert_eq!(err.field(), Some("weapon"));
        assert!(
            err.message().contains("1 rock (kamen)"),
            "{}",
            err.message()
        );
    }
}

fn refused(input: RuleSetInput) -> caas_core::Error {
    RuleSet::new(input).unwrap_err()
}

#[test]
fn invalid_custom_rule_sets_name_the_problem() {
    let mut rng = StdRng::seed_from_u64(1);
    let base = random_rules(&mut rng, 5);

    // A missing pair is named.
    let mut missing = base.clone();
    let dropped = missing.beats.remove(3);
    let err = refused(missing);
    assert_eq!(err.code(), "incomplete_beats");
    let mut pair: Vec<String> =
        serde_json::from_value(err.details().unwrap()["pair"].clone()).unwrap();
    let mut want = dropped.to_vec();
    pair.sort();
    want.sort();
    assert_eq!(pair, want);
    assert!(err.message().contains(&format!("`{}`", want[0])));

    // Both directions.
    let mut both = base.clone();
    let [a, b] = both.beats[0].clone();
    both.beats.push([b.clone(), a.clone()]);
    let err = refused(both);
    assert_eq!(err.code(), "contradictory_beats");
    assert!(err.message().contains(&a) && err.message().contains(&b));

    // The same pair twice, a weapon beating itself, an unknown weapon.
    let mut twice = base.clone();
    twice.beats.push(twice.beats[0].clone());
    assert_eq!(refused(twice).code(), "duplicate_beat");
    let mut own = base.clone();
    own.beats.push(["w0".into(), "w0".into()]);
    assert_eq!(refused(own).code(), "self_beat");
    let mut unknown = base.clone();
    unknown.beats[0][1] = "lizard".into();
    let err = refused(unknown);
    assert_eq!(err.code(), "unknown_weapon");
    assert_eq!(err.field(), Some("beats[0][1]"));

    // Too few weapons; one name for two weapons (across languages, case
    // and diacritics); names that are only digits (they read as numbers).
    let mut two = random_rules(&mut rng, 2);
    two.id = "two".into();
    assert_eq!(refused(two).code(), "weapon_count");
    let mut dup = base.clone();
    dup.weapons[1].names.en = "W0-SL".into();
    assert_eq!(refused(dup).code(), "duplicate_weapon");
    let mut digits = base.clone();
    digits.weapons[2].names.sl = "3".into();
    let err = refused(digits);
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_name", Some("weapons[2].names.sl"))
    );

    // Targets are odd, 1 to 99.
    for t in [0, 8, 101] {
        let mut even = base.clone();
        even.target = Some(t);
        assert_eq!(refused(even).code(), "invalid_target", "{t}");
    }

    // An even number of weapons is fine when every pair has a winner.
    let four = RuleSet::new(random_rules(&mut rng, 4)).unwrap();
    assert_eq!(four.weapons().len(), 4);
    assert_eq!(four.target(), 7);
}
