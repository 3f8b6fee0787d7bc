//! Match history on SQLite and PostgreSQL: recording (once), per-player
//! pages with a rule-set filter, statistics, deleting one's own history
//! (the opponent keeps the match), tenant isolation, and the data-subject
//! source (export, anonymize, delete, restrict).

use std::sync::Arc;
use std::time::Duration;

use caas_core::testkit::Backend;
use caas_core::{
    DataSubjectSource, ErasureMethod, NewTenant, SqlTenantStore, SubjectRef, TenantId, TenantSlug,
    TenantStore,
};
use caas_game::{
    Game, GameHistorySource, History, LiveConfig, LiveGames, MatchState, MoveInput, MoveMode,
    PlayerGame, RuleSet, SeededChooser,
};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_game::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [history_stats_and_deletion, subject_requests_reach_the_history],
}

async fn tenant(b: &Backend, slug: &str) -> TenantId {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Game"))
        .await
        .unwrap()
        .id
}

fn live(b: &Backend) -> LiveGames {
    LiveGames::new(
        b.kv.clone(),
        b.shared_clock(),
        Arc::new(SeededChooser::new(9)),
        LiveConfig::default(),
    )
}

/// A whole match of `who` against the computer, always playing `weapon`.
async fn vs_computer(
    games: &LiveGames,
    t: &TenantId,
    who: &str,
    rules: RuleSet,
    weapon: &str,
) -> Game {
    let g = games.start_computer(t, who, rules, Some(3)).await.unwrap();
    loop {
        let (v, _) = games.move_computer(t, &g.id, who, weapon).await.unwrap();
        if v.state == MatchState::Finished {
            break;
        }
    }
    games.raw(t, &g.id).await.unwrap()
}

/// Ana (rock) against Bob (scissors), one decisive round.
async fn pvp(games: &LiveGames, t: &TenantId) -> Game {
    let new = PlayerGame {
        ruleset: RuleSet::ksp(),
        target: Some(1),
        mode: MoveMode::Plain,
        move_timeout: None,
    };
    let (g, code) = games.start_player(t, "ana", new).await.unwrap();
    games.join(t, &g.id, "bob", &code).await.unwrap();
    let w = |w: &str| MoveInput::Weapon { weapon: w.into() };
    games.submit(t, &g.id, "ana", &w("rock")).await.unwrap();
    games.submit(t, &g.id, "bob", &w("scissors")).await.unwrap();
    games.raw(t, &g.id).await.unwrap()
}

async fn history_stats_and_deletion(b: &Backend) {
    let t = tenant(b, "game-a").await;
    let other = tenant(b, "game-b").await;
    let games = live(b);
    let history = History::new(b.sql().clone(), b.shared_clock());

    // An unfinished match is not recorded.
    let open = games
        .start_computer(&t, "ana", RuleSet::ksp(), None)
        .await
        .unwrap();
    assert_eq!(
        history.record(&t, &open).await.unwrap_err().code(),
        "match_not_ended"
    );

    let mut ksp = Vec::new();
    for _ in 0..3 {
        b.clock.advance(Duration::from_secs(60));
        let g = vs_computer(&games, &t, "ana", RuleSet::ksp(), "kamen").await;
        history.record(&t, &g).await.unwrap();
        // Recording again changes nothing.
        history.record(&t, &g).await.unwrap();
        ksp.push(g);
    }
    b.clock.advance(Duration::from_secs(60));
    let kspov = vs_computer(&games, &t, "ana", RuleSet::kspov(), "voda").await;
    history.record(&t, &kspov).await.unwrap();
    b.clock.advance(Duration::from_secs(60));
    let duel = pvp(&games, &t).await;
    history.record(&t, &duel).await.unwrap();

    // Pages, newest first, and the filter.
    let p1 = history.list(&t, "ana", None, 1, 2).await.unwrap();
    assert_eq!((p1.total, p1.items.len()), (5, 2));
    assert_eq!(p1.items[0].id, duel.id);
    assert_eq!(p1.items[1].id, kspov.id);
    let p3 = history.list(&t, "ana", None, 3, 2).await.unwrap();
    assert_eq!(p3.items.len(), 1);
    assert_eq!(p3.items[0].id, ksp[0].id);
    let only = history.list(&t, "ana", Some("kspov"), 1, 20).await.unwrap();
    assert_eq!(only.total, 1);
    let m = &only.items[0];
    assert_eq!(
        (m.ruleset.as_str(), m.target, m.state),
        ("kspov", 3, MatchState::Finished)
    );
    assert_eq!(m.weapons, ["rock", "scissors", "paper", "fire", "water"]);
    assert_eq!(m.rounds, kspov.play.rounds());
    assert_eq!(m.players.len(), 2);
    assert!(m.players[1].computer && m.players[1].subject.is_none());
    assert_eq!(
        history
            .list(&t, "ana", None, 0, 2)
            .await
            .unwrap_err()
            .code(),
        "invalid_page"
    );
    assert_eq!(
        history
            .list(&t, "ana", None, 1, 101)
            .await
            .unwrap_err()
            .code(),
        "invalid_page"
    );

    // Statistics follow from the recorded matches.
    let s = history.stats(&t, "ana", None).await.unwrap();
    assert_eq!(s.matches, 5);
    let all: Vec<&Game> = ksp.iter().chain([&kspov, &duel]).collect();
    let won = all.iter().filter(|g| g.play.winner() == Some(0)).count() as u64;
    assert_eq!((s.won, s.lost, s.abandoned), (won, 5 - won, 0));
    let rounds: usize = all.iter().map(|g| g.play.rounds().len()).sum();
    assert_eq!(s.rounds, rounds as u64);
    let rock: usize = ksp.iter().map(|g| g.play.rounds().len()).sum::<usize>() + 1;
    assert_eq!(s.weapons["rock"], rock as u64);
    assert_eq!(s.weapons["water"], kspov.play.rounds().len() as u64);
    assert_eq!(
        s.most_used_weapon.as_deref(),
        Some(if rock >= kspov.play.rounds().len() {
            "rock"
        } else {
            "water"
        })
    );
    let bob = history.stats(&t, "bob", None).await.unwrap();
    assert_eq!((bob.matches, bob.lost, bob.rounds_won), (1, 1, 0));
    assert_eq!(bob.most_used_weapon.as_deref(), Some("scissors"));

    // Another tenant sees none of it.
    assert_eq!(
        history
            .list(&other, "ana", None, 1, 20)
            .await
            .unwrap()
            .total,
        0
    );

    // Ana deletes her KSP history: her 3 matches against the computer go;
    // Bob keeps the duel, without Ana's seat.
    assert_eq!(history.delete(&t, "ana", Some("ksp")).await.unwrap(), 4);
    let left = history.list(&t, "ana", None, 1, 20).await.unwrap();
    assert_eq!(left.total, 1);
    assert_eq!(left.items[0].id, kspov.id);
    let bobs = history.list(&t, "bob", None, 1, 20).await.unwrap();
    assert_eq!(bobs.total, 1);
    assert_eq!(bobs.items[0].players.len(), 1);
    assert_eq!(bobs.items[0].players[0].subject.as_deref(), Some("bob"));
    // Deleting again finds nothing.
    assert_eq!(history.delete(&t, "ana", Some("ksp")).await.unwrap(), 0);
}

async fn subject_requests_reach_the_history(b: &Backend) {
    let t = tenant(b, "game-dsr").await;
    let games = live(b);
    let history = History::new(b.sql().clone(), b.shared_clock());
    let source = GameHistorySource(history.clone());
    let g = vs_computer(&games, &t, "ana", RuleSet::ksp(), "papir").await;
    history.record(&t, &g).await.unwrap();
    let duel = pvp(&games, &t).await;
    history.record(&t, &duel).await.unwrap();
    let ana = SubjectRef::new(t, "ana");

    assert_eq!(source.categories()[0].name, "game_history");
    let export = source.export(&ana).await.unwrap();
    assert_eq!(export.source, "caas-game.history");
    let exported = export.categories["game_history"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(exported.len(), 2);
    assert!(exported.iter().any(|m| m["id"] == serde_json::json!(g.id)));

    // Anonymize: Ana's seats stay for Bob's record, without her.
    let done = source.erase(&ana, ErasureMethod::Anonymize).await.unwrap();
    assert_eq!(done.records, 2);
    assert_eq!(history.list(&t, "ana", None, 1, 20).await.unwrap().total, 0);
    let bobs = history.list(&t, "bob", None, 1, 20).await.unwrap();
    assert_eq!(bobs.items[0].players.len(), 2);
    assert!(
        bobs.items[0]
            .players
            .iter()
            .all(|p| p.subject.as_deref() != Some("ana"))
    );
    assert!(
        source.export(&ana).await.unwrap().categories["game_history"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Restricted: new matches are stored without her.
    source.restrict(&ana, true).await.unwrap();
    source.restrict(&ana, true).await.unwrap();
    let later = vs_computer(&games, &t, "ana", RuleSet::ksp(), "rock").await;
    history.record(&t, &later).await.unwrap();
    assert_eq!(history.list(&t, "ana", None, 1, 20).await.unwrap().total, 0);
    source.restrict(&ana, false).await.unwrap();
    let after = vs_computer(&games, &t, "ana", RuleSet::ksp(), "rock").await;
    history.record(&t, &after).await.unwrap();
    assert_eq!(history.list(&t, "ana", None, 1, 20).await.unwrap().total, 1);

    // Delete: gone, and idempotent.
    assert_eq!(
        source
            .erase(&ana, ErasureMethod::Delete)
            .await
            .unwrap()
            .records,
        1
    );
    assert_eq!(
        source
            .erase(&ana, ErasureMethod::Delete)
            .await
            .unwrap()
            .records,
        0
    );
    assert_eq!(
        source.export(&ana).await.unwrap().categories["game_history"],
        serde_json::json!([])
    );
}
