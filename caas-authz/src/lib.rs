//! Authorization for CAAS, on Cedar (the `cedar-policy` crate).
//!
//! - [`PolicyStore`]: versioned per-tenant policy sets with their schema,
//!   validated in strict mode with Cedar's diagnostics (line, column).
//! - [`SlicedPolicies`]: a Cedar policy set indexed by policy scope, so that
//!   each request evaluates only the policies that can apply to it — with
//!   the same decision, reasons and errors as the whole set.
//! - Entities ([`EntityProvider`], the built-in [`SqlEntities`]), roles
//!   ([`RoleStore`]: the built-in owner, admin, editor, viewer and the
//!   tenant's), access entries on resources inherited down the resource
//!   hierarchy, cross-tenant grants.
//! - [`Engine`]: decisions with reasons, batches, "which actions", filters;
//!   the caches and their invalidation across instances; decision audit.
//!   [`Engine::admin`] ([`AuthzAdmin`]) reads and writes the tenant's
//!   policies, roles, entities, access entries and grants, dropping what
//!   each write changes from every instance's caches.
//! - [`RouteCheck`]: the four checks an API route declares.
//!
//! It depends only on `caas-core` (and Cedar); see DESIGN.md.

mod checks;
mod diagnostics;
mod engine;
mod entities;
mod migrations;
pub mod model;
mod roles;
mod schema;
mod sharing;
mod slice;
mod store;
mod subject;

pub use self::checks::{CHECK_SCOPE, Caller, RouteCheck, check_vouched_roles};
pub use self::diagnostics::Finding;
pub use self::engine::{
    AuthzAdmin, AuthzRequest, CHANGED_TOPIC, Decision, Engine, EngineConfig, EngineParts,
};
pub use self::entities::{
    AccessEntry, EntityInput, EntityProvider, EntityRecord, MAX_ACCESS_ENTRIES, MAX_ATTRS_BYTES,
    MAX_PARENTS, SqlEntities,
};
pub use self::migrations::MIGRATIONS;
pub use self::model::EntityRef;
pub use self::roles::{
    BUILTIN_ROLES, MAX_INHERITS, MAX_PERMISSIONS, MAX_ROLES, RoleDef, RoleStore, builtin_roles,
};
pub use self::schema::BUILTIN_TYPES;
pub use self::slice::SlicedPolicies;
pub use self::store::{
    Checked, MAX_POLICIES, MAX_POLICY_BYTES, MAX_SCHEMA_BYTES, PolicyDraft, PolicyStore,
    PolicyVersion, check,
};
pub use self::subject::AuthzSource;

/// The events caas-authz publishes for integrators (with a bus configured;
/// its cache invalidations travel on `authz.changed`, which is internal).
pub static EVENTS: &[caas_core::EventType] = &[
    caas_core::EventType::new("role.granted", "a tenant role was assigned to a principal"),
    caas_core::EventType::new("role.revoked", "a tenant role was taken from a principal"),
    caas_core::EventType::new(
        "grant.created",
        "a role on a resource was granted to another tenant's principal",
    ),
    caas_core::EventType::new("grant.revoked", "a cross-tenant grant was revoked"),
];
