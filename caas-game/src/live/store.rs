//! The live store: games in the tenant's namespace of the `KvStore`, with
//! a TTL, changed only by compare-and-set (retried when another change came
//! first), and games against the computer, whose rounds are played at once.

use std::sync::Arc;
use std::time::Duration;

use caas_core::{Error, KvKey, Namespace, Result, SharedClock, SharedKvStore, TenantId, new_id};
use uuid::Uuid;

use super::pvp::{apply, settle};
use super::{Game, GameView, MoveInput, MoveMode, Player};
use crate::game::{Match, Round};
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

/// The live games of every tenant. Cheap to clone.
#[derive(Clone)]
pub struct LiveGames {
    kv: SharedKvStore,
    pub(super) clock: SharedClock,
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
        self.start_computer_with(tenant, subject, ruleset, target, true)
            .await
    }

    /// Starts a game of `subject` against the computer that, when
    /// `keep_history` is false, never enters the history.
    pub async fn start_computer_with(
        &self,
        tenant: &TenantId,
        subject: &str,
        ruleset: RuleSet,
        target: Option<u32>,
        keep_history: bool,
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
            keep_history,
        };
        self.insert(tenant, &game).await?;
        Ok(game)
    }

    pub(super) async fn insert(&self, tenant: &TenantId, game: &Game) -> Result<()> {
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
    pub(super) async fn update<T>(
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
