//! A match: the state machine (waiting → in progress → finished, or
//! abandoned), its rounds and scores.
//!
//! Only decisive rounds count: a match ends the moment the two scores add up
//! to its target (odd, so the winner has more points). Draws are recorded
//! but score nothing; a match that reaches [`MAX_ROUNDS`] rounds in all is
//! abandoned.

use caas_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::opponent::Chooser;
use crate::rules::{MAX_TARGET, Outcome, RuleSet};

/// The most rounds (draws included) one match may have.
pub const MAX_ROUNDS: usize = 1_000;

/// Where a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    /// Waiting for the second player.
    Waiting,
    /// Being played.
    InProgress,
    /// Ended at its target.
    Finished,
    /// Given up, timed out or too long; no winner.
    Abandoned,
}

/// One round: both weapons (0-based indexes into the rule set's weapons)
/// and the outcome from the first player's side. In a round forfeited by a
/// player who did not move in time, that player's weapon is `None` (and the
/// other's too if it had only committed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Round {
    /// 1, 2, …
    pub number: u32,
    /// The first and the second player's weapons.
    pub moves: [Option<usize>; 2],
    /// Who won the round.
    pub outcome: Outcome,
    /// The seat that forfeited the round by not moving in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forfeited_by: Option<usize>,
}

/// A match between two players (0: the one who started it, 1: the other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    ruleset: String,
    target: u32,
    state: MatchState,
    scores: [u32; 2],
    rounds: Vec<Round>,
}

fn conflict(message: &str, code: &'static str) -> Error {
    Error::conflict(message.to_owned()).with_code(code)
}

impl Match {
    /// A match of `rules` to `target` decisive rounds (the rule set's when
    /// `None`), in progress at once (against the computer).
    pub fn new(rules: &RuleSet, target: Option<u32>) -> Result<Match> {
        let target = target.unwrap_or(rules.target());
        if target == 0 || target > MAX_TARGET || target.is_multiple_of(2) {
            return Err(Error::invalid_input(format!(
                "the target is an odd number of decisive rounds from 1 to {MAX_TARGET}, not {target}, so that a match always has a winner"
            ))
            .with_field("target")
            .with_code("invalid_target"));
        }
        Ok(Match {
            ruleset: rules.id().to_owned(),
            target,
            state: MatchState::InProgress,
            scores: [0, 0],
            rounds: Vec::new(),
        })
    }

    /// Like [`Match::new`], waiting for a second player.
    pub fn waiting(rules: &RuleSet, target: Option<u32>) -> Result<Match> {
        let mut m = Match::new(rules, target)?;
        m.state = MatchState::Waiting;
        Ok(m)
    }

    /// The second player joined: waiting → in progress.
    pub fn start(&mut self) -> Result<()> {
        match self.state {
            MatchState::Waiting => {
                self.state = MatchState::InProgress;
                Ok(())
            }
            _ => Err(conflict(
                "the match is not waiting for a player",
                "match_not_waiting",
            )),
        }
    }

    /// Ends the match without a winner (unless it already ended).
    pub fn abandon(&mut self) -> Result<()> {
        match self.state {
            MatchState::Waiting | MatchState::InProgress => {
                self.state = MatchState::Abandoned;
                Ok(())
            }
            _ => Err(self.not_playable()),
        }
    }

    /// Ok while the match is in progress; otherwise the 409 a move gets.
    pub fn check_playable(&self) -> Result<()> {
        if self.state == MatchState::InProgress {
            Ok(())
        } else {
            Err(self.not_playable())
        }
    }

    fn not_playable(&self) -> Error {
        match self.state {
            MatchState::Waiting => conflict(
                "the match has not started: the second player has not joined",
                "match_not_started",
            ),
            MatchState::Finished => conflict("the match is over", "match_finished"),
            MatchState::Abandoned => conflict("the match was abandoned", "match_abandoned"),
            MatchState::InProgress => conflict("the match is in progress", "match_in_progress"),
        }
    }

    /// Plays a round with both players' weapons. Refused (409) unless the
    /// match is in progress; a weapon out of range is invalid input.
    pub fn play(&mut self, rules: &RuleSet, moves: [usize; 2]) -> Result<Round> {
        if rules.id() != self.ruleset {
            return Err(Error::internal(format!(
                "the match is of rule set `{}`, not `{}`",
                self.ruleset,
                rules.id()
            )));
        }
        if self.state != MatchState::InProgress {
            return Err(self.not_playable());
        }
        let outcome = rules.outcome(moves[0], moves[1]).ok_or_else(|| {
            Error::invalid_input(format!(
                "{} has {} weapons",
                rules.id(),
                rules.weapons().len()
            ))
            .with_field("weapon")
            .with_code("unknown_weapon")
        })?;
        if self.rounds.len() >= MAX_ROUNDS {
            self.state = MatchState::Abandoned;
            return Err(conflict(
                "the match reached the most rounds a match may have and was abandoned",
                "too_many_rounds",
            ));
        }
        Ok(self.record(Round {
            number: 0,
            moves: [Some(moves[0]), Some(moves[1])],
            outcome,
            forfeited_by: None,
        }))
    }

    /// `seat` did not move in time: the round goes to the other player,
    /// whose weapon (if it had one in) is recorded.
    pub fn forfeit(&mut self, seat: usize, other_weapon: Option<usize>) -> Result<Round> {
        self.check_playable()?;
        if self.rounds.len() >= MAX_ROUNDS {
            self.state = MatchState::Abandoned;
            return Err(conflict(
                "the match reached the most rounds a match may have and was abandoned",
                "too_many_rounds",
            ));
        }
        let seat = seat.min(1);
        let mut moves = [None, None];
        moves[1 - seat] = other_weapon;
        Ok(self.record(Round {
            number: 0,
            moves,
            outcome: if seat == 0 {
                Outcome::Second
            } else {
                Outcome::First
            },
            forfeited_by: Some(seat),
        }))
    }

    fn record(&mut self, mut round: Round) -> Round {
        round.number = u32::try_from(self.rounds.len() + 1).unwrap_or(u32::MAX);
        match round.outcome {
            Outcome::First => self.scores[0] += 1,
            Outcome::Second => self.scores[1] += 1,
            Outcome::Draw => {}
        }
        self.rounds.push(round);
        if self.scores[0] + self.scores[1] >= self.target {
            self.state = MatchState::Finished;
        }
        round
    }

    /// Plays `weapon` (player 0) against the computer's pick (player 1).
    pub fn play_computer(
        &mut self,
        rules: &RuleSet,
        weapon: usize,
        computer: &dyn Chooser,
    ) -> Result<Round> {
        if self.state != MatchState::InProgress {
            return Err(self.not_playable());
        }
        let theirs = computer.choose(rules.weapons().len());
        self.play(rules, [weapon, theirs])
    }

    /// The rule set's id.
    #[must_use]
    pub fn ruleset(&self) -> &str {
        &self.ruleset
    }

    /// Decisive rounds to play.
    #[must_use]
    pub fn target(&self) -> u32 {
        self.target
    }

    /// Where the match is.
    #[must_use]
    pub fn state(&self) -> MatchState {
        self.state
    }

    /// Points of player 0 and player 1.
    #[must_use]
    pub fn scores(&self) -> [u32; 2] {
        self.scores
    }

    /// Every round so far.
    #[must_use]
    pub fn rounds(&self) -> &[Round] {
        &self.rounds
    }

    /// The winner (0 or 1) of a finished match.
    #[must_use]
    pub fn winner(&self) -> Option<usize> {
        if self.state != MatchState::Finished {
            return None;
        }
        match self.scores[0].cmp(&self.scores[1]) {
            std::cmp::Ordering::Greater => Some(0),
            std::cmp::Ordering::Less => Some(1),
            std::cmp::Ordering::Equal => None,
        }
    }
}
