#![doc = include_str!("../README.md")]
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
