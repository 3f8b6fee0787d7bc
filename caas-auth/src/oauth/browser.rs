//! [`BrowserSessions`]: the provider's own login, remembered in the browser
//! by a cookie. The cookie holds 256 random bits; the shared key-value store
//! maps their SHA-256 to a session of the [`SessionStore`], so ending that
//! session (logout, reuse detection, an admin) also ends the browser login.

use caas_core::{KvKey, Namespace, Result, SharedClock, SharedKvStore, TenantId};
use uuid::Uuid;

use crate::opaque;
use crate::sessions::{EndReason, Session, SessionStore};

/// The browser logins of every tenant.
#[derive(Debug, Clone)]
pub struct BrowserSessions {
    kv: SharedKvStore,
    sessions: SessionStore,
    clock: SharedClock,
}

fn key(tenant: &TenantId, cookie: &str) -> Result<KvKey> {
    Namespace::Tenant(*tenant).key(&format!("oauth:browser:{}", opaque::digest(cookie)))
}

impl BrowserSessions {
    /// Browser logins over `sessions`.
    pub fn new(kv: SharedKvStore, sessions: SessionStore, clock: SharedClock) -> Self {
        BrowserSessions {
            kv,
            sessions,
            clock,
        }
    }

    /// Remembers `session` in a new cookie value.
    pub async fn open(&self, tenant: &TenantId, session: &Session) -> Result<String> {
        let cookie = opaque::token("");
        let ttl = session.expires_at.duration_since(self.clock.now());
        self.kv
            .set(
                &key(tenant, &cookie)?,
                session.id.to_string().as_bytes(),
                Some(ttl.max(std::time::Duration::from_secs(1))),
            )
            .await?;
        Ok(cookie)
    }

    /// The active session behind `cookie`, if any.
    pub async fn current(&self, tenant: &TenantId, cookie: &str) -> Result<Option<Session>> {
        if cookie.len() != 43 {
            return Ok(None);
        }
        let Some(id) = self.kv.get(&key(tenant, cookie)?).await? else {
            return Ok(None);
        };
        let Some(id) = std::str::from_utf8(&id)
            .ok()
            .and_then(|s| s.parse::<Uuid>().ok())
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        Ok(self
            .sessions
            .get(tenant, id)
            .await?
            .filter(|s| s.is_active(now)))
    }

    /// Ends the login behind `cookie` (and its session); `true` if there was one.
    pub async fn close(&self, tenant: &TenantId, cookie: &str) -> Result<bool> {
        let current = self.current(tenant, cookie).await?;
        if cookie.len() == 43 {
            self.kv.delete(&key(tenant, cookie)?).await?;
        }
        if let Some(session) = current {
            self.sessions
                .end(tenant, session.id, EndReason::Logout)
                .await?;
            return Ok(true);
        }
        Ok(false)
    }
}
