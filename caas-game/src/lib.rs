//! The game CAAS grew from: KSP (Kamen–Škarje–Papir: rock, scissors, paper)
//! and KSPOV (with fire — ogenj — and water — voda).
//!
//! - [`rules`]: rule sets as validated data; KSP and KSPOV built in.
//! - [`game`]: a match as a state machine, its rounds and scores.
//! - [`opponent`]: the computer's uniform choice (OS-seeded, or seeded for
//!   tests).
//! - [`live`]: live games in the `caas_core::KvStore` (tenant namespace,
//!   TTL), changed by compare-and-set only.
//!
//!   Player-vs-player games with hidden simultaneous moves, an optional
//!   commit–reveal mode and move timeouts that forfeit the round.
//!
//! - [`history`]: finished matches in SQL (tenant RLS), per-player history,
//!   statistics, deletion, and the data-subject source.
//!
//! - [`service`]: [`Games`], what the server calls: rule sets, games,
//!   history, change notifications.
//!
//! The HTTP routes live in `caas-server`. Depends only on `caas-core`; see DESIGN.md.

pub mod game;
pub mod history;
pub mod live;
mod migrations;
pub mod opponent;
pub mod rules;
pub mod service;

pub use self::game::{MAX_ROUNDS, Match, MatchState, Round};
pub use self::history::{
    GameHistorySource, History, HistoryPage, MAX_PER_PAGE, MatchRecord, SeatRecord, Stats,
};
pub use self::live::{
    Game, GameView, LiveConfig, LiveGames, MoveInput, MoveMode, Pending, Player, PlayerGame,
    commitment,
};
pub use self::migrations::MIGRATIONS;
pub use self::opponent::{Chooser, OsChooser, SeededChooser};
pub use self::rules::{Names, Outcome, RuleSet, RuleSetInput, Weapon};
pub use self::service::{Games, MAX_CUSTOM_RULESETS, NewGame, Opponent, Started};
