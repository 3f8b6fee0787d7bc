//! `Games`, as the server uses it: the tenant's own rule sets, a game
//! recorded in the history when it ends, and change notifications.

use std::sync::Arc;
use std::time::Duration;

use caas_core::testkit::Backend;
use caas_core::{NewTenant, SqlTenantStore, TenantId, TenantSlug, TenantStore};
use caas_game::{
    Games, LiveConfig, MatchState, MoveInput, NewGame, Opponent, RuleSetInput, SeededChooser,
};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_game::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [rulesets_games_history_and_events],
}

async fn tenant(b: &Backend, slug: &str) -> TenantId {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Game"))
        .await
        .unwrap()
        .id
}

fn lizard() -> RuleSetInput {
    serde_json::from_value(serde_json::json!({
        "id": "rpsls",
        "names": { "sl": "Kamen–papir–škarje–kuščar–Spock", "en": "Rock–Paper–Scissors–Lizard–Spock" },
        "weapons": [
            { "id": "rock", "names": { "sl": "kamen", "en": "rock" } },
            { "id": "paper", "names": { "sl": "papir", "en": "paper" } },
            { "id": "scissors", "names": { "sl": "škarje", "en": "scissors" } },
            { "id": "lizard", "names": { "sl": "kuščar", "en": "lizard" } },
            { "id": "spock", "names": { "sl": "spock", "en": "Spock" } }
        ],
        "beats": [
            ["scissors", "paper"], ["paper", "rock"], ["rock", "lizard"], ["lizard", "spock"],
            ["spock", "scissors"], ["scissors", "lizard"], ["lizard", "paper"],
            ["paper", "spock"], ["spock", "rock"], ["rock", "scissors"]
        ],
        "target": 5
    }))
    .unwrap()
}

async fn rulesets_games_history_and_events(b: &Backend) {
    let t = tenant(b, "games-a").await;
    let other = tenant(b, "games-b").await;
    let games = Games::new(
        b.sql().clone(),
        b.kv.clone(),
        Some(b.events.clone()),
        b.shared_clock(),
        Arc::new(SeededChooser::new(11)),
        LiveConfig::default(),
    );

    // Rule sets: the built-ins, then the tenant's own; ids are unique.
    let ids = |v: Vec<caas_game::RuleSet>| v.iter().map(|r| r.id().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(games.rulesets(&t).await.unwrap()), ["ksp", "kspov"]);
    let made = games
        .create_ruleset(&t, lizard(), Some("admin"))
        .await
        .unwrap();
    assert_eq!(made.target(), 5);
    assert_eq!(
        ids(games.rulesets(&t).await.unwrap()),
        ["ksp", "kspov", "rpsls"]
    );
    assert_eq!(ids(games.rulesets(&other).await.unwrap()), ["ksp", "kspov"]);
    let dup = games.create_ruleset(&t, lizard(), None).await.unwrap_err();
    assert_eq!(dup.code(), "ruleset_exists");
    let mut builtin = lizard();
    builtin.id = "ksp".into();
    assert_eq!(
        games
            .create_ruleset(&t, builtin, None)
            .await
            .unwrap_err()
            .code(),
        "ruleset_exists"
    );
    let mut broken = lizard();
    broken.id = "broken".into();
    broken.beats.pop();
    let err = games.create_ruleset(&t, broken, None).await.unwrap_err();
    assert_eq!(err.code(), "incomplete_beats");
    assert!(err.message().contains("`rock`") && err.message().contains("`scissors`"));
    // Another tenant cannot use this tenant's rule set.
    let new = |ruleset: &str| NewGame {
        ruleset: ruleset.into(),
        opponent: Opponent::Computer,
        target: None,
        mode: None,
        move_timeout_secs: None,
        keep_history: true,
    };
    let err = games.start(&other, "ana", new("rpsls")).await.unwrap_err();
    assert_eq!(err.code(), "unknown_ruleset");

    // A game with the custom rules, to its end; listeners hear each move.
    let started = games.start(&t, "ana", new("rpsls")).await.unwrap();
    assert!(started.invite_code.is_none());
    let id = started.game.id;
    let mut events = games.subscribe(&t, &id, "ana").await.unwrap();
    assert_eq!(
        games.subscribe(&t, &id, "bob").await.unwrap_err().code(),
        "game_not_found"
    );
    let spock = MoveInput::Weapon {
        weapon: "Spock".into(),
    };
    let mut moves = 0;
    loop {
        let (view, round) = games.submit(&t, &id, "ana", &spock).await.unwrap();
        moves += 1;
        assert_eq!(round.unwrap().moves[0], Some(4));
        let heard = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(heard.payload.as_ref(), view.version.to_string().as_bytes());
        if view.state == MatchState::Finished {
            break;
        }
    }
    // Recorded once it ended.
    let page = games
        .history()
        .list(&t, "ana", Some("rpsls"), 1, 10)
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].rounds.len(), moves);
    assert_eq!(page.items[0].weapons[3], "lizard");

    // A computer game takes no commit–reveal.
    let mut bad = new("ksp");
    bad.mode = Some(caas_game::MoveMode::CommitReveal);
    assert_eq!(
        games.start(&t, "ana", bad).await.unwrap_err().code(),
        "not_for_computer"
    );
    // A player game comes with an invite code.
    let mut pvp = new("ksp");
    pvp.opponent = Opponent::Player;
    let started = games.start(&t, "ana", pvp.clone()).await.unwrap();
    assert_eq!(started.invite_code.as_deref().map(str::len), Some(10));
    assert_eq!(started.game.state, MatchState::Waiting);

    // A computer game kept out of the history ends without a trace there;
    // a player game cannot be (the other player's history is theirs).
    let mut unrecorded = new("ksp");
    unrecorded.keep_history = false;
    unrecorded.target = Some(1);
    let id = games.start(&t, "ana", unrecorded).await.unwrap().game.id;
    let rock = MoveInput::Weapon {
        weapon: "rock".into(),
    };
    loop {
        let (view, _) = games.submit(&t, &id, "ana", &rock).await.unwrap();
        if view.state == MatchState::Finished {
            break;
        }
    }
    let ksp = |games: Games| async move {
        games
            .history()
            .list(&t, "ana", Some("ksp"), 1, 10)
            .await
            .unwrap()
            .total
    };
    assert_eq!(ksp(games.clone()).await, 0);
    let mut kept = new("ksp");
    kept.target = Some(1);
    let id = games.start(&t, "ana", kept).await.unwrap().game.id;
    loop {
        let (view, _) = games.submit(&t, &id, "ana", &rock).await.unwrap();
        if view.state == MatchState::Finished {
            break;
        }
    }
    assert_eq!(ksp(games.clone()).await, 1);
    pvp.keep_history = false;
    assert_eq!(
        games.start(&t, "ana", pvp).await.unwrap_err().code(),
        "not_for_player_games"
    );
}
