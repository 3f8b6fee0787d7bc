//! Player-vs-player games: a one-time invite code for the second seat,
//! simultaneous moves held hidden until both are in, the commit–reveal
//! mode, and move timeouts — the player behind when the deadline passes
//! forfeits the round.

use std::time::Duration;

use caas_core::{Error, Result, TenantId, Timestamp, new_id};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::{Game, GameView, LiveGames, Player};
use crate::game::{Match, Round};
use crate::opponent::Chooser;
use crate::rules::RuleSet;

/// The shortest nonce a reveal may carry (a short one would let the
/// opponent guess the weapon from the commitment).
pub const MIN_NONCE_CHARS: usize = 16;
/// The longest nonce.
pub const MAX_NONCE_CHARS: usize = 256;
/// Characters of an invite code (Crockford base32, about 50 bits).
pub const INVITE_CODE_CHARS: usize = 10;

/// How a player-vs-player game takes moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MoveMode {
    /// Each player sends a weapon; the server holds it until both are in.
    #[default]
    Plain,
    /// Each player sends a commitment, then reveals weapon and nonce.
    CommitReveal,
}

/// A move as a player sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum MoveInput {
    /// Reveal a committed weapon (commit–reveal games).
    Reveal {
        /// The weapon (name or menu number).
        weapon: String,
        /// The nonce the commitment was made with.
        nonce: String,
    },
    /// A weapon (plain games and games against the computer).
    Weapon {
        /// The weapon (name or menu number).
        weapon: String,
    },
    /// A commitment: lowercase hex of SHA-256(weapon id ‖ nonce).
    Commit {
        /// 64 hex digits.
        commitment: String,
    },
}

/// A seat's move waiting for the other player's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Pending {
    /// A weapon (0-based), hidden from the opponent.
    Weapon {
        /// The weapon.
        index: usize,
    },
    /// A commitment, not yet revealed.
    Committed {
        /// Its 32 bytes, hex.
        commitment: String,
    },
    /// A commitment and its verified weapon.
    Revealed {
        /// Its 32 bytes, hex.
        commitment: String,
        /// The weapon.
        index: usize,
    },
}

/// A new game against another player.
#[derive(Debug, Clone)]
pub struct PlayerGame {
    /// The rules.
    pub ruleset: RuleSet,
    /// Decisive rounds (the rule set's when `None`).
    pub target: Option<u32>,
    /// How moves are taken.
    pub mode: MoveMode,
    /// How long a player may take to answer the other's move; the one who
    /// does not forfeits the round. `None`: no limit.
    pub move_timeout: Option<Duration>,
}

/// The longest move timeout.
pub const MAX_MOVE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// A one-time invite code: Crockford base32 from the thread's OS-seeded
/// cryptographic generator.
fn invite_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    (0..INVITE_CODE_CHARS)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn wrong_kind(message: &str) -> Error {
    Error::invalid_input(message.to_owned()).with_code("wrong_move_kind")
}

fn out_of_turn(message: &str) -> Error {
    Error::conflict(message.to_owned()).with_code("out_of_turn")
}

/// `hex(SHA-256(weapon id ‖ nonce))`.
#[must_use]
pub fn commitment(weapon_id: &str, nonce: &str) -> String {
    let mut h = Sha256::new();
    h.update(weapon_id.as_bytes());
    h.update(nonce.as_bytes());
    hex::encode(h.finalize())
}

fn parse_commitment(text: &str) -> Result<String> {
    let t = text.trim().to_ascii_lowercase();
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(t)
    } else {
        Err(
            Error::invalid_input("a commitment is 64 hex digits: SHA-256(weapon id ‖ nonce)")
                .with_field("commitment")
                .with_code("invalid_commitment"),
        )
    }
}

/// Applies one move of `seat`; plays the round when both moves are in
/// (against the computer, at once: it chooses as the move comes).
pub(super) fn apply(
    game: &mut Game,
    seat: usize,
    input: &MoveInput,
    computer: &dyn Chooser,
    now: Timestamp,
) -> Result<Option<Round>> {
    let rules = game.ruleset.clone();
    if game.players[1 - seat] == Player::Computer {
        let MoveInput::Weapon { weapon } = input else {
            return Err(wrong_kind("against the computer, send a weapon"));
        };
        let mine = rules.parse_weapon(weapon)?;
        return game.play.play_computer(&rules, mine, computer).map(Some);
    }
    let mine = &game.pending[seat];
    let next = match (game.mode, input) {
        (MoveMode::Plain, MoveInput::Weapon { weapon }) => {
            if mine.is_some() {
                return Err(out_of_turn(
                    "you have moved this round; wait for the other player",
                ));
            }
            Pending::Weapon {
                index: rules.parse_weapon(weapon)?,
            }
        }
        (MoveMode::Plain, _) => return Err(wrong_kind("this game takes plain weapons")),
        (MoveMode::CommitReveal, MoveInput::Commit { commitment }) => {
            if mine.is_some() {
                return Err(out_of_turn("you have committed this round"));
            }
            Pending::Committed {
                commitment: parse_commitment(commitment)?,
            }
        }
        (MoveMode::CommitReveal, MoveInput::Reveal { weapon, nonce }) => {
            let Some(Pending::Committed { commitment: c }) = mine else {
                return Err(out_of_turn(
                    "commit first, then reveal once both have committed",
                ));
            };
            if game.pending[1 - seat].is_none() {
                return Err(out_of_turn("the other player has not committed yet"));
            }
            let n = nonce.chars().count();
            if !(MIN_NONCE_CHARS..=MAX_NONCE_CHARS).contains(&n) {
                return Err(Error::invalid_input(format!(
                    "the nonce has {MIN_NONCE_CHARS} to {MAX_NONCE_CHARS} characters"
                ))
                .with_field("nonce")
                .with_code("invalid_nonce"));
            }
            let index = rules.parse_weapon(weapon)?;
            let id = rules
                .weapon(index)
                .map(|w| w.id.clone())
                .unwrap_or_default();
            let expected = hex::decode(c).unwrap_or_default();
            let got = Sha256::digest(format!("{id}{nonce}").as_bytes());
            if !bool::from(expected.as_slice().ct_eq(got.as_slice())) {
                return Err(Error::invalid_input(
                    "the weapon and nonce do not match your commitment",
                )
                .with_code("commitment_mismatch"));
            }
            Pending::Revealed {
                commitment: c.clone(),
                index,
            }
        }
        (MoveMode::CommitReveal, MoveInput::Weapon { .. }) => {
            return Err(wrong_kind("this game takes a commitment, then a reveal"));
        }
    };
    game.pending[seat] = Some(next);
    match (ready(&game.pending[0]), ready(&game.pending[1])) {
        (Some(a), Some(b)) => {
            let round = game.play.play(&rules, [a, b])?;
            game.pending = [None, None];
            game.deadline = None;
            Ok(Some(round))
        }
        _ => {
            // The other player now has until the deadline to catch up.
            game.deadline = match game.move_timeout_secs {
                Some(secs) if stage(&game.pending[0]) != stage(&game.pending[1]) => {
                    Some(now.saturating_add(Duration::from_secs(secs)))
                }
                _ => None,
            };
            Ok(None)
        }
    }
}

/// A pending move's weapon, once known.
fn ready(p: &Option<Pending>) -> Option<usize> {
    match p {
        Some(Pending::Weapon { index } | Pending::Revealed { index, .. }) => Some(*index),
        _ => None,
    }
}

/// How far a seat is in the round: 0 nothing, 1 committed, 2 weapon in.
fn stage(p: &Option<Pending>) -> u8 {
    match p {
        None => 0,
        Some(Pending::Committed { .. }) => 1,
        Some(Pending::Weapon { .. } | Pending::Revealed { .. }) => 2,
    }
}

/// Applies a forfeit that is due at `now`: the seat behind loses the round.
pub(super) fn settle(game: &mut Game, now: Timestamp) -> Option<Round> {
    let deadline = game.deadline?;
    if now < deadline || game.play.check_playable().is_err() {
        return None;
    }
    let (s0, s1) = (stage(&game.pending[0]), stage(&game.pending[1]));
    if s0 == s1 {
        game.deadline = None;
        return None;
    }
    let behind = usize::from(s1 < s0);
    let round = game
        .play
        .forfeit(behind, ready(&game.pending[1 - behind]))
        .ok();
    game.pending = [None, None];
    game.deadline = None;
    round
}

impl LiveGames {
    /// Starts a game of `subject` against another player of the tenant, who
    /// joins with the returned one-time code.
    pub async fn start_player(
        &self,
        tenant: &TenantId,
        subject: &str,
        new: PlayerGame,
    ) -> Result<(Game, String)> {
        let PlayerGame {
            ruleset,
            target,
            mode,
            move_timeout,
        } = new;
        if let Some(t) = move_timeout
            && (t.as_secs() == 0 || t > MAX_MOVE_TIMEOUT)
        {
            return Err(Error::invalid_input(format!(
                "a move timeout is 1 to {} seconds",
                MAX_MOVE_TIMEOUT.as_secs()
            ))
            .with_field("move_timeout")
            .with_code("invalid_move_timeout"));
        }
        let play = Match::waiting(&ruleset, target)?;
        let code = invite_code();
        let now = self.clock.now();
        let game = Game {
            id: new_id(self.clock.as_ref()),
            ruleset,
            players: [
                Player::Subject {
                    id: subject.to_owned(),
                },
                Player::Invited,
            ],
            play,
            mode,
            invite: Some(hex::encode(Sha256::digest(code.as_bytes()))),
            pending: [None, None],
            move_timeout_secs: move_timeout.map(|t| t.as_secs()),
            deadline: None,
            version: 0,
            created_at: now,
            updated_at: now,
            keep_history: true,
        };
        self.insert(tenant, &game).await?;
        Ok((game, code))
    }

    /// `subject` joins game `id` with its invite `code`.
    pub async fn join(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        subject: &str,
        code: &str,
    ) -> Result<GameView> {
        let hashed = Sha256::digest(code.trim().to_uppercase().as_bytes());
        let (game, ()) = self
            .update(tenant, id, |game| {
                let expected = game
                    .invite
                    .as_deref()
                    .and_then(|h| hex::decode(h).ok())
                    .unwrap_or_default();
                let valid = game.players[1] == Player::Invited
                    && bool::from(expected.as_slice().ct_eq(hashed.as_slice()));
                if !valid {
                    // Unknown, already joined or a wrong code: one answer.
                    return Err(
                        Error::forbidden("this invite code is not valid for this game")
                            .with_code("invalid_invite_code")
                            .with_field("code"),
                    );
                }
                if game.seat(subject).is_some() {
                    return Err(
                        Error::conflict("you cannot join your own game").with_code("own_game")
                    );
                }
                game.play.start()?;
                game.players[1] = Player::Subject {
                    id: subject.to_owned(),
                };
                game.invite = None;
                Ok(())
            })
            .await?;
        Ok(game.view(1))
    }
}
