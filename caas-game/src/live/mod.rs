//! Live games: a match with its rule set and players, kept in the
//! `KvStore` under the tenant's namespace with a TTL, and changed only by
//! compare-and-set — two moves at once, even through two server instances,
//! are applied one after the other, never lost or counted twice.
//!
//! Against another player of the tenant (invited by a one-time code) moves
//! are simultaneous: a move waits, hidden, until the other player's is in,
//! and only then is the round played. What a player may see of a game is
//! its [`GameView`]: the opponent's pending move is never in it. In
//! [`MoveMode::CommitReveal`] each player first submits
//! `hex(SHA-256(weapon id ‖ nonce))`, and reveals the weapon and nonce once
//! both have committed; the server checks the reveal against the commitment.
//!
//! Two concepts, one file each: `store` keeps games (the [`LiveGames`]
//! store, compare-and-set, games against the computer) and `pvp` plays
//! them between players (invites, hidden moves, commit–reveal, move
//! timeouts and forfeits). This file holds the game and what a player sees
//! of it.

mod pvp;
mod store;

use caas_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::game::{Match, MatchState, Round};
use crate::rules::RuleSet;

pub use self::pvp::{
    INVITE_CODE_CHARS, MAX_MOVE_TIMEOUT, MAX_NONCE_CHARS, MIN_NONCE_CHARS, MoveInput, MoveMode,
    Pending, PlayerGame, commitment,
};
pub use self::store::{LiveConfig, LiveGames};

/// A player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Player {
    /// The computer.
    Computer,
    /// The seat of an invited player who has not joined yet.
    Invited,
    /// A subject of the tenant (a user or a guest).
    Subject {
        /// Its id.
        id: String,
    },
}

/// A live game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Game {
    /// Its id.
    pub id: Uuid,
    /// The rules it is played by (a copy: later edits do not change it).
    pub ruleset: RuleSet,
    /// Player 0 started it; player 1 is its opponent.
    pub players: [Player; 2],
    /// The match.
    pub play: Match,
    /// How moves are taken (player-vs-player).
    #[serde(default)]
    pub mode: MoveMode,
    /// SHA-256 of the invite code, until the second player joins.
    #[serde(default)]
    pub invite: Option<String>,
    /// Each seat's move waiting for the other's.
    #[serde(default)]
    pub pending: [Option<Pending>; 2],
    /// How long a player may take to answer the other's move (seconds);
    /// `None`: no limit.
    #[serde(default)]
    pub move_timeout_secs: Option<u64>,
    /// When the player behind in this round forfeits it.
    #[serde(default)]
    pub deadline: Option<Timestamp>,
    /// Changes so far (the compare-and-set version).
    pub version: u64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Whether the ended match goes into the history (games stored before
    /// this field existed: yes).
    #[serde(default = "yes")]
    pub keep_history: bool,
}

const fn yes() -> bool {
    true
}

/// A game as one of its players may see it: the opponent's pending move is
/// only a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GameView {
    /// The game's id.
    pub id: Uuid,
    /// The rule set's id.
    pub ruleset: String,
    /// The viewer's seat (0 or 1).
    pub seat: usize,
    /// Both players.
    pub players: [Player; 2],
    /// How moves are taken.
    pub mode: MoveMode,
    /// The match's state.
    pub state: MatchState,
    /// Decisive rounds to play.
    pub target: u32,
    /// Points, by seat.
    pub scores: [u32; 2],
    /// Every round played.
    pub rounds: Vec<Round>,
    /// The viewer's own pending move.
    pub your_move: Option<Pending>,
    /// When the player behind in this round forfeits it, if there is a
    /// move timeout and one player is ahead.
    pub deadline: Option<Timestamp>,
    /// Whether the opponent has a pending move (never which).
    pub opponent_moved: bool,
    /// The winner's seat, once finished.
    pub winner: Option<usize>,
    /// Changes so far.
    pub version: u64,
}

impl Game {
    /// What the player in `seat` may see.
    #[must_use]
    pub fn view(&self, seat: usize) -> GameView {
        let seat = seat.min(1);
        GameView {
            id: self.id,
            ruleset: self.ruleset.id().to_owned(),
            seat,
            players: self.players.clone(),
            mode: self.mode,
            state: self.play.state(),
            target: self.play.target(),
            scores: self.play.scores(),
            rounds: self.play.rounds().to_vec(),
            your_move: self.pending[seat].clone(),
            deadline: self.deadline,
            opponent_moved: self.pending[1 - seat].is_some(),
            winner: self.play.winner(),
            version: self.version,
        }
    }

    /// Which player `subject` is, if any.
    #[must_use]
    pub fn seat(&self, subject: &str) -> Option<usize> {
        self.players
            .iter()
            .position(|p| matches!(p, Player::Subject { id } if id == subject))
    }
}
