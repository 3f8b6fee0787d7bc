//! The tenant's audit log: `GET /v1/audit/entries`, `/checkpoint`,
//! `/proofs/inclusion?index=&size=`, `/proofs/consistency?from=&to=`.
//! Anyone holding a checkpoint and the verifier key can check the proofs
//! offline (caas-privacy's verifier, or any RFC 6962 implementation).

use axum::extract::{Query, State};
use caas_privacy::audit::{AuditEntry, ConsistencyProof, InclusionProof, SignedCheckpoint};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::extract::TenantAdmin;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use utoipa_axum::routes;

use super::declare::{ADMIN, Routes};

/// A page of entries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntriesParams {
    /// The first index (default 0).
    pub from: Option<u64>,
    /// How many (1–1000, default 100).
    pub limit: Option<u64>,
}

/// Entries of the log from `from`, personal parts opened unless erased.
#[utoipa::path(get, path = "/v1/audit/entries", operation_id = "list_audit_entries", tag = "audit",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), EntriesParams),
    responses((status = 200, description = "The entries in log order, from `from`", body = Vec<AuditEntry>)))]
pub async fn entries(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Query(p): Query<EntriesParams>,
) -> Result<Json<Vec<AuditEntry>>, Problem> {
    Ok(Json(
        state
            .audit_log
            .entries(
                &admin.0.tenant.id,
                p.from.unwrap_or(0),
                p.limit.unwrap_or(100),
            )
            .await?,
    ))
}

/// Sign and return a checkpoint of the current tree (C2SP signed note),
/// with the verifier key.
#[utoipa::path(get, path = "/v1/audit/checkpoint", operation_id = "get_audit_checkpoint", tag = "audit",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug")),
    responses((status = 200, description = "The signed tree head and its verifier key", body = SignedCheckpoint)))]
pub async fn checkpoint(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> Result<Json<SignedCheckpoint>, Problem> {
    Ok(Json(state.audit_log.checkpoint(&admin.0.tenant.id).await?))
}

/// Which leaf, in which tree.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// The leaf index.
    pub index: u64,
    /// The tree size (at most the current size).
    pub size: u64,
}

/// The proof that entry `index` is in the tree of `size`.
#[utoipa::path(get, path = "/v1/audit/proofs/inclusion", operation_id = "get_audit_inclusion_proof", tag = "audit",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), InclusionParams),
    responses(
        (status = 200, description = "The proof (hashes in hex)", body = InclusionProof),
        (status = 400, description = "Index not below size, or size beyond the log", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn inclusion(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Query(p): Query<InclusionParams>,
) -> Result<Json<InclusionProof>, Problem> {
    Ok(Json(
        state
            .audit_log
            .inclusion_proof(&admin.0.tenant.id, p.index, p.size)
            .await?,
    ))
}

/// Which two trees.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// The older size (at least 1).
    pub from: u64,
    /// The newer size (at most the current size).
    pub to: u64,
}

/// The proof that the tree of `to` extends the tree of `from`.
#[utoipa::path(get, path = "/v1/audit/proofs/consistency", operation_id = "get_audit_consistency_proof", tag = "audit",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"), ConsistencyParams),
    responses(
        (status = 200, description = "The proof (hashes in hex)", body = ConsistencyProof),
        (status = 400, description = "Sizes out of order or beyond the log", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn consistency(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Query(p): Query<ConsistencyParams>,
) -> Result<Json<ConsistencyProof>, Problem> {
    Ok(Json(
        state
            .audit_log
            .consistency_proof(&admin.0.tenant.id, p.from, p.to)
            .await?,
    ))
}

/// The audit log's API: the tenant's administrators.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(ADMIN, routes!(entries))
        .add(ADMIN, routes!(checkpoint))
        .add(ADMIN, routes!(inclusion))
        .add(ADMIN, routes!(consistency))
}
