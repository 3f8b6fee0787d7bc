//! [`Games`]: what the server calls — rule sets (built-in and the tenant's
//! own), starting, joining and playing games, their history, and change
//! notifications for server-sent events.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use caas_core::events::{Subscription, Topic, TopicFilter};
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{
    Db, Error, ErrorKind, Namespace, Result, SharedClock, SharedEventBus, SharedKvStore, TenantId,
    bounded_duration,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::game::{MatchState, Round};
use crate::history::History;
use crate::live::{
    GameView, LiveConfig, LiveGames, MAX_MOVE_TIMEOUT, MoveInput, MoveMode, PlayerGame,
};
use crate::opponent::Chooser;
use crate::rules::{RuleSet, RuleSetInput};

/// The most rule sets a tenant may define.
pub const MAX_CUSTOM_RULESETS: i64 = 100;

/// Who a new game is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opponent {
    /// The computer.
    Computer,
    /// Another player of the tenant, invited by code.
    Player,
}

/// A game to start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGame {
    /// The rule set's id (`ksp`, `kspov` or the tenant's own).
    pub ruleset: String,
    /// Against whom.
    pub opponent: Opponent,
    /// Decisive rounds (the rule set's by default).
    #[serde(default)]
    pub target: Option<u32>,
    /// Player games: `plain` (default) or `commit_reveal`.
    #[serde(default)]
    pub mode: Option<MoveMode>,
    /// Player games: seconds a player has to answer the other's move (1 to
    /// 86400, one day: [`MAX_MOVE_TIMEOUT`]).
    #[serde(default)]
    pub move_timeout_secs: Option<u64>,
    /// Games against the computer: whether the ended match goes into the
    /// history (default yes). An application's choice (the original KSP
    /// kept only subscribers' matches), never a request field.
    #[serde(skip, default = "keep")]
    pub keep_history: bool,
}

const fn keep() -> bool {
    true
}

impl NewGame {
    /// The move timeout asked for: none, or 1 s to [`MAX_MOVE_TIMEOUT`];
    /// otherwise invalid input naming `move_timeout_secs` (code
    /// `invalid_move_timeout`).
    pub fn move_timeout(&self) -> Result<Option<Duration>> {
        self.move_timeout_secs
            .map(|secs| {
                bounded_duration("move_timeout_secs", secs, MAX_MOVE_TIMEOUT)
                    .map_err(|e| e.with_code("invalid_move_timeout"))
            })
            .transpose()
    }
}

/// A started game, and for a player game the code to give the opponent
/// (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Started {
    /// The game as its starter sees it.
    pub game: GameView,
    /// The invite code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
}

struct Stored(String);

impl FromRow for Stored {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Stored(row.get("definition")?))
    }
}

/// Every tenant's games. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Games {
    db: Db,
    clock: SharedClock,
    live: LiveGames,
    history: History,
    events: Option<SharedEventBus>,
}

fn topic(tenant: &TenantId, id: &Uuid) -> Result<Topic> {
    Topic::new(Namespace::Tenant(*tenant), &format!("game.{}", id.simple()))
}

impl Games {
    /// Games with live state in `kv`, history and rule sets in `db`, change
    /// notifications on `events`.
    pub fn new(
        db: Db,
        kv: SharedKvStore,
        events: Option<SharedEventBus>,
        clock: SharedClock,
        computer: Arc<dyn Chooser>,
        config: LiveConfig,
    ) -> Self {
        Games {
            live: LiveGames::new(kv, clock.clone(), computer, config),
            history: History::new(db.clone(), clock.clone()),
            db,
            clock,
            events,
        }
    }

    /// The history store.
    #[must_use]
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The live store.
    #[must_use]
    pub fn live(&self) -> &LiveGames {
        &self.live
    }

    /// The built-in rule sets, then the tenant's own by id.
    pub async fn rulesets(&self, tenant: &TenantId) -> Result<Vec<RuleSet>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<Stored> =
            query("SELECT definition FROM game_rulesets WHERE tenant_id = $1 ORDER BY id")
                .bind(tenant)
                .fetch_all(&mut tx)
                .await?;
        tx.commit().await?;
        let mut out = RuleSet::builtins();
        for Stored(json) in rows {
            out.push(
                serde_json::from_str(&json)
                    .map_err(|e| Error::internal(format!("a stored rule set is invalid: {e}")))?,
            );
        }
        Ok(out)
    }

    /// Rule set `id` (404 `unknown_ruleset`).
    pub async fn ruleset(&self, tenant: &TenantId, id: &str) -> Result<RuleSet> {
        if let Some(r) = RuleSet::builtins().into_iter().find(|r| r.id() == id) {
            return Ok(r);
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row: Option<Stored> =
            query("SELECT definition FROM game_rulesets WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
        tx.commit().await?;
        let Some(Stored(json)) = row else {
            let shown: String = id.chars().take(64).collect();
            return Err(Error::not_found(format!("no rule set `{shown}`"))
                .with_field("ruleset")
                .with_code("unknown_ruleset"));
        };
        serde_json::from_str(&json)
            .map_err(|e| Error::internal(format!("a stored rule set is invalid: {e}")))
    }

    /// Validates and stores a rule set of the tenant; 409 when the id is
    /// taken (by a built-in one too).
    pub async fn create_ruleset(
        &self,
        tenant: &TenantId,
        input: RuleSetInput,
        by: Option<&str>,
    ) -> Result<RuleSet> {
        let rules = RuleSet::new(input)?;
        let taken = || {
            Error::conflict(format!("a rule set `{}` exists", rules.id()))
                .with_field("id")
                .with_code("ruleset_exists")
        };
        if RuleSet::builtins().iter().any(|b| b.id() == rules.id()) {
            return Err(taken());
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let count = query("SELECT count(*) FROM game_rulesets WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one::<Scalar<i64>>(&mut tx)
            .await?
            .0;
        if count >= MAX_CUSTOM_RULESETS {
            return Err(Error::conflict(format!(
                "a tenant may define at most {MAX_CUSTOM_RULESETS} rule sets"
            ))
            .with_code("too_many_rulesets"));
        }
        query(
            "INSERT INTO game_rulesets (tenant_id, id, definition, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(rules.id())
        .bind(serde_json::to_string(&rules)?)
        .bind(by)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await
        .map_err(|e| {
            if e.kind() == ErrorKind::Conflict {
                taken()
            } else {
                e
            }
        })?;
        tx.commit().await?;
        Ok(rules)
    }

    /// Starts a game of `subject`.
    pub async fn start(&self, tenant: &TenantId, subject: &str, new: NewGame) -> Result<Started> {
        let ruleset = self.ruleset(tenant, &new.ruleset).await?;
        match new.opponent {
            Opponent::Computer => {
                if new.mode.is_some_and(|m| m != MoveMode::Plain) || new.move_timeout_secs.is_some()
                {
                    return Err(Error::invalid_input(
                        "a game against the computer takes plain moves and has no move timeout",
                    )
                    .with_field("mode")
                    .with_code("not_for_computer"));
                }
                let game = self
                    .live
                    .start_computer_with(tenant, subject, ruleset, new.target, new.keep_history)
                    .await?;
                Ok(Started {
                    game: game.view(0),
                    invite_code: None,
                })
            }
            Opponent::Player => {
                if !new.keep_history {
                    return Err(Error::invalid_input(
                        "only a game against the computer can stay out of the history",
                    )
                    .with_field("keep_history")
                    .with_code("not_for_player_games"));
                }
                let move_timeout = new.move_timeout()?;
                let (game, code) = self
                    .live
                    .start_player(
                        tenant,
                        subject,
                        PlayerGame {
                            ruleset,
                            target: new.target,
                            mode: new.mode.unwrap_or_default(),
                            move_timeout,
                        },
                    )
                    .await?;
                Ok(Started {
                    game: game.view(0),
                    invite_code: Some(code),
                })
            }
        }
    }

    /// Records an ended game in the history (once).
    async fn record_if_ended(&self, tenant: &TenantId, view: &GameView) -> Result<()> {
        if matches!(view.state, MatchState::Finished | MatchState::Abandoned) {
            let game = self.live.raw(tenant, &view.id).await?;
            if game.keep_history {
                self.history.record(tenant, &game).await?;
            }
        }
        Ok(())
    }

    async fn changed(&self, tenant: &TenantId, view: &GameView) {
        let Some(bus) = &self.events else { return };
        let sent = async {
            bus.publish(
                &topic(tenant, &view.id)?,
                Bytes::from(view.version.to_string()),
            )
            .await
        };
        if let Err(e) = sent.await {
            tracing::warn!(error = %e, "cannot publish a game change");
        }
    }

    /// Game `id` as `subject` sees it (404 for anyone else).
    pub async fn get(&self, tenant: &TenantId, id: &Uuid, subject: &str) -> Result<GameView> {
        let view = self.live.get(tenant, id, subject).await?;
        // A forfeit that ended the game shows first here.
        self.record_if_ended(tenant, &view).await?;
        Ok(view)
    }

    /// `subject` joins with `code`.
    pub async fn join(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        subject: &str,
        code: &str,
    ) -> Result<GameView> {
        let view = self.live.join(tenant, id, subject, code).await?;
        self.changed(tenant, &view).await;
        Ok(view)
    }

    /// `subject` moves.
    pub async fn submit(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        subject: &str,
        input: &MoveInput,
    ) -> Result<(GameView, Option<Round>)> {
        let (view, round) = self.live.submit(tenant, id, subject, input).await?;
        self.record_if_ended(tenant, &view).await?;
        self.changed(tenant, &view).await;
        Ok((view, round))
    }

    /// Notifications of changes to game `id`, for one of its players: each
    /// event means "read the game again".
    pub async fn subscribe(
        &self,
        tenant: &TenantId,
        id: &Uuid,
        subject: &str,
    ) -> Result<Subscription> {
        let bus = self
            .events
            .as_ref()
            .ok_or_else(|| Error::unavailable("game events are not available"))?;
        // Only a player may listen.
        self.live.get(tenant, id, subject).await?;
        bus.subscribe(TopicFilter::Topic(topic(tenant, id)?)).await
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn move_timeouts_are_bounded_or_refused_by_name(secs in any::<u64>()) {
            let new = NewGame {
                ruleset: "ksp".into(),
                opponent: Opponent::Player,
                target: None,
                mode: None,
                move_timeout_secs: Some(secs),
                keep_history: true,
            };
            match new.move_timeout() {
                Ok(t) => {
                    let t = t.unwrap_or_default();
                    prop_assert!(!t.is_zero() && t <= MAX_MOVE_TIMEOUT);
                    prop_assert_eq!(t.as_secs(), secs);
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("move_timeout_secs"));
                    prop_assert_eq!(e.code(), "invalid_move_timeout");
                    prop_assert!(secs == 0 || secs > MAX_MOVE_TIMEOUT.as_secs());
                }
            }
        }
    }
}
