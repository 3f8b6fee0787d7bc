//! [`Lockout`]: failed logins (and MFA codes) counted per account and per
//! client IP in the shared key-value store; past the limit the account (or
//! IP) is locked with exponential backoff. A locked attempt is refused with
//! 429 and `Retry-After`, whether or not the password would be right.
//! Account keys are hashes of the login, so no email sits in a key name.

use std::net::IpAddr;
use std::time::Duration;

use caas_core::{Error, ErrorKind, KvKey, Namespace, Result, SharedKvStore, TenantId};
use sha2::{Digest, Sha256};

/// When accounts and IPs lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures of one account within `window` before it locks (default 5).
    pub account_failures: u32,
    /// Failures from one IP within `window` before it locks (default 20).
    pub ip_failures: u32,
    /// How long failures are remembered (default 15 minutes).
    pub window: Duration,
    /// The first lock (default 30 s); each further failure doubles it.
    pub base_lock: Duration,
    /// The longest lock (default 15 minutes).
    pub max_lock: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            account_failures: 5,
            ip_failures: 20,
            window: Duration::from_secs(15 * 60),
            base_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(15 * 60),
        }
    }
}

/// Failure counting and locks.
#[derive(Debug, Clone)]
pub struct Lockout {
    kv: SharedKvStore,
    policy: LockoutPolicy,
}

fn account(login: &str) -> String {
    let digest = Sha256::digest(login.trim().to_lowercase().as_bytes());
    hex::encode(&digest[..16])
}

impl Lockout {
    /// Counting in `kv` with `policy`.
    pub fn new(kv: SharedKvStore, policy: LockoutPolicy) -> Self {
        Lockout { kv, policy }
    }

    fn keys(tenant: &TenantId, what: &str, id: &str) -> Result<(KvKey, KvKey)> {
        let ns = Namespace::Tenant(*tenant);
        Ok((
            ns.key(&format!("auth:fail:{what}:{id}"))?,
            ns.key(&format!("auth:lock:{what}:{id}"))?,
        ))
    }

    fn targets(login: &str, ip: Option<IpAddr>) -> Vec<(&'static str, String)> {
        let mut t = vec![("acct", account(login))];
        if let Some(ip) = ip {
            t.push(("ip", ip.to_string()));
        }
        t
    }

    /// Refuses (429 with `Retry-After`) while the account or the IP is locked.
    pub async fn check(&self, tenant: &TenantId, login: &str, ip: Option<IpAddr>) -> Result<()> {
        for (what, id) in Self::targets(login, ip) {
            let (_, lock) = Self::keys(tenant, what, &id)?;
            if let Some(until) = self.kv.get(&lock).await? {
                let secs: u64 = std::str::from_utf8(&until)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(self.policy.max_lock.as_secs());
                return Err(Error::new(
                    ErrorKind::RateLimited,
                    "too many failed attempts: try again later",
                )
                .with_code("locked_out")
                .with_retry_after(Duration::from_secs(secs)));
            }
        }
        Ok(())
    }

    /// Counts a failure; locks the account or IP past its limit.
    pub async fn failure(&self, tenant: &TenantId, login: &str, ip: Option<IpAddr>) -> Result<()> {
        for (what, id) in Self::targets(login, ip) {
            let (count, lock) = Self::keys(tenant, what, &id)?;
            let n = self.kv.incr(&count, 1, Some(self.policy.window)).await?;
            let limit = i64::from(if what == "ip" {
                self.policy.ip_failures
            } else {
                self.policy.account_failures
            });
            if n >= limit {
                let doublings = u32::try_from((n - limit).min(16)).unwrap_or(16);
                let lock_for = self
                    .policy
                    .base_lock
                    .saturating_mul(2u32.saturating_pow(doublings))
                    .min(self.policy.max_lock);
                self.kv
                    .set(
                        &lock,
                        lock_for.as_secs().to_string().as_bytes(),
                        Some(lock_for),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Forgets the account's failures after a success.
    pub async fn success(&self, tenant: &TenantId, login: &str) -> Result<()> {
        let (count, _) = Self::keys(tenant, "acct", &account(login))?;
        self.kv.delete(&count).await?;
        Ok(())
    }
}
