//! Privacy tooling for CAAS.
//!
//! Not built yet: this crate will hold consent records, data-subject
//! requests that fan out to every registered `caas_core::DataSubjectSource`,
//! retention with legal holds, breach records, records of processing, and
//! the tamper-evident audit log behind `caas_core::AuditSink`. It depends on
//! `caas-crypto` and `caas-core`; see DESIGN.md.
