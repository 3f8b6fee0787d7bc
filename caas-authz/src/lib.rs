//! Authorization for CAAS.
//!
//! Not built yet: this crate will hold the policy engine (effect, principal /
//! action / resource matchers, conditions; deny overrides allow) with a
//! parser, validator and explaining evaluator, RBAC with role hierarchies,
//! resource ACLs with inheritance, tenant-scoped policies, cross-tenant
//! grants, and a decision cache with audit records. It depends only on
//! `caas-core`; see DESIGN.md.
