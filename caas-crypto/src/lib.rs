//! Tenant key management and Signal-style end-to-end encryption.
//!
//! Built so far: [`e2e`], the end-to-end profile `caas-e2e-v1` (X3DH, the
//! Double Ratchet, wire formats, safety numbers). Still to come (issue 4):
//! the `KeyManager` (per-tenant key-encryption keys, data keys, envelope
//! encryption bound to tenant, purpose and key version, rotation),
//! per-subject keys for crypto-shredding, and prekey distribution and the
//! mailbox behind the server. It depends only on `caas-core`; see DESIGN.md.

pub mod e2e;
mod error;

pub use self::error::{Error, Result};
