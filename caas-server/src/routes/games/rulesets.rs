//! `GET/POST /v1/games/rulesets`: the built-in KSP and KSPOV and the
//! tenant's own rule sets (created by a tenant admin, validated: every pair
//! of weapons has exactly one winner).

use axum::extract::State;
use axum::http::StatusCode;
use caas_game::{RuleSet, RuleSetInput};

use crate::extract::{TenantAccess, TenantAdmin};
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// The rule sets players of this tenant can use.
#[utoipa::path(get, path = "/v1/games/rulesets", operation_id = "list_game_rulesets", tag = "games",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "Built-in rule sets, then the tenant's own: id, names (sl, en), weapons, beats, target", body = Vec<RuleSet>)))]
pub async fn list(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Vec<RuleSet>>, Problem> {
    Ok(Json(state.games.rulesets(&access.tenant.id).await?))
}

/// Define a rule set (tenant admins).
#[utoipa::path(post, path = "/v1/games/rulesets", operation_id = "create_game_ruleset", tag = "games",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    request_body(content = RuleSetInput, description = "3 to 25 weapons, every pair with exactly one winner (`beats`: `[winner, loser]` pairs of weapon ids), an odd target"),
    responses(
        (status = 201, description = "Created", body = RuleSet),
        (status = 400, description = "Invalid: the problem names the field, and for an incomplete or contradictory relation the pair", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken, or the tenant has 100 rule sets", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Json(body): Json<RuleSetInput>,
) -> Result<(StatusCode, Json<RuleSet>), Problem> {
    let access = admin.0;
    let rules = state
        .games
        .create_ruleset(&access.tenant.id, body, Some(&access.principal.subject))
        .await?;
    Ok((StatusCode::CREATED, Json(rules)))
}
