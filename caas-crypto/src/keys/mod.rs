//! Tenant key management: a platform [`MasterKey`] wraps one key-encryption
//! key per tenant (versioned); data keys per (tenant, purpose) and one key
//! per data subject are wrapped by the tenant key. Data is sealed with
//! XChaCha20-Poly1305 under random 24-byte nonces, with associated data that
//! binds tenant, purpose (or subject) and key version, so a ciphertext moved
//! to another tenant or purpose does not decrypt.
//!
//! Ciphertexts (`version byte ‖ …`):
//! - data: `0x01 ‖ data-key version (u32 BE) ‖ nonce (24) ‖ ciphertext ‖ tag`
//! - subject data: `0x02 ‖ subject key id (16) ‖ nonce (24) ‖ ciphertext ‖ tag`
//!
//! Shredding a subject destroys its key: every ciphertext under it then
//! fails with [`Error::Erased`](crate::Error::Erased) (code `erased`), never
//! as corrupt data.

mod envelope;
mod local;
mod master;
mod rewrapper;
mod rotation;

use async_trait::async_trait;
use caas_core::{Result, TenantId};
use zeroize::Zeroizing;

pub use self::local::SqlKeyManager;
pub use self::master::MasterKey;
pub use self::rewrapper::Rewrapper;
pub use self::rotation::{KeyRotation, Rewrap};

/// Encrypts and decrypts tenant data, rotates tenant keys, shreds subjects.
#[async_trait]
pub trait KeyManager: Send + Sync + std::fmt::Debug {
    /// Seals `plaintext` for `purpose` (an identifier such as `sessions`).
    async fn encrypt(&self, tenant: &TenantId, purpose: &str, plaintext: &[u8]) -> Result<Vec<u8>>;

    /// Opens what [`encrypt`](KeyManager::encrypt) sealed for the same tenant and purpose.
    async fn decrypt(
        &self,
        tenant: &TenantId,
        purpose: &str,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>>;

    /// Seals `data` under the subject's own key (created on first use).
    async fn encrypt_for_subject(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
        data: &[u8],
    ) -> Result<Vec<u8>>;

    /// Opens subject data; `erased` once the subject was shredded.
    async fn decrypt_for_subject(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>>;

    /// Destroys the subject's key (recorded, without key material).
    async fn shred(&self, tenant: &TenantId, subject: &str) -> Result<()>;

    /// Makes a new tenant key version current (announced as `keys.rotated`
    /// and recorded in the history); returns it. Old versions keep
    /// unwrapping what they wrap until [`rewrap`](KeyManager::rewrap) moved
    /// it to the new one. A concurrent rotation of the same tenant is a
    /// conflict.
    async fn rotate_tenant_key(&self, tenant: &TenantId) -> Result<u32>;

    /// Re-wraps up to `batch` data and subject keys still under an older
    /// tenant-key version with the current one, in one short transaction;
    /// the step that leaves none announces `keys.rewrapped`. Safe to run
    /// from several instances at once.
    async fn rewrap(&self, tenant: &TenantId, batch: usize) -> Result<Rewrap>;

    /// Runs [`rewrap`](KeyManager::rewrap) until nothing remains; returns
    /// how many keys it re-wrapped.
    async fn rewrap_all(&self, tenant: &TenantId, batch: usize) -> Result<u64> {
        let (mut total, mut idle) = (0, 0);
        loop {
            let step = self.rewrap(tenant, batch).await?;
            total += step.rewrapped;
            if step.remaining == 0 {
                return Ok(total);
            }
            // A step re-wraps nothing only when another instance re-wrapped
            // the same keys first; that cannot go on for long.
            idle = if step.rewrapped == 0 { idle + 1 } else { 0 };
            if idle > 100 {
                return Err(caas_core::Error::unavailable(
                    "re-wrapping makes no progress; another instance may be stuck",
                ));
            }
        }
    }

    /// The tenant's key rotations, newest first.
    async fn rotations(&self, tenant: &TenantId) -> Result<Vec<KeyRotation>>;
}
