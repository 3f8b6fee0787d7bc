#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod authn;
mod clock;
mod error;
pub mod events;
mod id;
pub mod kv;
pub mod limit;
mod migrations;
mod namespace;
#[cfg(feature = "openapi")]
mod openapi;
mod principal;
#[cfg(feature = "redis")]
mod redis_conn;
pub mod rights;
mod secret;
pub mod sql;
mod subject;
mod tenant;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod validate;

pub use self::audit::{
    AuditEvent, AuditSink, MemoryAuditSink, Outcome, SharedAuditSink, TracingAuditSink,
};
pub use self::authn::{
    AuthContext, Authenticator, Authenticators, Credential, SharedAuthenticator,
};
pub use self::clock::{Clock, ManualClock, SharedClock, SystemClock, Timestamp};
pub use self::error::{Error, ErrorKind, Result};
pub use self::events::{
    EVENTS, Envelope, Event, EventBus, EventCatalogue, EventType, SharedEventBus, Subscription,
    Topic, TopicFilter,
};
pub use self::id::new_id;
pub use self::kv::{KvStore, SharedKvStore};
pub use self::limit::{Period, Quota, RateLimit, RateLimitDecision, RateLimiter, UsageMeter};
pub use self::migrations::MIGRATIONS;
pub use self::namespace::{KvKey, Namespace};
pub use self::principal::{Principal, PrincipalKind};
#[cfg(feature = "redis")]
pub use self::redis_conn::RedisConfig;
pub use self::rights::{CredentialRoles, RoleLookup, SharedRoleLookup, TENANT_ADMIN_ROLE};
pub use self::secret::{Secret, SecretBytes, SecretString};
pub use self::sql::{Db, DbOptions, Dialect, Tx};
pub use self::subject::{
    ConsentCheck, DataCategory, DataSubjectSource, ErasureMethod, ErasureOutcome,
    RecordingDataSubjectSource, Retained, SharedConsentCheck, SharedDataSubjectSource, SubjectCall,
    SubjectExport, SubjectRef,
};
pub use self::tenant::{
    Branding, CorsSettings, MemoryTenantStore, NewTenant, Page, Resolution, SharedTenantStore,
    SqlTenantStore, Tenant, TenantHints, TenantId, TenantProvisioner, TenantRef, TenantResolver,
    TenantSettings, TenantSlug, TenantSource, TenantStatus, TenantStore, TenantUpdate,
};
pub use self::validate::bounded_duration;
