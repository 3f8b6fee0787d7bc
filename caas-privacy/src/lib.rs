//! Privacy tooling for CAAS.
//!
//! - [`audit`]: the tamper-evident audit log — an RFC 6962 Merkle tree per
//!   tenant, signed C2SP checkpoints, inclusion and consistency proofs, an
//!   offline verifier, and [`AuditLog`] as the platform's
//!   [`caas_core::AuditSink`]. Personal data in entries is sealed under the
//!   subject's key, so erasing the subject shreds it while the tree still
//!   verifies.
//!
//! It depends on `caas-crypto` and `caas-core`; see DESIGN.md.
//!
//! ```
//! use caas_privacy::audit::merkle::{leaf_hash, node_hash, verify_inclusion};
//!
//! let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
//! let root = node_hash(&a, &b);
//! assert!(verify_inclusion(1, 2, &b, &[a], &root).is_ok());
//! assert!(verify_inclusion(0, 2, &b, &[a], &root).is_err());
//! ```

pub mod audit;
mod migrations;

pub use self::audit::AuditLog;
pub use self::migrations::MIGRATIONS;
