//! Matches: full games against the computer, the end exactly at the
//! target over many random games, refused moves, and a chi-squared check
//! that the computer's choices are uniform.

use caas_game::{
    Chooser, MAX_ROUNDS, Match, MatchState, OsChooser, Outcome, RuleSet, SeededChooser,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn decisive(m: &Match) -> u32 {
    let n = m
        .rounds()
        .iter()
        .filter(|r| r.outcome != Outcome::Draw)
        .count();
    u32::try_from(n).unwrap()
}

#[test]
fn full_matches_against_the_computer() {
    for (rules, target) in [(RuleSet::ksp(), 7), (RuleSet::kspov(), 15)] {
        let computer = SeededChooser::new(42);
        let me = SeededChooser::new(43);
        let mut m = Match::new(&rules, None).unwrap();
        assert_eq!(m.target(), target);
        while m.state() == MatchState::InProgress {
            let w = me.choose(rules.weapons().len());
            let round = m.play_computer(&rules, w, &computer).unwrap();
            assert_eq!(round.moves[0], Some(w));
            assert_eq!(
                round.outcome,
                rules
                    .outcome(round.moves[0].unwrap(), round.moves[1].unwrap())
                    .unwrap()
            );
        }
        assert_eq!(m.state(), MatchState::Finished);
        let [a, b] = m.scores();
        assert_eq!(a + b, target);
        assert_eq!(decisive(&m), target);
        let winner = m.winner().unwrap();
        assert!(m.scores()[winner] > m.scores()[1 - winner]);
        // A move after the end: 409, nothing changes.
        let before = m.clone();
        let err = m.play_computer(&rules, 0, &computer).unwrap_err();
        assert_eq!(err.code(), "match_finished");
        assert_eq!(err.kind(), caas_core::ErrorKind::Conflict);
        assert_eq!(m, before);
    }
}

#[test]
fn random_matches_end_exactly_at_their_target() {
    let mut rng = StdRng::seed_from_u64(2026);
    for _ in 0..2_000 {
        let rules = if rng.random_bool(0.5) {
            RuleSet::ksp()
        } else {
            RuleSet::kspov()
        };
        let target = 2 * rng.random_range(0..10u32) + 1;
        let mut m = Match::new(&rules, Some(target)).unwrap();
        let n = rules.weapons().len();
        while m.state() == MatchState::InProgress {
            let [a, b] = m.scores();
            assert!(a + b < target);
            m.play(&rules, [rng.random_range(0..n), rng.random_range(0..n)])
                .unwrap();
            let [a, b] = m.scores();
            assert!(a <= target && b <= target && a + b <= target);
        }
        assert_eq!(m.scores().iter().sum::<u32>(), target);
        assert_eq!(decisive(&m), target);
        // Every round's outcome is the rule set's and the scores add up.
        let wins0 = m
            .rounds()
            .iter()
            .filter(|r| r.outcome == Outcome::First)
            .count();
        assert_eq!(u32::try_from(wins0).unwrap(), m.scores()[0]);
        for (i, r) in m.rounds().iter().enumerate() {
            assert_eq!(r.number as usize, i + 1);
            assert_eq!(
                Some(r.outcome),
                rules.outcome(r.moves[0].unwrap(), r.moves[1].unwrap())
            );
        }
        assert!(m.winner().is_some());
    }
}

#[test]
fn refused_moves_change_nothing() {
    let ksp = RuleSet::ksp();
    // Waiting for the second player.
    let mut m = Match::waiting(&ksp, None).unwrap();
    assert_eq!(
        m.play(&ksp, [0, 1]).unwrap_err().code(),
        "match_not_started"
    );
    m.start().unwrap();
    assert_eq!(m.start().unwrap_err().code(), "match_not_waiting");
    // A weapon out of range.
    let err = m.play(&ksp, [3, 0]).unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("unknown_weapon", Some("weapon"))
    );
    assert!(m.rounds().is_empty());
    // A match of another rule set.
    assert!(m.play(&RuleSet::kspov(), [0, 1]).is_err());
    // Abandoned.
    m.play(&ksp, [0, 1]).unwrap();
    m.abandon().unwrap();
    assert_eq!(m.play(&ksp, [0, 1]).unwrap_err().code(), "match_abandoned");
    assert_eq!(m.abandon().unwrap_err().code(), "match_abandoned");
    assert_eq!(m.winner(), None);
    assert_eq!(m.rounds().len(), 1);
    // Targets are odd.
    assert_eq!(
        Match::new(&ksp, Some(6)).unwrap_err().code(),
        "invalid_target"
    );
    assert_eq!(
        Match::new(&ksp, Some(0)).unwrap_err().code(),
        "invalid_target"
    );
}

#[test]
fn a_match_of_only_draws_is_abandoned_at_the_round_limit() {
    let ksp = RuleSet::ksp();
    let mut m = Match::new(&ksp, None).unwrap();
    for _ in 0..MAX_ROUNDS {
        m.play(&ksp, [1, 1]).unwrap();
    }
    assert_eq!(m.play(&ksp, [1, 1]).unwrap_err().code(), "too_many_rounds");
    assert_eq!(m.state(), MatchState::Abandoned);
    assert_eq!(m.rounds().len(), MAX_ROUNDS);
}

/// Pearson's chi-squared statistic of `counts` against a uniform spread.
fn chi_squared(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn the_computer_chooses_uniformly() {
    // Critical values at p = 0.001 for 2 and 4 degrees of freedom.
    for (n, critical) in [(3usize, 13.816), (5, 18.467)] {
        let mut pooled = vec![0u64; n];
        for seed in 1..=20u64 {
            let chooser = SeededChooser::new(seed);
            let mut counts = vec![0u64; n];
            for _ in 0..30_000 {
                counts[chooser.choose(n)] += 1;
            }
            let stat = chi_squared(&counts);
            assert!(
                stat < critical,
                "seed {seed}, {n} weapons: χ² = {stat:.2}, counts {counts:?}"
            );
            for (p, c) in pooled.iter_mut().zip(&counts) {
                *p += c;
            }
        }
        let stat = chi_squared(&pooled);
        assert!(stat < critical, "pooled, {n} weapons: χ² = {stat:.2}");
        // A chooser 10% biased towards one weapon is caught by the same test.
        let skewed: Vec<u64> = (0..n)
            .map(|i| if i == 0 { 11_000 } else { 10_000 })
            .collect();
        assert!(chi_squared(&skewed) > critical);
    }
    // The OS-seeded chooser stays in range and reaches every weapon.
    let mut seen = [false; 5];
    for _ in 0..1_000 {
        seen[OsChooser.choose(5)] = true;
    }
    assert!(seen.iter().all(|s| *s));
}
