//! [`Vault`]: ratchet sessions and devices stored sealed with a tenant data
//! key (purposes `e2e.sessions` and `e2e.devices`), for services that hold
//! E2E state on a user's behalf (bots, server-side clients). Each sealed
//! blob names its owner inside the ciphertext, so one user's blob handed
//! back for another user is refused.
//!
//! Seal the state again after every encryption and decryption and keep only
//! the newest: a session restored from an older copy would encrypt with
//! message keys it already used.

use std::sync::Arc;

use caas_core::{Result, TenantId};
use zeroize::Zeroizing;

use super::device::Device;
use super::ratchet::Session;
use crate::Error;
use crate::keys::KeyManager;

const SESSIONS: &str = "e2e.sessions";
const DEVICES: &str = "e2e.devices";

/// Seals and opens E2E state with a [`KeyManager`].
#[derive(Debug, Clone)]
pub struct Vault {
    keys: Arc<dyn KeyManager>,
}

impl Vault {
    /// A vault over `keys`.
    pub fn new(keys: Arc<dyn KeyManager>) -> Self {
        Vault { keys }
    }

    /// Seals `session`, which belongs to `owner` (e.g. `user/device/peer`).
    pub async fn seal_session(
        &self,
        tenant: &TenantId,
        owner: &str,
        session: &Session,
    ) -> Result<Vec<u8>> {
        self.seal(tenant, SESSIONS, owner, &session.to_bytes())
            .await
    }

    /// Opens a session sealed for `owner`.
    pub async fn open_session(
        &self,
        tenant: &TenantId,
        owner: &str,
        sealed: &[u8],
    ) -> Result<Session> {
        let bytes = self.open(tenant, SESSIONS, owner, sealed).await?;
        Ok(Session::from_bytes(&bytes)?)
    }

    /// Seals `device`, which belongs to `owner`.
    pub async fn seal_device(
        &self,
        tenant: &TenantId,
        owner: &str,
        device: &Device,
    ) -> Result<Vec<u8>> {
        self.seal(tenant, DEVICES, owner, &device.to_bytes()).await
    }

    /// Opens a device sealed for `owner`.
    pub async fn open_device(
        &self,
        tenant: &TenantId,
        owner: &str,
        sealed: &[u8],
    ) -> Result<Device> {
        let bytes = self.open(tenant, DEVICES, owner, sealed).await?;
        Ok(Device::from_bytes(&bytes)?)
    }

    /// `len(owner) (u16 BE) ‖ owner ‖ state`, sealed for `purpose`.
    async fn seal(
        &self,
        tenant: &TenantId,
        purpose: &str,
        owner: &str,
        state: &[u8],
    ) -> Result<Vec<u8>> {
        let len = u16::try_from(owner.len())
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                caas_core::Error::invalid_input("an owner is 1 to 65535 bytes").with_field("owner")
            })?;
        let mut plain = Zeroizing::new(Vec::with_capacity(2 + owner.len() + state.len()));
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(owner.as_bytes());
        plain.extend_from_slice(state);
        self.keys.encrypt(tenant, purpose, &plain).await
    }

    async fn open(
        &self,
        tenant: &TenantId,
        purpose: &str,
        owner: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let plain = self.keys.decrypt(tenant, purpose, sealed).await?;
        let (len, rest) = plain
            .split_first_chunk::<2>()
            .ok_or(Error::Malformed("sealed state"))?;
        let len = usize::from(u16::from_be_bytes(*len));
        let (sealed_owner, state) = rest
            .split_at_checked(len)
            .ok_or(Error::Malformed("sealed state"))?;
        // Owners are not secret; a plain comparison is fine.
        if sealed_owner != owner.as_bytes() {
            return Err(caas_core::Error::invalid_input(
                "this state belongs to another owner",
            ));
        }
        Ok(Zeroizing::new(state.to_vec()))
    }
}
