//! Games: `POST /v1/games`, `GET /v1/games/{id}`,
//! `POST /v1/games/{id}/join`, `POST /v1/games/{id}/moves`. A player sees
//! a game through its view: the opponent's pending move is only a flag.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_game::{GameView, MoveInput, NewGame, Round, Started};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::game_id;
use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A game to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGameBody {
    /// `ksp`, `kspov` or one of the tenant's rule sets.
    pub ruleset: String,
    /// `computer` or `player` (another player of the tenant joins by code).
    pub opponent: String,
    /// Decisive rounds, odd (the rule set's by default: 7 for KSP, 15 for KSPOV).
    pub target: Option<u32>,
    /// Player games: `plain` (default) or `commit_reveal`.
    pub mode: Option<String>,
    /// Player games: seconds a player has to answer the other's move (1 to 86400); who does not forfeits the round.
    pub move_timeout_secs: Option<u64>,
}

/// Joining a player game.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The invite code the starter was given.
    pub code: String,
}

/// A move: `{weapon}` (a name in Slovenian or English, or the 1-based menu
/// number), `{commitment}` (64 hex digits of SHA-256(weapon id ‖ nonce)), or
/// `{weapon, nonce}` to reveal it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// The weapon.
    pub weapon: Option<String>,
    /// A commitment (commit–reveal games).
    pub commitment: Option<String>,
    /// The nonce, to reveal (16 to 256 characters).
    pub nonce: Option<String>,
}

/// A game after a move, and the round if one was played.
#[derive(Debug, Serialize, ToSchema)]
pub struct Moved {
    /// The game as the mover sees it.
    pub game: GameView,
    /// The round played by this move, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<Round>,
}

/// A snake_case name of one of `T`'s variants.
fn parse<T: serde::de::DeserializeOwned>(
    v: &str,
    field: &'static str,
    msg: &str,
) -> Result<T, caas_core::Error> {
    serde_json::from_value(serde_json::Value::String(v.to_owned())).map_err(|_| bad(msg, field))
}

fn bad(message: &str, field: &'static str) -> caas_core::Error {
    caas_core::Error::invalid_input(message.to_owned()).with_field(field)
}

impl TryFrom<NewGameBody> for NewGame {
    type Error = caas_core::Error;

    fn try_from(b: NewGameBody) -> Result<Self, Self::Error> {
        Ok(NewGame {
            ruleset: b.ruleset,
            opponent: parse(
                &b.opponent,
                "opponent",
                "`opponent` is `computer` or `player`",
            )?,
            target: b.target,
            mode: b
                .mode
                .as_deref()
                .map(|m| parse(m, "mode", "`mode` is `plain` or `commit_reveal`"))
                .transpose()?,
            move_timeout_secs: b.move_timeout_secs,
            keep_history: true,
        })
    }
}

impl TryFrom<MoveBody> for MoveInput {
    type Error = caas_core::Error;

    fn try_from(b: MoveBody) -> Result<Self, Self::Error> {
        match (b.weapon, b.commitment, b.nonce) {
            (Some(weapon), None, None) => Ok(MoveInput::Weapon { weapon }),
            (None, Some(commitment), None) => Ok(MoveInput::Commit { commitment }),
            (Some(weapon), None, Some(nonce)) => Ok(MoveInput::Reveal { weapon, nonce }),
            _ => Err(bad(
                "send `{weapon}`, `{commitment}` or `{weapon, nonce}`",
                "weapon",
            )),
        }
    }
}

/// Start a game against the computer or another player.
#[utoipa::path(post, path = "/v1/games", operation_id = "start_game", tag = "games",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body = NewGameBody,
    responses(
        (status = 201, description = "Started: the game, and for a player game the invite code (shown once)", body = Started),
        (status = 400, description = "Invalid target, mode or timeout", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such rule set", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    user: UserAccess,
    Json(body): Json<NewGameBody>,
) -> Result<(StatusCode, Json<Started>), Problem> {
    let started = state
        .games
        .start(&user.tenant.id, &user.principal.subject, body.try_into()?)
        .await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// A game I play.
#[utoipa::path(get, path = "/v1/games/{id}", operation_id = "get_game", tag = "games",
    security(("bearer" = [])),
    params(
        ("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The game"),
    ),
    responses(
        (status = 200, description = "The game as I see it", body = GameView),
        (status = 404, description = "No such game, or not mine", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: UserAccess,
    Path(id): Path<String>,
) -> Result<Json<GameView>, Problem> {
    let id = game_id(&id)?;
    Ok(Json(
        state
            .games
            .get(&user.tenant.id, &id, &user.principal.subject)
            .await?,
    ))
}

/// Join a player game with its invite code.
#[utoipa::path(post, path = "/v1/games/{id}/join", operation_id = "join_game", tag = "games",
    security(("bearer" = [])),
    params(
        ("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The game"),
    ),
    request_body = JoinBody,
    responses(
        (status = 200, description = "Joined: the game as I see it", body = GameView),
        (status = 403, description = "The code is not valid for this game", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "My own game", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn join(
    State(state): State<AppState>,
    user: UserAccess,
    Path(id): Path<String>,
    Json(body): Json<JoinBody>,
) -> Result<Json<GameView>, Problem> {
    let id = game_id(&id)?;
    Ok(Json(
        state
            .games
            .join(&user.tenant.id, &id, &user.principal.subject, &body.code)
            .await?,
    ))
}

/// Make a move.
#[utoipa::path(post, path = "/v1/games/{id}/moves", operation_id = "move_in_game", tag = "games",
    security(("bearer" = [])),
    params(
        ("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("id" = String, Path, description = "The game"),
    ),
    request_body = MoveBody,
    responses(
        (status = 200, description = "The game, and the round when this move completed one", body = Moved),
        (status = 400, description = "Unknown weapon, the wrong kind of move, a reveal that does not match the commitment", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such game, or not mine", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The match is over or not started, or it is not my turn", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn moves(
    State(state): State<AppState>,
    user: UserAccess,
    Path(id): Path<String>,
    Json(body): Json<MoveBody>,
) -> Result<Json<Moved>, Problem> {
    let id = game_id(&id)?;
    let input: MoveInput = body.try_into()?;
    let (game, round) = state
        .games
        .submit(&user.tenant.id, &id, &user.principal.subject, &input)
        .await?;
    Ok(Json(Moved { game, round }))
}
