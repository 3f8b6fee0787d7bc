//! A player's history as the API shows it: recorded matches, pages and
//! statistics.

use std::collections::BTreeMap;

use caas_core::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::game::{MatchState, Round};

/// A seat of a recorded match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatRecord {
    /// 0 started the match, 1 is the opponent.
    pub seat: usize,
    /// The player; `None` for the computer or an anonymized player.
    pub subject: Option<String>,
    /// The computer.
    pub computer: bool,
    /// Points.
    pub score: u32,
}

/// A recorded match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchRecord {
    /// The match id.
    pub id: Uuid,
    /// The rule set's id.
    pub ruleset: String,
    /// The rule set's weapon ids, which round moves index.
    pub weapons: Vec<String>,
    /// Decisive rounds it was played to.
    pub target: u32,
    /// `finished` or `abandoned`.
    pub state: MatchState,
    /// The winner's seat.
    pub winner: Option<usize>,
    /// The seats still on record (a player who deleted their history is
    /// not).
    pub players: Vec<SeatRecord>,
    /// Every round.
    pub rounds: Vec<Round>,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub ended_at: Timestamp,
}

/// One page of a player's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    /// The matches.
    pub items: Vec<MatchRecord>,
    /// 1, 2, …
    pub page: u32,
    /// Matches per page.
    pub per_page: u32,
    /// Matches in all pages.
    pub total: u64,
}

/// A player's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    /// Matches on record.
    pub matches: u64,
    /// Won.
    pub won: u64,
    /// Lost.
    pub lost: u64,
    /// Abandoned.
    pub abandoned: u64,
    /// Rounds played (draws included).
    pub rounds: u64,
    /// Rounds won.
    pub rounds_won: u64,
    /// How often the player used each weapon, by weapon id.
    pub weapons: BTreeMap<String, u64>,
    /// The weapon used most (the first by id on a tie).
    pub most_used_weapon: Option<String>,
}
