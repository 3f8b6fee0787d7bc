//! `platform.games`: KSP, KSPOV and the tenant's rule sets, stored — games
//! against the computer or another player, and each player's history.

use caas::Platform;
use caas::game::rules::RuleSetInput;
use caas::game::{MoveInput, NewGame, Opponent};
use pyo3::prelude::*;

use super::Tenant;
use super::auth::json;
use crate::convert::{Data, Json};

/// `platform.games`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Games {
    pub(crate) platform: Platform,
}

fn game_id(text: &str) -> caas::core::Result<uuid::Uuid> {
    text.parse()
        .map_err(|_| caas::core::Error::not_found("no such game"))
}

fn opponent(text: &str) -> caas::core::Result<Opponent> {
    match text {
        "computer" => Ok(Opponent::Computer),
        "player" => Ok(Opponent::Player),
        _ => Err(
            caas::core::Error::invalid_input("`opponent` must be `computer` or `player`")
                .with_field("opponent"),
        ),
    }
}

crate::platform::methods!(Games {
    /// Starts a game for `player`: against the computer, or a player game
    /// whose `code` (in the answer, shown once) the other player joins with.
    /// `keep_history=False`: a game against the computer that never enters
    /// the history (the original KSP kept only subscribers' matches).
    [tenant, player, ruleset = "ksp".to_owned(), *, opponent = "computer".to_owned(), target = None, keep_history = true]
    fn start / astart(
        this,
        tenant: Tenant,
        player: String,
        ruleset: String,
        opponent: String,
        target: Option<u32>,
        keep_history: bool,
    ) -> Json {
        let new = NewGame {
            ruleset,
            opponent: self::opponent(&opponent)?,
            target,
            mode: None,
            move_timeout_secs: None,
            keep_history,
        };
        json(&this.games.start(&tenant.inner.id, &player, new).await?)
    }

    /// `player` joins a player game with its code.
    [tenant, game_id, player, code]
    fn join / ajoin(this, tenant: Tenant, game_id: String, player: String, code: String) -> Json {
        let id = self::game_id(&game_id)?;
        json(&this.games.join(&tenant.inner.id, &id, &player, &code).await?)
    }

    /// `player` plays `weapon` (a name in English or Slovenian, or the
    /// menu number): the game, and the round when this move decided one.
    [tenant, game_id, player, weapon]
    fn play / aplay(this, tenant: Tenant, game_id: String, player: String, weapon: String) -> Json {
        let id = self::game_id(&game_id)?;
        let (view, round) = this
            .games
            .submit(&tenant.inner.id, &id, &player, &MoveInput::Weapon { weapon })
            .await?;
        Ok(Json(serde_json::json!({
            "game": serde_json::to_value(&view).map_err(|e| caas::core::Error::internal(e.to_string()))?,
            "round": serde_json::to_value(round).map_err(|e| caas::core::Error::internal(e.to_string()))?,
        })))
    }

    /// The game as `player` sees it.
    [tenant, game_id, player]
    fn get / aget(this, tenant: Tenant, game_id: String, player: String) -> Json {
        let id = self::game_id(&game_id)?;
        json(&this.games.get(&tenant.inner.id, &id, &player).await?)
    }

    /// `player`'s finished matches, newest first.
    [tenant, player, *, ruleset = None, page = 1, per_page = 20]
    fn history / ahistory(
        this,
        tenant: Tenant,
        player: String,
        ruleset: Option<String>,
        page: u32,
        per_page: u32,
    ) -> Json {
        json(&this.games.history().list(&tenant.inner.id, &player, ruleset.as_deref(), page, per_page).await?)
    }

    /// `player`'s statistics.
    [tenant, player, *, ruleset = None]
    fn stats / astats(this, tenant: Tenant, player: String, ruleset: Option<String>) -> Json {
        json(&this.games.history().stats(&tenant.inner.id, &player, ruleset.as_deref()).await?)
    }

    /// Deletes `player`'s history (of one rule set, or all); answers how
    /// many matches went.
    [tenant, player, *, ruleset = None]
    fn delete_history / adelete_history(this, tenant: Tenant, player: String, ruleset: Option<String>) -> u64 {
        this.games.history().delete(&tenant.inner.id, &player, ruleset.as_deref()).await
    }

    /// The tenant's rule sets (KSP and KSPOV included).
    [tenant]
    fn rulesets / arulesets(this, tenant: Tenant) -> Json {
        json(&this.games.rulesets(&tenant.inner.id).await?)
    }

    /// Adds a rule set of the tenant's own (validated as the API does).
    [tenant, ruleset]
    fn create_ruleset / acreate_ruleset(this, tenant: Tenant, ruleset: Data<RuleSetInput>) -> Json {
        json(&this.games.create_ruleset(&tenant.inner.id, ruleset.0, None).await?)
    }
});
