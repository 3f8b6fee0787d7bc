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

use std::sync::Arc;
use std::time::Duration;

use caas_core::{
    Error, KvKey, Namespace, Result, SharedClock, SharedKvStore, TenantId, Timestamp, new_id,
};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::game::{Match, MatchState, Round};
use crate::opponent::Chooser;
use crate::rules::RuleSet;

/// How live games are kept.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// A game untouched this long is dropped from the live store.
    pub ttl: Duration,
    /// Compare-and-set attempts per move before it is refused (503).
    pub max_attempts: u32,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            ttl: Duration::from_secs(24 * 3600),
            max_attempts: 64,
        }
    }
}

/// The shortest nonce a reveal may carry (a short one would let the
/// opponent guess the weapon from the commitment).
pub const MIN_NONCE_CHARS: usize = 16;
/// The longest nonce.
pub const MAX_NONCE_CHARS: usize = 256;
/// Characters of an invite code (Crockford base32, about 50 bits).
pub const INVITE_CODE_CHARS: usize = 10;

/// How a player-vs-player game takes moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

/// A player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A game as one of its players may see it: the opponent's pending move is
/// only a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The live games of every tenant. Cheap to clone.
#[derive(Clone)]
pub struct LiveGames {
    kv: SharedKvStore,
    clock: SharedClock,
    computer: Arc<dyn Chooser>,
    config: LiveConfig,
}

impl std::fmt::Debug for LiveGames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveGames")
            .field("kv", &self.kv.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn key(tenant: &TenantId, id: &Uuid) -> Result<KvKey> {
    Namespace::Tenant(*tenant).key(&format!("game/{}", id.simple()))
}

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

/// Applies one move of `seat`; plays the round when both moves are in.
fn apply(
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
fn settle(game: &mut Game, now: Timestamp) -> Option<Round> {
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

fn not_found(id: &Uuid) -> Error {
    Error::not_found(format!("game {id} not found")).with_code("game_not_found")
}

impl LiveGames {
    /// Live games in `kv`, the computer choosing with `computer`.
    pub fn new(
        kv: SharedKvStore,
        clock: SharedClock,
        computer: Arc<dyn Chooser>,
        config: LiveConfig,
    ) -> Self {
        LiveGames {
            kv,
            clock,
            computer,
            config,
        }
    }

    /// Starts a game of `subject` against the computer.
    pub async fn start_computer(
        &self,
        tenant: &TenantId,
        subject: &str,
        ruleset: RuleSet,
        target: Option<u32>,
    ) -> Result<Game> {
        let play = Match::new(&ruleset, target)?;
        let now = self.clock.now();
        let game = Game {
            id: new_id(self.clock.as_ref()),
            ruleset,
            players: [
                Player::Subject {
                    id: subject.to_owned(),
                },
                Player::Computer,
            ],
            play,
            mode: MoveMode::Plain,
            invite: None,
            pending: [None, None],
            move_timeout_secs: None,
            deadline: None,
            version: 0,
            created_at: now,
            updated_at: now,
        };
        self.insert(tenant, &game).await?;
        Ok(game)
    }

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
        };
        self.insert(tenant, &game).await?;
        Ok((game, code))
    }

    async fn insert(&self, tenant: &TenantId, game: &Game) -> Result<()> {
        let bytes = serde_json::to_vec(game)?;
        if !self
            .kv
            .set_if_absent(&key(tenant, &game.id)?, &bytes, Some(self.config.ttl))
            .await?
        {
            return Err(Error::conflict("a game with this id exists").with_code("game_exists"));
        }
        Ok(())
    }

    async fn load(&self, tenant: &TenantId, id: &Uuid) -> Result<Option<(Vec<u8>, Game)>> {
        let Some(bytes) = self.kv.get(&key(tenant, id)?).await? else {
            return Ok(None);
        };
        let game: Game = serde_json::from_slice(&bytes)
            .map_err(|e| Error::internal(format!("a live game does not parse: {e}")))?;
        Ok(Some((bytes, game)))
    }

    /// Game `id` of the tenant, as `subject` may see it: only its players
    /// see it (others get 404, as for a game that does not exist).
    pub async fn get(&self, tenant: &TenantId, id: &Uuid, subject: &str) -> Result<GameView> {
        match self.load(tenant, id).await? {
            Some((_, mut g)) => match g.seat(subject) {
                Some(seat) => {
                    // A forfeit that is due shows at once; it is stored with
                    // the next change (it follows from the state and time).
                    settle(&mut g, self.clock.now());
                    Ok(g.view(seat))
                }
                None => Err(not_found(id)),
            },
            None => Err(not_found(id)),
        }
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

    /// `subject` makes `input` in game `id`: against the computer the round
    /// is played at once; against a player the move waits (hidden) for the
    /// other's, and the round is played when both are in. Returns the
    /// mover's view and the round, if one was played.
    pub async fn submit(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        subject: &str,
        input: &MoveInput,
    ) -> Result<(GameView, Option<Round>)> {
        let computer = self.computer.clone();
        let now = self.clock.now();
        let (game, (seat, round)) = self
            .update(tenant, id, |game| {
                let seat = game.seat(subject).ok_or_else(|| not_found(id))?;
                game.play.check_playable()?;
                let round = apply(game, seat, input, computer.as_ref(), now)?;
                Ok((seat, round))
            })
            .await?;
        Ok((game.view(seat), round))
    }

    /// Game `id` as stored, with any forfeit that is due applied: for the
    /// server (to record a finished game), never for a player.
    pub async fn raw(&self, tenant: &TenantId, id: &Uuid) -> Result<Game> {
        let (_, mut game) = self.load(tenant, id).await?.ok_or_else(|| not_found(id))?;
        settle(&mut game, self.clock.now());
        Ok(game)
    }

    /// Drops game `id` from the live store (once it is in the history, say);
    /// `true` if it was there.
    pub async fn remove(&self, tenant: &TenantId, id: &Uuid) -> Result<bool> {
        self.kv.delete(&key(tenant, id)?).await
    }

    /// Applies `change` to game `id` by compare-and-set, retrying when
    /// another change came first; returns the game after the change and
    /// what `change` returned.
    async fn update<T>(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        mut change: impl FnMut(&mut Game) -> Result<T>,
    ) -> Result<(Game, T)> {
        let k = key(tenant, id)?;
        for _ in 0..self.config.max_attempts {
            let Some((old, mut game)) = self.load(tenant, id).await? else {
                return Err(not_found(id));
            };
            settle(&mut game, self.clock.now());
            let out = change(&mut game)?;
            game.version += 1;
            game.updated_at = self.clock.now();
            let new = serde_json::to_vec(&game)?;
            if self
                .kv
                .compare_and_set(&k, Some(&old), &new, Some(self.config.ttl))
                .await?
            {
                return Ok((game, out));
            }
        }
        Err(Error::unavailable(
            "the game is changing too often to apply this move; try again",
        ))
    }

    /// `subject` plays `weapon` (a name or menu number) against the
    /// computer; returns the mover's view and the round. A game that is not
    /// `subject`'s against the computer is 404, and nothing changes.
    pub async fn move_computer(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        subject: &str,
        weapon: &str,
    ) -> Result<(GameView, Round)> {
        let input = MoveInput::Weapon {
            weapon: weapon.to_owned(),
        };
        let computer = self.computer.clone();
        let now = self.clock.now();
        let (game, round) = self
            .update(tenant, id, |game| {
                if game.seat(subject) != Some(0) || game.players[1] != Player::Computer {
                    return Err(not_found(id));
                }
                game.play.check_playable()?;
                apply(game, 0, &input, computer.as_ref(), now)?
                    .ok_or_else(|| Error::internal("a move against the computer played no round"))
            })
            .await?;
        Ok((game.view(0), round))
    }
}
