#![doc = include_str!("../README.md")]
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
