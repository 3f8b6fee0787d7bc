//! Live games on the memory store and on Redis: a whole game against the
//! computer, refused moves that change nothing, tenant and player
//! isolation, and concurrent moves through two instances none of which is
//! lost or counted twice.

use std::sync::Arc;
use std::time::Duration;

use caas_core::TenantId;
use caas_core::testkit::Backend;
use caas_game::{
    LiveConfig, LiveGames, MatchState, MoveInput, MoveMode, Outcome, Pending, Player, PlayerGame,
    RuleSet, SeededChooser, commitment,
};

caas_core::backend_tests! {
    migrations: [],
    backends: [memory, redis],
    tests: [
        a_game_against_the_computer,
        games_are_private,
        concurrent_moves_are_all_counted,
        player_moves_stay_hidden_until_both_are_in,
        commit_and_reveal,
        a_late_player_forfeits_the_round,
    ],
}

fn live(b: &Backend, seed: u64) -> LiveGames {
    LiveGames::new(
        b.kv.clone(),
        b.shared_clock(),
        Arc::new(SeededChooser::new(seed)),
        LiveConfig::default(),
    )
}

async fn a_game_against_the_computer(b: &Backend) {
    let games = live(b, 1);
    let t = TenantId::generate(b.clock.as_ref());
    let g = games
        .start_computer(&t, "ana", RuleSet::kspov(), None)
        .await
        .unwrap();
    assert_eq!(g.players[1], Player::Computer);
    assert_eq!(g.play.target(), 15);
    let names = ["kamen", "Scissors", "3", "ogenj", "VODA"];
    let mut i = 0;
    loop {
        let (after, round) = games
            .move_computer(&t, &g.id, "ana", names[i % 5])
            .await
            .unwrap();
        assert_eq!(round.moves[0], Some(i % 5));
        i += 1;
        assert_eq!(after.version, i as u64);
        if after.state == MatchState::Finished {
            break;
        }
    }
    let done = games.get(&t, &g.id, "ana").await.unwrap();
    assert_eq!(done.scores.iter().sum::<u32>(), 15);
    assert_eq!(done.rounds.len(), i);
    // Refused moves: each a clear error, and the game is unchanged.
    let err = games
        .move_computer(&t, &g.id, "ana", "rock")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "match_finished");
    let g2 = games
        .start_computer(&t, "ana", RuleSet::ksp(), Some(3))
        .await
        .unwrap();
    let err = games
        .move_computer(&t, &g2.id, "ana", "fire")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_weapon");
    assert_eq!(games.get(&t, &g2.id, "ana").await.unwrap(), g2.view(0));
    assert_eq!(games.get(&t, &g.id, "ana").await.unwrap(), done);
    // A bad target is refused before anything is stored.
    let err = games
        .start_computer(&t, "ana", RuleSet::ksp(), Some(4))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_target");
}

async fn games_are_private(b: &Backend) {
    let games = live(b, 2);
    let a = TenantId::generate(b.clock.as_ref());
    let other = TenantId::generate(b.clock.as_ref());
    let g = games
        .start_computer(&a, "ana", RuleSet::ksp(), None)
        .await
        .unwrap();
    // Another tenant, or another player of the same tenant: 404, as for a
    // game that does not exist; and they cannot move in it.
    for (t, who) in [(&other, "ana"), (&a, "bob")] {
        let err = games.get(t, &g.id, who).await.unwrap_err();
        assert_eq!(err.code(), "game_not_found");
        let err = games
            .move_computer(t, &g.id, who, "rock")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "game_not_found");
    }
    assert_eq!(games.get(&a, &g.id, "ana").await.unwrap().version, 0);
    // Removed from the live store: gone for everyone.
    assert!(!games.remove(&other, &g.id).await.unwrap());
    assert!(games.remove(&a, &g.id).await.unwrap());
    let err = games.get(&a, &g.id, "ana").await.unwrap_err();
    assert_eq!(err.code(), "game_not_found");
}

async fn concurrent_moves_are_all_counted(b: &Backend) {
    // Two instances over the same store, as two servers would be.
    let (one, two) = (live(b, 3), live(b, 4));
    let t = TenantId::generate(b.clock.as_ref());
    // 99 decisive rounds: the game outlasts the 48 moves.
    let g = one
        .start_computer(&t, "ana", RuleSet::ksp(), Some(99))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for k in 0..8 {
        let games = if k % 2 == 0 { one.clone() } else { two.clone() };
        let id = g.id;
        tasks.push(tokio::spawn(async move {
            for _ in 0..6 {
                games.move_computer(&t, &id, "ana", "paper").await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let after = two.get(&t, &g.id, "ana").await.unwrap();
    assert_eq!(after.version, 48);
    assert_eq!(after.rounds.len(), 48);
    let numbers: Vec<u32> = after.rounds.iter().map(|r| r.number).collect();
    assert_eq!(numbers, (1..=48).collect::<Vec<u32>>());
    let [a, c] = after.scores;
    let draws = after
        .rounds
        .iter()
        .filter(|r| r.moves == [Some(2), Some(2)])
        .count();
    assert_eq!(a + c + u32::try_from(draws).unwrap(), 48);
}

fn pvp(ruleset: RuleSet, target: u32, mode: MoveMode, timeout: Option<u64>) -> PlayerGame {
    PlayerGame {
        ruleset,
        target: Some(target),
        mode,
        move_timeout: timeout.map(Duration::from_secs),
    }
}

fn weapon(w: &str) -> MoveInput {
    MoveInput::Weapon { weapon: w.into() }
}

async fn player_moves_stay_hidden_until_both_are_in(b: &Backend) {
    let games = live(b, 5);
    let t = TenantId::generate(b.clock.as_ref());
    let (g, code) = games
        .start_player(&t, "ana", pvp(RuleSet::ksp(), 3, MoveMode::Plain, None))
        .await
        .unwrap();
    assert_eq!(g.players[1], Player::Invited);
    // Not a player yet: 404; a wrong code, or the host's own: refused.
    assert_eq!(
        games.get(&t, &g.id, "bob").await.unwrap_err().code(),
        "game_not_found"
    );
    let err = games
        .join(&t, &g.id, "bob", "WRONGCODE0")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_invite_code");
    assert_eq!(
        games
            .join(&t, &g.id, "ana", &code)
            .await
            .unwrap_err()
            .code(),
        "own_game"
    );
    // No move before the second player joins.
    let err = games
        .submit(&t, &g.id, "ana", &weapon("rock"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "match_not_started");
    let joined = games
        .join(&t, &g.id, "bob", &code.to_lowercase())
        .await
        .unwrap();
    assert_eq!((joined.seat, joined.state), (1, MatchState::InProgress));
    // The code is spent.
    let err = games.join(&t, &g.id, "cid", &code).await.unwrap_err();
    assert_eq!(err.code(), "invalid_invite_code");
    // Not a game against the computer: nothing is played.
    let err = games
        .move_computer(&t, &g.id, "ana", "rock")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "game_not_found");
    assert_eq!(
        games.get(&t, &g.id, "ana").await.unwrap().version,
        joined.version
    );

    // Ana moves: her view shows her move; Bob's shows only that she moved.
    let (mine, round) = games
        .submit(&t, &g.id, "ana", &weapon("kamen"))
        .await
        .unwrap();
    assert!(round.is_none());
    assert_eq!(mine.your_move, Some(Pending::Weapon { index: 0 }));
    let theirs = games.get(&t, &g.id, "bob").await.unwrap();
    assert!(theirs.opponent_moved && theirs.your_move.is_none());
    let json = serde_json::to_string(&theirs).unwrap();
    assert!(!json.contains("index") && !json.contains("kamen"), "{json}");
    assert!(theirs.rounds.is_empty());
    // A second move in the same round is out of turn; a commitment is the
    // wrong kind of move here. Neither changes anything.
    let err = games
        .submit(&t, &g.id, "ana", &weapon("paper"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "out_of_turn");
    let commit = MoveInput::Commit {
        commitment: "0".repeat(64),
    };
    let err = games.submit(&t, &g.id, "bob", &commit).await.unwrap_err();
    assert_eq!(err.code(), "wrong_move_kind");
    assert_eq!(games.get(&t, &g.id, "bob").await.unwrap(), theirs);

    // Bob moves: the round is played and both moves are shown.
    let (view, round) = games
        .submit(&t, &g.id, "bob", &weapon("škarje"))
        .await
        .unwrap();
    let round = round.unwrap();
    assert_eq!(
        (round.moves, round.outcome),
        ([Some(0), Some(1)], Outcome::First)
    );
    assert!(view.your_move.is_none() && !view.opponent_moved);
    assert_eq!(view.scores, [1, 0]);
    // Two more decisive rounds end the match (target 3).
    for _ in 0..2 {
        games
            .submit(&t, &g.id, "bob", &weapon("paper"))
            .await
            .unwrap();
        games
            .submit(&t, &g.id, "ana", &weapon("rock"))
            .await
            .unwrap();
    }
    let end = games.get(&t, &g.id, "ana").await.unwrap();
    assert_eq!(
        (end.state, end.scores, end.winner),
        (MatchState::Finished, [1, 2], Some(1))
    );
    let err = games
        .submit(&t, &g.id, "ana", &weapon("rock"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "match_finished");
}

async fn commit_and_reveal(b: &Backend) {
    let games = live(b, 6);
    let t = TenantId::generate(b.clock.as_ref());
    let (g, code) = games
        .start_player(
            &t,
            "ana",
            pvp(RuleSet::kspov(), 1, MoveMode::CommitReveal, None),
        )
        .await
        .unwrap();
    games.join(&t, &g.id, "bob", &code).await.unwrap();
    let (na, nb) = ("ana-nonce-0123456789", "bob-nonce-9876543210");
    let commit = |w: &str, n: &str| MoveInput::Commit {
        commitment: commitment(w, n),
    };
    let reveal = |w: &str, n: &str| MoveInput::Reveal {
        weapon: w.into(),
        nonce: n.into(),
    };

    // A plain weapon is the wrong kind; a malformed commitment is refused.
    let err = games
        .submit(&t, &g.id, "ana", &weapon("fire"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "wrong_move_kind");
    let bad = MoveInput::Commit {
        commitment: "xyz".into(),
    };
    assert_eq!(
        games
            .submit(&t, &g.id, "ana", &bad)
            .await
            .unwrap_err()
            .code(),
        "invalid_commitment"
    );
    games
        .submit(&t, &g.id, "ana", &commit("fire", na))
        .await
        .unwrap();
    // Revealing before both have committed is out of turn.
    let err = games
        .submit(&t, &g.id, "ana", &reveal("fire", na))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "out_of_turn");
    games
        .submit(&t, &g.id, "bob", &commit("water", nb))
        .await
        .unwrap();
    let before = games.get(&t, &g.id, "bob").await.unwrap();
    // A reveal that does not match the commitment, or a short nonce: refused,
    // nothing changes.
    let err = games
        .submit(&t, &g.id, "bob", &reveal("rock", nb))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "commitment_mismatch");
    let err = games
        .submit(&t, &g.id, "bob", &reveal("water", "short"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_nonce");
    assert_eq!(games.get(&t, &g.id, "bob").await.unwrap(), before);
    // Correct reveals (by name in either language) play the round.
    let (_, none) = games
        .submit(&t, &g.id, "bob", &reveal("voda", nb))
        .await
        .unwrap();
    assert!(none.is_none());
    let (view, round) = games
        .submit(&t, &g.id, "ana", &reveal("Ogenj", na))
        .await
        .unwrap();
    let round = round.unwrap();
    assert_eq!(
        (round.moves, round.outcome),
        ([Some(3), Some(4)], Outcome::Second)
    );
    assert_eq!((view.state, view.winner), (MatchState::Finished, Some(1)));
}

async fn a_late_player_forfeits_the_round(b: &Backend) {
    let games = live(b, 7);
    let t = TenantId::generate(b.clock.as_ref());
    let err = games
        .start_player(&t, "ana", pvp(RuleSet::ksp(), 3, MoveMode::Plain, Some(0)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_move_timeout");

    // Plain: Ana moves, Bob does not answer within 30 s.
    let (g, code) = games
        .start_player(&t, "ana", pvp(RuleSet::ksp(), 3, MoveMode::Plain, Some(30)))
        .await
        .unwrap();
    games.join(&t, &g.id, "bob", &code).await.unwrap();
    let (view, _) = games
        .submit(&t, &g.id, "ana", &weapon("paper"))
        .await
        .unwrap();
    assert!(view.deadline.is_some());
    b.clock.advance(Duration::from_secs(29));
    assert!(games.get(&t, &g.id, "bob").await.unwrap().rounds.is_empty());
    b.clock.advance(Duration::from_secs(2));
    let late = games.get(&t, &g.id, "bob").await.unwrap();
    assert_eq!(late.rounds.len(), 1);
    let r = late.rounds[0];
    assert_eq!(
        (r.forfeited_by, r.moves, r.outcome),
        (Some(1), [Some(2), None], Outcome::First)
    );
    assert_eq!(late.scores, [1, 0]);
    assert!(!late.opponent_moved && late.deadline.is_none());
    // Bob's late move opens the next round; the forfeit is stored with it.
    let (view, round) = games
        .submit(&t, &g.id, "bob", &weapon("rock"))
        .await
        .unwrap();
    assert!(round.is_none());
    assert_eq!(view.rounds.len(), 1);
    assert_eq!(view.your_move, Some(Pending::Weapon { index: 0 }));
    let (_, round) = games
        .submit(&t, &g.id, "ana", &weapon("rock"))
        .await
        .unwrap();
    assert_eq!(round.unwrap().outcome, Outcome::Draw);

    // Commit–reveal: both commit, Ana reveals, Bob never does.
    let (g, code) = games
        .start_player(
            &t,
            "ana",
            pvp(RuleSet::ksp(), 1, MoveMode::CommitReveal, Some(10)),
        )
        .await
        .unwrap();
    games.join(&t, &g.id, "bob", &code).await.unwrap();
    let n = "a-long-enough-nonce";
    let c = |w: &str| MoveInput::Commit {
        commitment: commitment(w, n),
    };
    games.submit(&t, &g.id, "ana", &c("rock")).await.unwrap();
    games.submit(&t, &g.id, "bob", &c("paper")).await.unwrap();
    // Both committed: nobody is behind, no deadline.
    assert!(
        games
            .get(&t, &g.id, "ana")
            .await
            .unwrap()
            .deadline
            .is_none()
    );
    let reveal = MoveInput::Reveal {
        weapon: "rock".into(),
        nonce: n.into(),
    };
    games.submit(&t, &g.id, "ana", &reveal).await.unwrap();
    b.clock.advance(Duration::from_secs(11));
    let end = games.get(&t, &g.id, "ana").await.unwrap();
    let r = end.rounds[0];
    // Bob's committed weapon is never shown.
    assert_eq!((r.forfeited_by, r.moves), (Some(1), [Some(0), None]));
    assert_eq!((end.state, end.winner), (MatchState::Finished, Some(0)));
    let err = games.submit(&t, &g.id, "bob", &reveal).await.unwrap_err();
    assert_eq!(err.code(), "match_finished");
}
