//! Tenant key management and Signal-style end-to-end encryption.
//!
//! Not built yet: this crate will hold the `KeyManager` (per-tenant
//! key-encryption keys, data keys, wrap/unwrap, versioned rotation,
//! AEAD bound to tenant, purpose and key version), per-subject keys for
//! crypto-shredding, and the Signal-style E2E primitives (X3DH, Double
//! Ratchet, prekey bundles and the `PrekeyStore`, safety numbers). It depends
//! only on `caas-core`; see DESIGN.md.
