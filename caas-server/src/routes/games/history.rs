//! My history: `GET/DELETE /v1/games/history`, `GET /v1/games/stats`.

use axum::extract::{Query, State};
use caas_game::{HistoryPage, Stats};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// Which matches, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Only this rule set's matches.
    pub ruleset: Option<String>,
    /// 1, 2, … (default 1).
    pub page: Option<u32>,
    /// Matches per page (1–100, default 20).
    pub per_page: Option<u32>,
}

/// Which rule set.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RulesetParam {
    /// Only this rule set (all when absent).
    pub ruleset: Option<String>,
}

/// What a deletion removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// Matches removed from my history.
    pub deleted: u64,
}

/// My finished matches, newest first.
#[utoipa::path(get, path = "/v1/games/history", operation_id = "game_history", tag = "games",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), HistoryParams),
    responses(
        (status = 200, description = "`{items, page, per_page, total}`; each match with its rule set's weapon ids, players, scores, winner and every round", body = HistoryPage),
        (status = 400, description = "Invalid page", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: UserAccess,
    Query(p): Query<HistoryParams>,
) -> Result<Json<HistoryPage>, Problem> {
    Ok(Json(
        state
            .games
            .history()
            .list(
                &user.tenant.id,
                &user.principal.subject,
                p.ruleset.as_deref(),
                p.page.unwrap_or(1),
                p.per_page.unwrap_or(20),
            )
            .await?,
    ))
}

/// Delete my history (of one rule set, or all); an opponent keeps the match.
#[utoipa::path(delete, path = "/v1/games/history", operation_id = "delete_game_history", tag = "games",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), RulesetParam),
    responses((status = 200, description = "How many matches left my history", body = Deleted)))]
pub async fn delete(
    State(state): State<AppState>,
    user: UserAccess,
    Query(p): Query<RulesetParam>,
) -> Result<Json<Deleted>, Problem> {
    let deleted = state
        .games
        .history()
        .delete(
            &user.tenant.id,
            &user.principal.subject,
            p.ruleset.as_deref(),
        )
        .await?;
    Ok(Json(Deleted { deleted }))
}

/// My statistics.
#[utoipa::path(get, path = "/v1/games/stats", operation_id = "game_stats", tag = "games",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), RulesetParam),
    responses((status = 200, description = "Matches won, lost, abandoned; rounds; weapons used and the most used", body = Stats)))]
pub async fn stats(
    State(state): State<AppState>,
    user: UserAccess,
    Query(p): Query<RulesetParam>,
) -> Result<Json<Stats>, Problem> {
    Ok(Json(
        state
            .games
            .history()
            .stats(
                &user.tenant.id,
                &user.principal.subject,
                p.ruleset.as_deref(),
            )
            .await?,
    ))
}
