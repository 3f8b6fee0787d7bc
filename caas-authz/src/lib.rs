//! Authorization for CAAS, on Cedar (the `cedar-policy` crate).
//!
//! Built so far (issue 7, in progress): [`SlicedPolicies`], a Cedar policy
//! set indexed by policy scope so that each request evaluates only the
//! policies that can apply to it — with the same decision, reasons and
//! errors as the whole set (checked against Cedar's integration corpus and
//! randomized comparisons). To come: the per-tenant policy store with
//! schema validation and versions, entities and the `EntityProvider`, RBAC,
//! resource ACLs, cross-tenant grants, the decision cache and audit, and the
//! HTTP surface. It depends only on `caas-core` (and Cedar); see DESIGN.md.

mod slice;

pub use self::slice::SlicedPolicies;
