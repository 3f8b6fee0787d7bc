//! [`RefreshTokens`]: opaque refresh tokens (256 random bits), stored only
//! as SHA-256 hashes, bound to a session and grouped in a family (one per
//! login). Each use rotates the token; presenting one that was already
//! rotated revokes the whole family, ends its session (revoking its access
//! tokens) and publishes the security event `auth.refresh_token_reused`.
//! An optional grace period (off by default) tolerates a second use within
//! a few seconds — two tabs refreshing at once — by issuing a sibling token.

use std::time::Duration;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{
    Db, Envelope, Error, Result, SecretString, SharedClock, SharedEventBus, TenantId, Timestamp,
    new_id,
};
use uuid::Uuid;

use crate::opaque;
use crate::sessions::{EndReason, Session, SessionStore};

/// The prefix of every refresh token.
pub const PREFIX: &str = "caas_rt_";

/// Refresh-token lifetime and reuse handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// A token expires this long after it was issued (default 30 days; the
    /// session's own timeouts end it sooner).
    pub ttl: Duration,
    /// A second use within this time is tolerated (default zero: off).
    pub reuse_grace: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            ttl: Duration::from_secs(30 * 24 * 3600),
            reuse_grace: Duration::ZERO,
        }
    }
}

/// A refresh token handed out (shown to its holder only).
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    /// The token.
    pub token: SecretString,
    /// Its family.
    pub family_id: Uuid,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// What a successful rotation gives.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The next token.
    pub refresh: IssuedRefresh,
    /// The session (just touched).
    pub session: Session,
    /// What the OAuth grant of the family carries (scopes, audience, …);
    /// `None` for first-party families.
    pub grant: Option<serde_json::Value>,
}

/// What introspection learns about a refresh token.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshInfo {
    /// The family.
    pub family_id: Uuid,
    /// The session.
    pub session_id: Uuid,
    /// The user.
    pub user_id: String,
    /// The OAuth client the family was issued to.
    pub client_id: Option<String>,
    /// The grant it carries.
    pub grant: Option<serde_json::Value>,
    /// Issued.
    pub issued_at: Timestamp,
    /// Expires.
    pub expires_at: Timestamp,
}

/// Refresh tokens of every tenant.
#[derive(Debug, Clone)]
pub struct RefreshTokens {
    db: Db,
    clock: SharedClock,
    events: SharedEventBus,
    sessions: SessionStore,
    policy: RefreshPolicy,
}

struct Presented {
    family_id: String,
    session_id: String,
    user_id: String,
    client_id: Option<String>,
    grant: Option<String>,
    created_at: Timestamp,
    expires_at: Timestamp,
    used_at: Option<Timestamp>,
    revoked: bool,
}

impl FromRow for Presented {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let used: Option<i64> = row.get("used_at")?;
        let revoked: Option<i64> = row.get("revoked_at")?;
        Ok(Presented {
            family_id: row.get("family_id")?,
            session_id: row.get("session_id")?,
            user_id: row.get("user_id")?,
            client_id: row.get("client_id")?,
            grant: row.get("grant_data")?,
            created_at: row.timestamp("created_at")?,
            expires_at: row.timestamp("expires_at")?,
            used_at: used.map(Timestamp::from_millis),
            revoked: revoked.is_some(),
        })
    }
}

impl Presented {
    fn ids(&self) -> Result<(Uuid, Uuid)> {
        let family = self
            .family_id
            .parse()
            .map_err(|_| Error::internal("a stored family id is not a UUID"))?;
        let session = self
            .session_id
            .parse()
            .map_err(|_| Error::internal("a stored session id is not a UUID"))?;
        Ok((family, session))
    }

    fn grant(&self) -> Result<Option<serde_json::Value>> {
        self.grant
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| Error::internal("a stored grant is not JSON"))
    }
}

/// A family's own token lifetime: `refresh_ttl_secs` in its grant (an OAuth
/// client's `refresh_token_ttl_secs`).
fn family_ttl(grant: &serde_json::Value) -> Option<Duration> {
    grant
        .get("refresh_ttl_secs")
        .and_then(serde_json::Value::as_u64)
        .map(Duration::from_secs)
}

const PRESENTED: &str = "SELECT t.family_id, f.session_id, f.user_id, f.client_id, f.grant_data, \
     t.created_at, t.expires_at, t.used_at, f.revoked_at \
     FROM auth_refresh_tokens t JOIN auth_refresh_families f \
       ON f.tenant_id = t.tenant_id AND f.id = t.family_id \
     WHERE t.tenant_id = $1 AND t.token_hash = $2";

fn refused(message: &'static str) -> Error {
    Error::invalid_token(message)
}

impl RefreshTokens {
    /// Refresh tokens in `db`, bound to `sessions`; reuse is announced on `events`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        events: SharedEventBus,
        sessions: SessionStore,
        policy: RefreshPolicy,
    ) -> Self {
        RefreshTokens {
            db,
            clock,
            events,
            sessions,
            policy,
        }
    }

    /// Starts a family for `session` with its first token.
    pub async fn issue(&self, tenant: &TenantId, session: &Session) -> Result<IssuedRefresh> {
        self.issue_for(tenant, session, None).await
    }

    /// Starts a family for `session` issued to OAuth client `client` (id
    /// and the grant it carries): only that client can use it.
    pub async fn issue_for(
        &self,
        tenant: &TenantId,
        session: &Session,
        client: Option<(&str, &serde_json::Value)>,
    ) -> Result<IssuedRefresh> {
        let family = new_id(self.clock.as_ref());
        let grant = client.map(|(_, g)| g.to_string());
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_refresh_families \
             (tenant_id, id, session_id, user_id, created_at, client_id, grant_data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant)
        .bind(family)
        .bind(session.id)
        .bind(session.user_id.as_str())
        .bind(self.clock.now())
        .bind(client.map(|(id, _)| id))
        .bind(grant.as_deref())
        .execute(&mut tx)
        .await?;
        let ttl = client.and_then(|(_, g)| family_ttl(g));
        let issued = self.add(&mut tx, tenant, family, session, ttl).await?;
        tx.commit().await?;
        Ok(issued)
    }

    async fn add(
        &self,
        tx: &mut caas_core::Tx,
        tenant: &TenantId,
        family: Uuid,
        session: &Session,
        ttl: Option<Duration>,
    ) -> Result<IssuedRefresh> {
        let token = opaque::token(PREFIX);
        let now = self.clock.now();
        let ttl = ttl.unwrap_or(self.policy.ttl);
        let expires_at = now.saturating_add(ttl).min(session.expires_at);
        query(
            "INSERT INTO auth_refresh_tokens (tenant_id, token_hash, family_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(opaque::digest(&token))
        .bind(family)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        Ok(IssuedRefresh {
            token: SecretString::new(token),
            family_id: family,
            expires_at,
        })
    }

    /// Exchanges `presented` for the next token of its family. Unknown,
    /// expired or revoked tokens, and tokens of ended sessions, are 401
    /// `invalid_token`; a reused one also revokes the family and its session.
    pub async fn rotate(&self, tenant: &TenantId, presented: &str) -> Result<Rotated> {
        self.rotate_for(tenant, presented, None).await
    }

    /// [`RefreshTokens::rotate`] for the OAuth client `client` (`None`: a
    /// first-party token). A token of another client (or a client's token
    /// presented first-party) is refused before anything is consumed, so a
    /// third-party client's token never becomes a first-party one.
    pub async fn rotate_for(
        &self,
        tenant: &TenantId,
        presented: &str,
        client: Option<&str>,
    ) -> Result<Rotated> {
        if !presented.starts_with(PREFIX) || presented.len() > 128 {
            return Err(refused("this is not a refresh token"));
        }
        let now = self.clock.now();
        let digest = opaque::digest(presented);
        let mut tx = self.db.tenant_tx(tenant).await?;
        let found: Option<Presented> = query(PRESENTED)
            .bind(tenant)
            .bind(digest.as_str())
            .fetch_optional(&mut tx)
            .await?;
        let Some(p) = found else {
            tx.commit().await?;
            return Err(refused("the refresh token is unknown"));
        };
        if p.client_id.as_deref() != client {
            tx.commit().await?;
            return Err(refused("the refresh token was issued to another client"));
        }
        if p.revoked {
            tx.commit().await?;
            return Err(refused("the refresh token was revoked"));
        }
        if now >= p.expires_at {
            tx.commit().await?;
            return Err(refused("the refresh token expired"));
        }
        let (family, session_id) = p.ids()?;
        let grant = p.grant()?;
        // Exactly one presentation wins the token.
        let won = query(
            "UPDATE auth_refresh_tokens SET used_at = $3 \
             WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL",
        )
        .bind(tenant)
        .bind(digest.as_str())
        .bind(now)
        .execute(&mut tx)
        .await?
            == 1;
        let in_grace = !won
            && !self.policy.reuse_grace.is_zero()
            && p.used_at
                .is_some_and(|used| now < used.saturating_add(self.policy.reuse_grace));
        if !won && !in_grace {
            tx.commit().await?;
            self.reused(tenant, family, session_id, &p.user_id).await?;
            return Err(refused(
                "the refresh token was already used: its session was ended for safety",
            ));
        }
        tx.commit().await?;
        let Some(session) = self.sessions.touch(tenant, session_id).await? else {
            self.revoke_family(tenant, family, "session_ended").await?;
            return Err(refused("the session of this refresh token ended"));
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        let ttl = grant.as_ref().and_then(family_ttl);
        let refresh = self.add(&mut tx, tenant, family, &session, ttl).await?;
        tx.commit().await?;
        Ok(Rotated {
            refresh,
            session,
            grant,
        })
    }

    /// What an active refresh token stands for (`None`: unknown, used,
    /// revoked, expired, or its session ended). Consumes nothing.
    pub async fn inspect(&self, tenant: &TenantId, presented: &str) -> Result<Option<RefreshInfo>> {
        if !presented.starts_with(PREFIX) || presented.len() > 128 {
            return Ok(None);
        }
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let found: Option<Presented> = query(PRESENTED)
            .bind(tenant)
            .bind(opaque::digest(presented).as_str())
            .fetch_optional(&mut tx)
            .await?;
        tx.commit().await?;
        let Some(p) = found.filter(|p| !p.revoked && p.used_at.is_none() && now < p.expires_at)
        else {
            return Ok(None);
        };
        let (family_id, session_id) = p.ids()?;
        if !self.sessions.is_active(tenant, session_id).await? {
            return Ok(None);
        }
        Ok(Some(RefreshInfo {
            family_id,
            session_id,
            user_id: p.user_id.clone(),
            client_id: p.client_id.clone(),
            grant: p.grant()?,
            issued_at: p.created_at,
            expires_at: p.expires_at,
        }))
    }

    async fn reused(
        &self,
        tenant: &TenantId,
        family: Uuid,
        session: Uuid,
        user: &str,
    ) -> Result<()> {
        self.revoke_family(tenant, family, "reuse").await?;
        self.sessions
            .end(tenant, session, EndReason::RefreshReuse)
            .await?;
        tracing::warn!(tenant = %tenant, user, session = %session, "a rotated refresh token was presented again");
        Envelope::new(
            self.clock.as_ref(),
            *tenant,
            "auth.refresh_token_reused",
            serde_json::json!({ "user_id": user, "session_id": session, "family_id": family }),
        )
        .publish_or_log(self.events.as_ref())
        .await;
        Ok(())
    }

    /// Revokes a family: none of its tokens refreshes again.
    pub async fn revoke_family(&self, tenant: &TenantId, family: Uuid, reason: &str) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "UPDATE auth_refresh_families SET revoked_at = $3, revoked_reason = $4 \
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant)
        .bind(family)
        .bind(self.clock.now())
        .bind(reason)
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    /// Revokes every family of a session (logout).
    pub async fn revoke_session(
        &self,
        tenant: &TenantId,
        session: Uuid,
        reason: &str,
    ) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "UPDATE auth_refresh_families SET revoked_at = $3, revoked_reason = $4 \
             WHERE tenant_id = $1 AND session_id = $2 AND revoked_at IS NULL",
        )
        .bind(tenant)
        .bind(session)
        .bind(self.clock.now())
        .bind(reason)
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }
}
