//! [`Revocations`]: revoked tokens (`jti`), sessions, users and tenants,
//! kept in the shared [`KvStore`](caas_core::KvStore) — so every instance
//! sees a revocation at its next verification — and announced on the
//! `EventBus` as `auth.revoked` for anything that caches.
//!
//! Users and tenants are revoked with a "not before" watermark: the second
//! after the revocation. Tokens carry `iat` in whole seconds, so every token
//! issued before the revocation — and any issued in the rest of that same
//! second — is rejected.

use std::time::Duration;

use caas_core::{
    Envelope, KvKey, Namespace, Result, SharedClock, SharedEventBus, SharedKvStore, TenantId,
};

use crate::tokens::Claims;

/// What can be revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked<'a> {
    /// One token.
    Token(&'a str),
    /// Every token of a session.
    Session(&'a str),
    /// Every token of a user issued until now.
    User(&'a str),
    /// Every token of the tenant issued until now.
    Tenant,
}

/// Revocation state of every tenant.
#[derive(Debug, Clone)]
pub struct Revocations {
    kv: SharedKvStore,
    events: SharedEventBus,
    clock: SharedClock,
    /// How long revocations are kept: the longest a token lives, plus leeway.
    keep: Duration,
}

fn key(tenant: &TenantId, name: &str) -> Result<KvKey> {
    Namespace::Tenant(*tenant).key(name)
}

impl Revocations {
    /// Revocations in `kv`, announced on `events`, kept for `keep` (at
    /// least the longest token lifetime plus the verification leeway).
    pub fn new(
        kv: SharedKvStore,
        events: SharedEventBus,
        clock: SharedClock,
        keep: Duration,
    ) -> Self {
        Revocations {
            kv,
            events,
            clock,
            keep,
        }
    }

    /// Revokes `what` in `tenant`.
    pub async fn revoke(&self, tenant: &TenantId, what: Revoked<'_>) -> Result<()> {
        let watermark = self.clock.now().as_secs() + 1;
        let (name, value, kind, id) = match what {
            Revoked::Token(jti) => (format!("auth:rev:jti:{jti}"), 1, "token", jti),
            Revoked::Session(sid) => (format!("auth:rev:sid:{sid}"), 1, "session", sid),
            Revoked::User(sub) => (format!("auth:rev:user:{sub}"), watermark, "user", sub),
            Revoked::Tenant => ("auth:rev:tenant".to_owned(), watermark, "tenant", ""),
        };
        self.kv
            .set(
                &key(tenant, &name)?,
                value.to_string().as_bytes(),
                Some(self.keep),
            )
            .await?;
        let event = Envelope::new(
            self.clock.as_ref(),
            *tenant,
            "auth.revoked",
            serde_json::json!({ "kind": kind, "id": id }),
        );
        if let Err(e) = event.publish(self.events.as_ref()).await {
            // The revocation itself is stored and effective.
            tracing::warn!(error = %e, "cannot announce a revocation");
        }
        Ok(())
    }

    /// Whether a token with these claims was revoked.
    pub async fn is_revoked(&self, claims: &Claims) -> Result<bool> {
        let t = &claims.tenant_id;
        if self
            .kv
            .get(&key(t, &format!("auth:rev:jti:{}", claims.jti))?)
            .await?
            .is_some()
        {
            return Ok(true);
        }
        if let Some(sid) = &claims.sid
            && self
                .kv
                .get(&key(t, &format!("auth:rev:sid:{sid}"))?)
                .await?
                .is_some()
        {
            return Ok(true);
        }
        for name in [
            format!("auth:rev:user:{}", claims.sub),
            "auth:rev:tenant".to_owned(),
        ] {
            if let Some(v) = self.kv.get(&key(t, &name)?).await? {
                let watermark: i64 = std::str::from_utf8(&v)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(i64::MAX);
                if claims.iat < watermark {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}
