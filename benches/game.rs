//! A whole KSPOV match (15 decisive rounds) against the computer through
//! `caas_game::LiveGames` on the in-memory store: start, then moves until
//! the match is finished, every move a compare-and-set of the live game.
//! Reports matches/s; moves/s is that times the moves per match (about 19
//! on average: one round in five is a draw).
//!
//! `cargo bench -p caas-benches --bench game`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;

use caas_core::kv::MemoryKvStore;
use caas_core::{SharedClock, SystemClock, TenantId};
use caas_game::{LiveConfig, LiveGames, MatchState, OsChooser, RuleSet};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const WEAPONS: [&str; 5] = ["kamen", "scissors", "3", "ogenj", "voda"];

async fn one_match(games: &LiveGames, tenant: &TenantId) -> usize {
    let g = games
        .start_computer(tenant, "ana", RuleSet::kspov(), None)
        .await
        .unwrap();
    let mut moves = 0;
    loop {
        let (after, _) = games
            .move_computer(tenant, &g.id, "ana", WEAPONS[moves % 5])
            .await
            .unwrap();
        moves += 1;
        if after.state == MatchState::Finished {
            assert_eq!(after.scores.iter().sum::<u32>(), 15);
            assert!(games.remove(tenant, &g.id).await.unwrap());
            return moves;
        }
    }
}

fn kspov_match(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock: SharedClock = SystemClock::shared();
    let games = LiveGames::new(
        Arc::new(MemoryKvStore::new(clock.clone())),
        clock.clone(),
        Arc::new(OsChooser),
        LiveConfig::default(),
    );
    let tenant = TenantId::generate(clock.as_ref());
    // The average number of moves per match, for moves/s.
    let total: usize = (0..200)
        .map(|_| rt.block_on(one_match(&games, &tenant)))
        .sum();
    println!(
        "kspov: {:.1} moves per match on average",
        total as f64 / 200.0
    );
    let mut group = c.benchmark_group("game");
    group.throughput(Throughput::Elements(1));
    group.bench_function("kspov match vs computer, memory store", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(one_match(&games, &tenant).await) });
    });
    group.finish();
}

criterion_group!(benches, kspov_match);
criterion_main!(benches);
