//! [`TrustedDevices`]: after a successful MFA step a user may ask to trust
//! the device; its opaque token (256 bits, kept as a SHA-256 key in the
//! shared key-value store, bound to the user) skips MFA until it expires.

use std::time::Duration;

use caas_core::{KvKey, Namespace, Result, SecretString, SharedKvStore, TenantId};

use crate::opaque;

/// The prefix of a trusted-device token.
const PREFIX: &str = "caas_td_";

/// Trusted devices of every tenant's users.
#[derive(Debug, Clone)]
pub struct TrustedDevices {
    kv: SharedKvStore,
}

fn key(tenant: &TenantId, token: &str) -> Result<KvKey> {
    let digest = opaque::digest(token);
    Namespace::Tenant(*tenant).key(&format!("auth:trusted:{digest}"))
}

impl TrustedDevices {
    /// Trusted devices in `kv`.
    pub fn new(kv: SharedKvStore) -> Self {
        TrustedDevices { kv }
    }

    /// Trusts a device of `user` for `ttl`; the token goes to the client.
    pub async fn trust(
        &self,
        tenant: &TenantId,
        user: &str,
        ttl: Duration,
    ) -> Result<SecretString> {
        let token = opaque::token(PREFIX);
        self.kv
            .set(&key(tenant, &token)?, user.as_bytes(), Some(ttl))
            .await?;
        Ok(SecretString::new(token))
    }

    /// Whether `token` trusts a device of `user`.
    pub async fn is_trusted(&self, tenant: &TenantId, user: &str, token: &str) -> Result<bool> {
        if !token.starts_with(PREFIX) || token.len() > 128 {
            return Ok(false);
        }
        Ok(self
            .kv
            .get(&key(tenant, token)?)
            .await?
            .is_some_and(|owner| owner == user.as_bytes()))
    }

    /// Forgets a trusted device.
    pub async fn forget(&self, tenant: &TenantId, token: &str) -> Result<()> {
        self.kv.delete(&key(tenant, token)?).await?;
        Ok(())
    }
}
