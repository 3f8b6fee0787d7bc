//! [`SessionStore`]: sessions in SQL (the record) and the key-value store
//! (the hot copy, whose TTL is the idle timeout). Ending a session revokes
//! every access token it issued.

use std::time::Duration;

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{
    Db, Error, KvKey, Namespace, PrincipalKind, Result, SharedClock, SharedKvStore, TenantId,
    Timestamp, Tx, new_id,
};
use uuid::Uuid;

use super::model::{Fingerprint, NewSession, Session, SessionPolicy};
use crate::revocation::{Revocations, Revoked};

/// The most bytes of session metadata.
pub const MAX_METADATA: usize = 4096;

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The user logged out.
    Logout,
    /// The user (or an admin) ended it from the session list.
    Terminated,
    /// A rotated refresh token was presented again.
    RefreshReuse,
    /// The user had too many sessions; this was the oldest.
    Evicted,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Terminated => "terminated",
            EndReason::RefreshReuse => "refresh_token_reuse",
            EndReason::Evicted => "evicted",
        }
    }
}

/// Sessions of every tenant.
#[derive(Debug, Clone)]
pub struct SessionStore {
    db: Db,
    kv: SharedKvStore,
    clock: SharedClock,
    revocations: Revocations,
    policy: SessionPolicy,
}

fn kind_str(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Service => "service",
        PrincipalKind::Guest => "guest",
    }
}

fn kind_parse(s: &str) -> Result<PrincipalKind> {
    match s {
        "user" => Ok(PrincipalKind::User),
        "service" => Ok(PrincipalKind::Service),
        "guest" => Ok(PrincipalKind::Guest),
        _ => Err(Error::internal("a stored session kind is unknown")),
    }
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| Error::internal("a stored session field is not JSON"))
}

impl FromRow for Session {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let kind: String = row.get("kind")?;
        let hints: String = row.get("client_hints")?;
        let metadata: String = row.get("metadata")?;
        let amr: String = row.get("amr")?;
        let ended: Option<i64> = row.get("ended_at")?;
        Ok(Session {
            id: row.parse("id")?,
            tenant_id: row.parse("tenant_id")?,
            user_id: row.get("user_id")?,
            kind: kind_parse(&kind)?,
            fingerprint: Fingerprint {
                user_agent: row.get("user_agent")?,
                client_hints: json(&hints)?,
                ip_prefix: row.get("ip_prefix")?,
            },
            metadata: json(&metadata)?,
            amr: json(&amr)?,
            auth_time: row.timestamp("auth_time")?,
            created_at: row.timestamp("created_at")?,
            last_seen_at: row.timestamp("last_seen_at")?,
            idle_until: row.timestamp("idle_until")?,
            expires_at: row.timestamp("expires_at")?,
            ended_at: ended.map(Timestamp::from_millis),
            ended_reason: row.get("ended_reason")?,
        })
    }
}

impl SessionStore {
    /// Sessions in `db` and `kv`; ending one revokes its tokens in `revocations`.
    pub fn new(
        db: Db,
        kv: SharedKvStore,
        clock: SharedClock,
        revocations: Revocations,
        policy: SessionPolicy,
    ) -> Self {
        SessionStore {
            db,
            kv,
            clock,
            revocations,
            policy,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    fn hot_key(tenant: &TenantId, id: Uuid) -> Result<KvKey> {
        Namespace::Tenant(*tenant).key(&format!("auth:sess:{id}"))
    }

    /// Puts the hot copy, living until the session would idle out.
    async fn warm(&self, s: &Session) -> Result<()> {
        let now = self.clock.now();
        let until = s.idle_until.min(s.expires_at);
        let ms = until.as_millis().saturating_sub(now.as_millis());
        if ms <= 0 {
            return Ok(());
        }
        let ttl = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        self.kv
            .set(
                &Self::hot_key(&s.tenant_id, s.id)?,
                s.user_id.as_bytes(),
                Some(ttl),
            )
            .await
    }

    async fn get_in(tx: &mut Tx, tenant: &TenantId, id: Uuid) -> Result<Option<Session>> {
        let sql = "SELECT tenant_id, id, user_id, kind, user_agent, client_hints, ip_prefix, metadata, amr, \
             auth_time, created_at, last_seen_at, idle_until, expires_at, ended_at, ended_reason \
             FROM auth_sessions WHERE tenant_id = $1 AND id = $2";
        query(sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
    }

    /// Opens a session (ending the user's oldest beyond the limit).
    pub async fn create(&self, tenant: &TenantId, new: &NewSession) -> Result<Session> {
        self.create_with_id(tenant, new_id(self.clock.as_ref()), new)
            .await
    }

    /// [`SessionStore::create`] with an id chosen beforehand (a fresh
    /// UUIDv7: the OAuth code exchange records it before opening the session).
    pub async fn create_with_id(
        &self,
        tenant: &TenantId,
        id: Uuid,
        new: &NewSession,
    ) -> Result<Session> {
        let metadata = serde_json::to_string(&new.metadata)?;
        if metadata.len() > MAX_METADATA {
            return Err(Error::invalid_input(format!(
                "session metadata is {} bytes; at most {MAX_METADATA}",
                metadata.len()
            ))
            .with_field("metadata"));
        }
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_sessions (tenant_id, id, user_id, kind, user_agent, client_hints, ip_prefix, \
             metadata, amr, auth_time, created_at, last_seen_at, idle_until, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10, $11, $12)",
        )
        .bind(tenant)
        .bind(id)
        .bind(new.user_id.as_str())
        .bind(kind_str(new.kind))
        .bind(new.fingerprint.user_agent.as_str())
        .bind(serde_json::to_string(&new.fingerprint.client_hints)?)
        .bind(new.fingerprint.ip_prefix.as_str())
        .bind(metadata)
        .bind(serde_json::to_string(&new.amr)?)
        .bind(now)
        .bind(now.saturating_add(self.policy.idle))
        .bind(now.saturating_add(self.policy.absolute))
        .execute(&mut tx)
        .await?;
        let session = Self::get_in(&mut tx, tenant, id)
            .await?
            .ok_or_else(|| Error::internal("a new session is missing"))?;
        tx.commit().await?;
        self.warm(&session).await?;
        self.revocations
            .announce(
                tenant,
                "session.created",
                serde_json::json!({
                    "session_id": session.id,
                    "user_id": session.user_id,
                    "kind": kind_str(session.kind),
                    "amr": session.amr,
                }),
            )
            .await;
        let active = self.list(tenant, &new.user_id).await?;
        for old in active.iter().skip(self.policy.max_per_user) {
            self.end(tenant, old.id, EndReason::Evicted).await?;
        }
        Ok(session)
    }

    /// The session `id` (active or not).
    pub async fn get(&self, tenant: &TenantId, id: Uuid) -> Result<Option<Session>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let s = Self::get_in(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Whether session `id` is active: the hot copy answers; without one the
    /// record does (and restores the hot copy if it is active).
    pub async fn is_active(&self, tenant: &TenantId, id: Uuid) -> Result<bool> {
        if self.kv.get(&Self::hot_key(tenant, id)?).await?.is_some() {
            return Ok(true);
        }
        match self.get(tenant, id).await? {
            Some(s) if s.is_active(self.clock.now()) => {
                self.warm(&s).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Marks the session used now (extends the idle timeout); `None` when
    /// it is not active.
    pub async fn touch(&self, tenant: &TenantId, id: Uuid) -> Result<Option<Session>> {
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let Some(mut s) = Self::get_in(&mut tx, tenant, id).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        if !s.is_active(now) {
            tx.commit().await?;
            return Ok(None);
        }
        s.last_seen_at = now;
        s.idle_until = now.saturating_add(self.policy.idle);
        query(
            "UPDATE auth_sessions SET last_seen_at = $3, idle_until = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .bind(s.last_seen_at)
        .bind(s.idle_until)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.warm(&s).await?;
        Ok(Some(s))
    }

    /// The user's active sessions, newest first.
    pub async fn list(&self, tenant: &TenantId, user: &str) -> Result<Vec<Session>> {
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows: Vec<Session> = query(
            "SELECT tenant_id, id, user_id, kind, user_agent, client_hints, ip_prefix, metadata, amr, \
             auth_time, created_at, last_seen_at, idle_until, expires_at, ended_at, ended_reason \
             FROM auth_sessions WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL \
             AND idle_until > $3 AND expires_at > $3 ORDER BY id DESC",
        )
        .bind(tenant)
        .bind(user)
        .bind(now)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Ends session `id` and revokes its tokens; `false` if it had already
    /// ended (or never existed).
    pub async fn end(&self, tenant: &TenantId, id: Uuid, reason: EndReason) -> Result<bool> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let ended: Option<Scalar<String>> = query(
            "UPDATE auth_sessions SET ended_at = $3, ended_reason = $4 \
             WHERE tenant_id = $1 AND id = $2 AND ended_at IS NULL RETURNING user_id",
        )
        .bind(tenant)
        .bind(id)
        .bind(self.clock.now())
        .bind(reason.as_str())
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        self.kv.delete(&Self::hot_key(tenant, id)?).await?;
        let Some(Scalar(user)) = ended else {
            return Ok(false);
        };
        self.revocations
            .revoke(tenant, Revoked::Session(&id.to_string()))
            .await?;
        self.revocations
            .announce(
                tenant,
                "session.ended",
                serde_json::json!({
                    "session_id": id, "user_id": user, "reason": reason.as_str(),
                }),
            )
            .await;
        Ok(true)
    }

    /// Ends every active session of `user` except `keep`; returns how many.
    pub async fn end_all(
        &self,
        tenant: &TenantId,
        user: &str,
        keep: Option<Uuid>,
        reason: EndReason,
    ) -> Result<usize> {
        let mut ended = 0;
        for s in self.list(tenant, user).await? {
            if Some(s.id) != keep && self.end(tenant, s.id, reason).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }
}
