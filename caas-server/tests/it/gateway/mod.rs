//! The gateway over HTTP: an in-process server on a random port, on SQLite +
//! memory and on PostgreSQL + Redis.

pub(crate) mod harness;

mod auth;
mod authz;
mod bounds;
mod docs;
mod e2e;
mod games;
mod http;
mod limits;
mod matrix;
mod oidc;
mod openapi_answers;
mod openapi_auth;
mod openapi_schemas;
mod privacy;
mod tenants;
pub(crate) mod webhooks;
