//! [`Revocations`]: revoked tokens (`jti`), sessions, users and tenants.
//!
//! **The record is SQL** (`auth_revocations`, a tenant table with row-level
//! security on PostgreSQL): [`Revocations::revoke`] upserts the row first,
//! then copies it into the shared [`KvStore`](caas_core::KvStore) — so
//! every instance sees the revocation at its next verification — and
//! announces it on the `EventBus` as `auth.revoked` for anything that
//! caches. A restart therefore forgets nothing, on SQLite as on PostgreSQL.
//!
//! **The key-value store is a cache** and checks read only it (the fast
//! path: no SQL per verification). Whether the cache holds a tenant's
//! record is itself in the cache: a per-tenant marker (`auth:rev:warm`,
//! no expiry) set once every unexpired row was copied. A check that finds
//! no marker — a new process on the in-memory store, a restarted or flushed
//! Redis — first copies the tenant's rows from SQL ([`Revocations::warm`])
//! and only then answers. Because the marker lives beside the entries, they
//! disappear together; the server also warms every tenant at start-up
//! ([`Revocations::load`]), so the first requests do not pay for it.
//!
//! Copying is idempotent and may race freely (several instances warming the
//! same Redis, a revocation written while a warm runs): an entry is only
//! ever raised, never lowered — a watermark is replaced only by a later one,
//! by compare-and-set. What the cache cannot survive is losing single
//! entries while keeping the marker: a Redis that evicts keys under memory
//! pressure must not be used (`maxmemory-policy noeviction`, which the rest
//! of the shared security state — lockouts, single-use codes — needs too).
//! If the cache write of a revocation fails after its row was stored, the
//! marker is deleted so the next check re-reads SQL; if even that fails the
//! caller gets the error (the row stays, and is loaded by the next warm).
//!
//! Rows live as long as the entries did: `keep`, at least the longest token
//! lifetime plus the verification leeway, after the (last) revocation. They
//! are pruned per tenant whenever that tenant revokes or is warmed (so at
//! every start-up), or by [`Revocations::prune`].
//!
//! Users and tenants are revoked with a "not before" watermark: the second
//! after the revocation. Tokens carry `iat` in whole seconds, so every token
//! issued before the revocation — and any issued in the rest of that same
//! second — is rejected.

use std::time::Duration;

use caas_core::sql::{FromRow, Row, query};
use caas_core::{
    Db, Envelope, Error, KvKey, Namespace, Result, SharedClock, SharedEventBus, SharedKvStore,
    TenantId, Timestamp,
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
    db: Db,
    kv: SharedKvStore,
    events: SharedEventBus,
    clock: SharedClock,
    /// How long revocations are kept: the longest a token lives, plus leeway.
    keep: Duration,
}

/// One row of `auth_revocations`.
struct Entry {
    kind: String,
    id: String,
    value: i64,
    expires_at: Timestamp,
}

impl FromRow for Entry {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Entry {
            kind: row.get("kind")?,
            id: row.get("id")?,
            value: row.get("value")?,
            expires_at: row.timestamp("expires_at")?,
        })
    }
}

/// The name of the cache marker: present once the tenant's rows are cached.
const WARM: &str = "auth:rev:warm";

/// Attempts of the compare-and-set that raises an entry.
const RAISE_ATTEMPTS: usize = 8;

fn key(tenant: &TenantId, name: &str) -> Result<KvKey> {
    Namespace::Tenant(*tenant).key(name)
}

/// The cache key of a row.
fn entry_key(tenant: &TenantId, kind: &str, id: &str) -> Result<KvKey> {
    let name = match kind {
        "token" => format!("auth:rev:jti:{id}"),
        "session" => format!("auth:rev:sid:{id}"),
        "user" => format!("auth:rev:user:{id}"),
        "tenant" => "auth:rev:tenant".to_owned(),
        _ => return Err(Error::internal("a stored revocation kind is unknown")),
    };
    key(tenant, &name)
}

/// A cached value as a number; an unreadable one counts as the highest
/// (it revokes everything, as a check reads it).
fn number(v: &[u8]) -> i64 {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(i64::MAX)
}

const PRUNE: &str = "DELETE FROM auth_revocations WHERE tenant_id = $1 AND expires_at <= $2";

impl Revocations {
    /// Revocations recorded in `db`, cached in `kv`, announced on `events`,
    /// kept for `keep` (at least the longest token lifetime plus the
    /// verification leeway).
    pub fn new(
        db: Db,
        kv: SharedKvStore,
        events: SharedEventBus,
        clock: SharedClock,
        keep: Duration,
    ) -> Self {
        Revocations {
            db,
            kv,
            events,
            clock,
            keep,
        }
    }

    /// Revokes `what` in `tenant`: the row first, then the cache.
    pub async fn revoke(&self, tenant: &TenantId, what: Revoked<'_>) -> Result<()> {
        let now = self.clock.now();
        let watermark = now.as_secs() + 1;
        let (kind, id, value) = match what {
            Revoked::Token(jti) => ("token", jti, 1),
            Revoked::Session(sid) => ("session", sid, 1),
            Revoked::User(sub) => ("user", sub, watermark),
            Revoked::Tenant => ("tenant", "", watermark),
        };
        // Refuse a name the cache would refuse before anything is stored.
        entry_key(tenant, kind, id)?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(PRUNE).bind(tenant).bind(now).execute(&mut tx).await?;
        // A second revocation keeps the later watermark and expiry.
        let stored: Entry = query(
            "INSERT INTO auth_revocations (tenant_id, kind, id, value, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, kind, id) DO UPDATE SET \
             value = CASE WHEN excluded.value > auth_revocations.value \
                     THEN excluded.value ELSE auth_revocations.value END, \
             expires_at = CASE WHEN excluded.expires_at > auth_revocations.expires_at \
                          THEN excluded.expires_at ELSE auth_revocations.expires_at END \
             RETURNING kind, id, value, expires_at",
        )
        .bind(tenant)
        .bind(kind)
        .bind(id)
        .bind(value)
        .bind(now)
        .bind(now.saturating_add(self.keep))
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        if let Err(e) = self.cache(tenant, &stored, now).await {
            // The row is stored; without the marker the next check reads it.
            self.kv.delete(&key(tenant, WARM)?).await.map_err(|_| e)?;
            tracing::warn!("a revocation is stored but not cached: the cache will be re-read");
        }
        // The revocation itself is stored and effective either way.
        self.announce(
            tenant,
            "auth.revoked",
            serde_json::json!({ "kind": kind, "id": id }),
        )
        .await;
        Ok(())
    }

    /// Publishes a tenant event on the bus revocations travel on (best
    /// effort: the change it reports is committed).
    pub(crate) async fn announce(
        &self,
        tenant: &TenantId,
        event_type: &str,
        data: serde_json::Value,
    ) {
        Envelope::new(self.clock.as_ref(), *tenant, event_type, data)
            .publish_or_log(self.events.as_ref())
            .await;
    }

    /// Puts `entry` in the cache until it expires, unless the cache already
    /// holds the same or a higher value (a later watermark).
    async fn cache(&self, tenant: &TenantId, entry: &Entry, now: Timestamp) -> Result<()> {
        let ttl = entry.expires_at.duration_since(now);
        if ttl.is_zero() {
            return Ok(());
        }
        let key = entry_key(tenant, &entry.kind, &entry.id)?;
        let value = entry.value.to_string();
        for _ in 0..RAISE_ATTEMPTS {
            let current = self.kv.get(&key).await?;
            if current.as_deref().is_some_and(|c| number(c) >= entry.value) {
                return Ok(());
            }
            if self
                .kv
                .compare_and_set(&key, current.as_deref(), value.as_bytes(), Some(ttl))
                .await?
            {
                return Ok(());
            }
        }
        Err(Error::unavailable(
            "a revocation could not be cached: its entry kept changing",
        ))
    }

    /// Deletes `tenant`'s expired rows; returns how many.
    pub async fn prune(&self, tenant: &TenantId) -> Result<u64> {
        let n = self
            .db
            .tenant_execute(tenant, query(PRUNE).bind(tenant).bind(self.clock.now()))
            .await?;
        Ok(n)
    }

    /// Prunes `tenant`'s expired rows, copies the others into the cache and
    /// marks the tenant's cache warm; returns how many rows were copied.
    /// Idempotent: any instance may run it at any time.
    pub async fn warm(&self, tenant: &TenantId) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(PRUNE).bind(tenant).bind(now).execute(&mut tx).await?;
        let rows: Vec<Entry> = query(
            "SELECT kind, id, value, expires_at FROM auth_revocations \
             WHERE tenant_id = $1 AND expires_at > $2",
        )
        .bind(tenant)
        .bind(now)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        for entry in &rows {
            self.cache(tenant, entry, now).await?;
        }
        // Set only after every row is in: a check that sees the marker
        // finds the entries.
        self.kv.set(&key(tenant, WARM)?, b"1", None).await?;
        Ok(rows.len())
    }

    /// At start-up: for each of `tenants`, warms its cache unless it is
    /// warm already (a Redis shared with running instances), else prunes
    /// its expired rows. Returns how many rows were copied.
    pub async fn load(&self, tenants: impl IntoIterator<Item = TenantId>) -> Result<usize> {
        let mut copied = 0;
        for tenant in tenants {
            if self.kv.get(&key(&tenant, WARM)?).await?.is_some() {
                self.prune(&tenant).await?;
            } else {
                copied += self.warm(&tenant).await?;
            }
        }
        Ok(copied)
    }

    /// Whether a token with these claims was revoked. Reads the cache,
    /// after warming it from SQL if the tenant's marker is missing.
    pub async fn is_revoked(&self, claims: &Claims) -> Result<bool> {
        let t = &claims.tenant_id;
        if self.kv.get(&key(t, WARM)?).await?.is_none() {
            self.warm(t).await?;
        }
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
            if let Some(v) = self.kv.get(&key(t, &name)?).await?
                && claims.iat < number(&v)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
