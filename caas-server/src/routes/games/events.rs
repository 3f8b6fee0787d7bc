//! `GET /v1/games/{id}/events`: server-sent events for a player — a `game`
//! event with the game as the player sees it now and after every change;
//! the stream ends with the match.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use caas_core::TenantId;
use caas_core::events::Subscription;
use caas_game::{GameView, Games, MatchState};
use futures_util::Stream;
use futures_util::stream;
use uuid::Uuid;

use super::game_id;
use crate::extract::UserAccess;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

struct Feed {
    games: Games,
    subscription: Subscription,
    tenant: TenantId,
    id: Uuid,
    subject: String,
    next: Option<GameView>,
    done: bool,
}

fn event(view: &GameView) -> Event {
    Event::default()
        .event("game")
        .id(view.version.to_string())
        .json_data(view)
        .unwrap_or_else(|_| {
            Event::default()
                .event("error")
                .data("cannot encode the game")
        })
}

fn ended(view: &GameView) -> bool {
    matches!(view.state, MatchState::Finished | MatchState::Abandoned)
}

/// Follow a game I play.
#[utoipa::path(get, path = "/v1/games/{id}/events", operation_id = "game_events", tag = "games",
    security(("bearer" = [])),
    params(
        ("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The game"),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: `game` events (the game as I see it, `id` = its version) until the match ends", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such game, or not mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn events(
    State(state): State<AppState>,
    user: UserAccess,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let id = game_id(&id)?;
    let (tenant, subject) = (user.tenant.id, user.principal.subject);
    // Subscribe first, so no change between the first read and the
    // subscription is missed.
    let subscription = state.games.subscribe(&tenant, &id, &subject).await?;
    let first = state.games.get(&tenant, &id, &subject).await?;
    let feed = Feed {
        games: state.games.clone(),
        subscription,
        tenant,
        id,
        subject,
        next: Some(first),
        done: false,
    };
    let stream = stream::unfold(feed, |mut f| async move {
        if f.done {
            return None;
        }
        if let Some(view) = f.next.take() {
            f.done = ended(&view);
            return Some((Ok(event(&view)), f));
        }
        f.subscription.recv().await?;
        match f.games.get(&f.tenant, &f.id, &f.subject).await {
            Ok(view) => {
                f.done = ended(&view);
                Some((Ok(event(&view)), f))
            }
            // The game is gone (expired): end the stream.
            Err(_) => None,
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
