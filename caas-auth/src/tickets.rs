//! [`Tickets`]: one-time tickets to hand a login from one service to
//! another — an opaque 256-bit value standing for a principal, valid once,
//! for 60 seconds by default. Stored (as a SHA-256 key) in the shared
//! key-value store, so any instance can redeem it, and only one does.

use std::time::Duration;

use caas_core::{
    Error, KvKey, Namespace, Principal, Result, SecretString, SharedKvStore, TenantId,
};

use crate::opaque;

/// The prefix of every ticket.
pub const PREFIX: &str = "caas_tk_";
/// The default lifetime.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
const REDEEMED: &[u8] = b"redeemed";

/// One-time tickets of every tenant.
#[derive(Debug, Clone)]
pub struct Tickets {
    kv: SharedKvStore,
    ttl: Duration,
}

fn key(tenant: &TenantId, ticket: &str) -> Result<KvKey> {
    let digest = opaque::digest(ticket);
    Namespace::Tenant(*tenant).key(&format!("auth:ticket:{digest}"))
}

impl Tickets {
    /// Tickets in `kv`, valid for `ttl` (at most 10 minutes).
    pub fn new(kv: SharedKvStore, ttl: Duration) -> Self {
        Tickets {
            kv,
            ttl: ttl.clamp(Duration::from_secs(1), Duration::from_secs(600)),
        }
    }

    /// A ticket for `principal` (who must belong to `tenant`).
    pub async fn issue(&self, tenant: &TenantId, principal: &Principal) -> Result<SecretString> {
        if principal.tenant != Some(*tenant) {
            return Err(Error::forbidden(
                "a ticket is for a principal of its own tenant",
            ));
        }
        let ticket = opaque::token(PREFIX);
        let body = serde_json::to_vec(principal)?;
        self.kv
            .set(&key(tenant, &ticket)?, &body, Some(self.ttl))
            .await?;
        Ok(SecretString::new(ticket))
    }

    /// The principal of `ticket`, once; 401 `invalid_token` when it is
    /// unknown, expired or already redeemed.
    pub async fn redeem(&self, tenant: &TenantId, ticket: &str) -> Result<Principal> {
        let refused = || Error::invalid_token("the ticket is unknown, expired or already used");
        if !ticket.starts_with(PREFIX) || ticket.len() > 128 {
            return Err(refused());
        }
        let k = key(tenant, ticket)?;
        let Some(body) = self.kv.get(&k).await? else {
            return Err(refused());
        };
        if body == REDEEMED {
            return Err(refused());
        }
        // Exactly one redemption swaps the principal for the marker.
        if !self
            .kv
            .compare_and_set(&k, Some(&body), REDEEMED, Some(self.ttl))
            .await?
        {
            return Err(refused());
        }
        serde_json::from_slice(&body).map_err(|_| Error::internal("a stored ticket is not JSON"))
    }
}
