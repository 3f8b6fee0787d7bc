//! OpenAPI schemas (utoipa) of the core types that cross an HTTP API, for
//! servers that publish an OpenAPI document (feature `openapi`).
//!
//! Ids and timestamps have their own serializers, so their schemas are
//! written here by hand: a [`TenantId`](crate::TenantId) is a UUID string,
//! a [`Timestamp`](crate::Timestamp) an RFC 3339 date-time string.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

fn string(format: KnownFormat, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .description(Some(description))
        .into()
}

impl PartialSchema for crate::TenantId {
    fn schema() -> RefOr<Schema> {
        string(KnownFormat::Uuid, "A tenant's immutable id (a UUIDv7).")
    }
}

impl ToSchema for crate::TenantId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TenantId")
    }
}

impl PartialSchema for crate::Timestamp {
    fn schema() -> RefOr<Schema> {
        string(
            KnownFormat::DateTime,
            "An instant in RFC 3339, UTC, with milliseconds.",
        )
    }
}

impl ToSchema for crate::Timestamp {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Timestamp")
    }
}
