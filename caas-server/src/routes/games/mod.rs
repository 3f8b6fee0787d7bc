//! caas-game over HTTP: rule sets, games against the computer or another
//! player of the tenant (joined by invite code; moves hidden until both
//! are in, or committed and revealed), server-sent events, and each
//! player's history and statistics. Players are the tenant's users and
//! guests (guests exist only where the tenant allows them).

pub mod events;
pub mod history;
pub mod play;
pub mod rulesets;

use caas_core::Error;
use utoipa_axum::routes;
use uuid::Uuid;

use super::declare::{ADMIN, Anyone, Routes};

/// A game id from the path: anything that is not one is a game that does
/// not exist.
fn game_id(s: &str) -> Result<Uuid, Error> {
    s.parse::<Uuid>().map_err(|_| {
        Error::not_found(format!(
            "game {} not found",
            s.chars().take(40).collect::<String>()
        ))
        .with_code("game_not_found")
    })
}

/// Games: rule sets are the tenant's; players (users and guests) act for
/// themselves.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(Anyone, routes!(rulesets::list))
        .add(ADMIN, routes!(rulesets::create))
        .add(Anyone, routes!(play::start))
        .add(Anyone, routes!(play::get))
        .add(Anyone, routes!(play::join))
        .add(Anyone, routes!(play::moves))
        .add(Anyone, routes!(events::events))
        .add(Anyone, routes!(history::list, history::delete))
        .add(Anyone, routes!(history::stats))
}
