//! Authorization for CAAS, on Cedar (the `cedar-policy` crate).
//!
//! Built so far (issue 7, in progress): [`PolicyStore`], versioned per-tenant
//! policy sets with their schema, validated in strict mode with Cedar's
//! diagnostics (line, column) on every publish; and [`SlicedPolicies`], a Cedar policy
//! set indexed by policy scope so that each request evaluates only the
//! policies that can apply to it — with the same decision, reasons and
//! errors as the whole set (checked against Cedar's integration corpus and
//! randomized comparisons). To come: entities and the `EntityProvider`, RBAC,
//! resource ACLs, cross-tenant grants, the decision cache and audit, and the
//! HTTP surface. It depends only on `caas-core` (and Cedar); see DESIGN.md.

mod diagnostics;
mod migrations;
mod slice;
mod store;

pub use self::diagnostics::Finding;
pub use self::migrations::MIGRATIONS;
pub use self::slice::SlicedPolicies;
pub use self::store::{
    Checked, MAX_POLICIES, MAX_POLICY_BYTES, MAX_SCHEMA_BYTES, PolicyDraft, PolicyStore,
    PolicyVersion, check,
};
