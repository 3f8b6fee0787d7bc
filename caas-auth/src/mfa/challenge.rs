//! [`Challenges`]: the pending second step of a login — who passed the
//! password, from which device — kept for five minutes in the shared
//! key-value store, at most five code attempts each.

use std::time::Duration;

use caas_core::{Error, KvKey, Namespace, Result, SharedKvStore, TenantId};
use serde::{Deserialize, Serialize};

use crate::opaque;
use crate::sessions::Fingerprint;

/// How long a challenge lives.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(300);
/// Code attempts per challenge.
pub const MAX_ATTEMPTS: i64 = 5;

/// What a challenge remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The user who passed the first factor.
    pub user_id: String,
    /// The login they used (for lockout accounting).
    pub login: String,
    /// The device.
    pub fingerprint: Fingerprint,
    /// Methods passed so far (`pwd`).
    pub amr: Vec<String>,
}

/// Pending MFA challenges of every tenant.
#[derive(Debug, Clone)]
pub struct Challenges {
    kv: SharedKvStore,
}

fn keys(tenant: &TenantId, id: &str) -> Result<(KvKey, KvKey)> {
    let digest = opaque::digest(id);
    let ns = Namespace::Tenant(*tenant);
    Ok((
        ns.key(&format!("auth:mfa:ch:{digest}"))?,
        ns.key(&format!("auth:mfa:tries:{digest}"))?,
    ))
}

fn expired() -> Error {
    Error::invalid_input("the MFA challenge is unknown or expired: log in again")
        .with_code("invalid_challenge")
        .with_field("challenge_id")
}

impl Challenges {
    /// Challenges in `kv`.
    pub fn new(kv: SharedKvStore) -> Self {
        Challenges { kv }
    }

    /// Opens a challenge; returns its id (a 256-bit secret).
    pub async fn open(&self, tenant: &TenantId, pending: &Pending) -> Result<String> {
        let id = opaque::token("");
        let (key, _) = keys(tenant, &id)?;
        self.kv
            .set(&key, &serde_json::to_vec(pending)?, Some(CHALLENGE_TTL))
            .await?;
        Ok(id)
    }

    /// Counts an attempt on challenge `id` and returns what it remembers;
    /// the sixth attempt (and every later one) closes it.
    pub async fn attempt(&self, tenant: &TenantId, id: &str) -> Result<Pending> {
        if id.len() != 43 {
            return Err(expired());
        }
        let (key, tries) = keys(tenant, id)?;
        let Some(body) = self.kv.get(&key).await? else {
            return Err(expired());
        };
        if self.kv.incr(&tries, 1, Some(CHALLENGE_TTL)).await? > MAX_ATTEMPTS {
            self.kv.delete(&key).await?;
            return Err(Error::new(
                caas_core::ErrorKind::RateLimited,
                "too many wrong codes for this login: log in again",
            )
            .with_code("too_many_attempts"));
        }
        serde_json::from_slice(&body).map_err(|_| Error::internal("a stored challenge is not JSON"))
    }

    /// Closes challenge `id` (it succeeded).
    pub async fn close(&self, tenant: &TenantId, id: &str) -> Result<()> {
        let (key, tries) = keys(tenant, id)?;
        self.kv.delete(&key).await?;
        self.kv.delete(&tries).await?;
        Ok(())
    }
}
