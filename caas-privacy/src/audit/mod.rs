//! The tamper-evident audit log: a per-tenant RFC 6962 Merkle tree in SQL
//! ([`AuditLog`], also the platform's [`caas_core::AuditSink`]), signed C2SP
//! checkpoints ([`checkpoint`]), and the offline verifier ([`merkle`]'s
//! `verify_*` functions and [`checkpoint::verify_signed`]) that anyone
//! holding a checkpoint and the tenant's verifier key can run.

pub mod checkpoint;
mod entry;
mod log;
pub mod merkle;

pub use self::checkpoint::{Checkpoint, CheckpointError};
pub use self::entry::AuditEntry;
pub use self::log::{
    AuditLog, ConsistencyProof, InclusionProof, MAX_ENTRIES_PAGE, SignedCheckpoint, Verification,
};
pub use self::merkle::{Hash, ProofError};
