//! caas-privacy's integration tests: the RFC 6962 proof vectors, and the
//! audit log on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod audit;
mod privacy;
mod vectors;
