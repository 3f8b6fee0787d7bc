//! caas-authz's integration tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod corpus;
mod engine;
mod sliced_vs_full;
mod store;
