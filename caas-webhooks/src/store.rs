//! Webhooks and the delivery outbox in SQL. Every statement but the claim
//! runs in the tenant's transaction (row-level security on PostgreSQL); the
//! claim is the one cross-tenant step (see the `caas_webhook_dispatch`
//! policy in the migration).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use caas_core::events::subscribed;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Dialect, Envelope, Error, Result, SharedClock, TenantId, Timestamp, new_id};
use uuid::Uuid;

use crate::model::{Delivery, DeliveryState, Webhook, WebhookInput};

/// The prefix of webhook signing secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// The most webhooks one tenant may have.
pub const MAX_PER_TENANT: i64 = 100;

/// A new signing secret.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let secret = format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    bytes.fill(0);
    secret
}

impl FromRow for Webhook {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let types: String = row.get("event_types")?;
        Ok(Webhook {
            id: row.parse("id")?,
            tenant_id: row.parse("tenant_id")?,
            url: row.get("url")?,
            description: row.get("description")?,
            event_types: serde_json::from_str(&types)
                .map_err(|e| Error::internal(format!("stored event types are unreadable: {e}")))?,
            enabled: row.get("enabled")?,
            created_at: row.timestamp("created_at")?,
            updated_at: row.timestamp("updated_at")?,
        })
    }
}

impl FromRow for Delivery {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Delivery {
            id: row.parse("id")?,
            webhook_id: row.parse("webhook_id")?,
            event_id: row.parse("event_id")?,
            event_type: row.get("event_type")?,
            state: row.parse("state")?,
            attempts: row.get("attempts")?,
            next_attempt_at: row.timestamp("next_attempt_at")?,
            last_status: row.get("last_status")?,
            last_error: row.get("last_error")?,
            delivered_at: row
                .get::<Option<i64>>("delivered_at")?
                .map(Timestamp::from_millis),
            created_at: row.timestamp("created_at")?,
        })
    }
}

/// A claimed attempt: which delivery, whose, and which attempt number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The delivery.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantId,
    /// The attempt number this claim owns (1-based).
    pub attempt: i64,
}

impl FromRow for Claim {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Claim {
            id: row.parse("id")?,
            tenant: row.parse("tenant_id")?,
            attempt: row.get("attempts")?,
        })
    }
}

/// What an attempt sends.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The target.
    pub url: String,
    /// The signing secret.
    pub secret: caas_core::SecretString,
    /// The event type.
    pub event_type: String,
    /// The body.
    pub payload: String,
}

impl FromRow for Attempt {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Attempt {
            url: row.get("url")?,
            secret: caas_core::SecretString::new(row.get("secret")?),
            event_type: row.get("event_type")?,
            payload: row.get("payload")?,
        })
    }
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 2xx.
    Succeeded {
        /// The status.
        status: u16,
    },
    /// Anything else; retried at `retry_at`, or dead-lettered if `None`.
    Failed {
        /// The status, if a response came.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The next attempt; `None` dead-letters the delivery.
        retry_at: Option<Timestamp>,
    },
}

/// The SQL side of webhooks.
#[derive(Debug, Clone)]
pub struct WebhookStore {
    db: Db,
    clock: SharedClock,
}

impl WebhookStore {
    /// A store on `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        WebhookStore { db, clock }
    }

    /// Creates a webhook; returns it and its new secret.
    pub async fn create(
        &self,
        tenant: &TenantId,
        input: &WebhookInput,
        url: &str,
    ) -> Result<(Webhook, String)> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let Scalar(count): Scalar<i64> =
            query("SELECT COUNT(*) FROM webhooks WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&mut tx)
                .await?;
        if count >= MAX_PER_TENANT {
            return Err(Error::conflict(format!(
                "a tenant may have at most {MAX_PER_TENANT} webhooks"
            )));
        }
        let now = self.clock.now();
        let secret = new_secret();
        let hook: Webhook = query(
            "INSERT INTO webhooks (id, tenant_id, url, description, event_types, secret, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING id, tenant_id, url, description, event_types, enabled, created_at, updated_at",
        )
        .bind(new_id(self.clock.as_ref()))
        .bind(tenant)
        .bind(url)
        .bind(input.description.trim())
        .bind(serde_json::to_string(&input.event_types)?)
        .bind(secret.as_str())
        .bind(input.enabled)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((hook, secret))
    }

    /// The tenant's webhooks, by id, after `after`.
    pub async fn list(
        &self,
        tenant: &TenantId,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Webhook>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows = query(
            "SELECT id, tenant_id, url, description, event_types, enabled, created_at, updated_at \
             FROM webhooks WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(tenant)
        .bind(after.map_or_else(String::new, |a| a.to_string()))
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// One webhook.
    pub async fn get(&self, tenant: &TenantId, id: Uuid) -> Result<Webhook> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let hook = query(
            "SELECT id, tenant_id, url, description, event_types, enabled, created_at, updated_at \
             FROM webhooks WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut tx)
        .await?
        .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok(hook)
    }

    /// Replaces a webhook's URL, description, event types and enabled flag.
    pub async fn update(
        &self,
        tenant: &TenantId,
        id: Uuid,
        input: &WebhookInput,
        url: &str,
    ) -> Result<Webhook> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let hook = query(
            "UPDATE webhooks SET url = $3, description = $4, event_types = $5, enabled = $6, updated_at = $7 \
             WHERE tenant_id = $1 AND id = $2 \
             RETURNING id, tenant_id, url, description, event_types, enabled, created_at, updated_at",
        )
        .bind(tenant)
        .bind(id)
        .bind(url)
        .bind(input.description.trim())
        .bind(serde_json::to_string(&input.event_types)?)
        .bind(input.enabled)
        .bind(self.clock.now())
        .fetch_optional(&mut tx)
        .await?
        .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok(hook)
    }

    /// Replaces the signing secret; returns the webhook and the new secret.
    pub async fn rotate_secret(&self, tenant: &TenantId, id: Uuid) -> Result<(Webhook, String)> {
        let secret = new_secret();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let hook = query(
            "UPDATE webhooks SET secret = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 \
             RETURNING id, tenant_id, url, description, event_types, enabled, created_at, updated_at",
        )
        .bind(tenant)
        .bind(id)
        .bind(secret.as_str())
        .bind(self.clock.now())
        .fetch_optional(&mut tx)
        .await?
        .ok_or_else(|| not_found(id))?;
        tx.commit().await?;
        Ok((hook, secret))
    }

    /// Deletes a webhook and its deliveries.
    pub async fn delete(&self, tenant: &TenantId, id: Uuid) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        query("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        let n = query("DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut tx)
            .await?;
        if n == 0 {
            return Err(not_found(id));
        }
        tx.commit().await
    }

    /// Enqueues `event` for every enabled webhook of its tenant subscribed to
    /// its type (or only for `only`, if given); returns how many deliveries
    /// were created. Enqueuing the same event twice creates nothing new, so
    /// every instance may enqueue what it hears on the bus.
    pub async fn enqueue(&self, event: &Envelope, only: Option<Uuid>) -> Result<usize> {
        let tenant = &event.tenant_id;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let hooks: Vec<Webhook> = query(
            "SELECT id, tenant_id, url, description, event_types, enabled, created_at, updated_at \
             FROM webhooks WHERE tenant_id = $1 AND enabled",
        )
        .bind(tenant)
        .fetch_all(&mut tx)
        .await?;
        let payload = serde_json::to_string(event)?;
        let now = self.clock.now();
        let mut created = 0;
        for hook in hooks {
            let wanted = match only {
                Some(id) => id == hook.id,
                None => subscribed(&hook.event_types, &event.event_type),
            };
            if !wanted {
                continue;
            }
            let n = query(
                "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, \
                 state, attempts, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7) \
                 ON CONFLICT (webhook_id, event_id) DO NOTHING",
            )
            .bind(new_id(self.clock.as_ref()))
            .bind(tenant)
            .bind(hook.id)
            .bind(event.id)
            .bind(event.event_type.as_str())
            .bind(payload.as_str())
            .bind(now)
            .execute(&mut tx)
            .await?;
            created += usize::try_from(n).unwrap_or(0);
        }
        tx.commit().await?;
        Ok(created)
    }

    /// A webhook's deliveries, newest first, before `before`.
    pub async fn deliveries(
        &self,
        tenant: &TenantId,
        webhook: Uuid,
        state: Option<DeliveryState>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        // Make the 404 of an unknown webhook distinct from "no deliveries".
        query("SELECT id FROM webhooks WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(webhook)
            .fetch_optional::<Scalar<String>>(&mut tx)
            .await?
            .ok_or_else(|| not_found(webhook))?;
        let rows = query(
            "SELECT id, webhook_id, event_id, event_type, state, attempts, next_attempt_at, last_status, \
             last_error, delivered_at, created_at FROM webhook_deliveries \
             WHERE tenant_id = $1 AND webhook_id = $2 AND ($3 = '' OR state = $3) \
             AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5",
        )
        .bind(tenant)
        .bind(webhook)
        .bind(state.map_or("", DeliveryState::as_str))
        .bind(before.map_or_else(String::new, |b| b.to_string()))
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Sends a finished (succeeded or dead) delivery again, from attempt 1.
    pub async fn replay(&self, tenant: &TenantId, webhook: Uuid, id: Uuid) -> Result<Delivery> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let now = self.clock.now();
        let replayed: Option<Delivery> = query(
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $4, \
             last_error = NULL, last_status = NULL, delivered_at = NULL, updated_at = $4 \
             WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3 AND state IN ('succeeded', 'dead') \
             RETURNING id, webhook_id, event_id, event_type, state, attempts, next_attempt_at, last_status, \
             last_error, delivered_at, created_at",
        )
        .bind(tenant)
        .bind(webhook)
        .bind(id)
        .bind(now)
        .fetch_optional(&mut tx)
        .await?;
        let Some(delivery) = replayed else {
            let exists: Option<Scalar<String>> = query(
                "SELECT state FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3",
            )
            .bind(tenant)
            .bind(webhook)
            .bind(id)
            .fetch_optional(&mut tx)
            .await?;
            return Err(match exists {
                None => Error::not_found(format!("delivery `{id}` not found")),
                Some(Scalar(state)) => Error::conflict(format!(
                    "delivery `{id}` is {state}; only succeeded or dead deliveries can be replayed"
                )),
            });
        };
        tx.commit().await?;
        Ok(delivery)
    }

    /// Claims up to `limit` due attempts of any tenant for `lease`: each
    /// claimed row gets its attempt number and is invisible to other
    /// workers until the lease ends.
    pub async fn claim(&self, lease: std::time::Duration, limit: u32) -> Result<Vec<Claim>> {
        let now = self.clock.now();
        let until = now.saturating_add(lease);
        let mut tx = self.db.begin().await?;
        let claims =
            match self.db.dialect() {
                Dialect::Postgres => {
                    query("SELECT set_config('caas.dispatcher', 'webhooks', true)")
                        .execute(&mut tx)
                        .await?;
                    // SKIP LOCKED: concurrent workers take disjoint rows.
                    query(
                    "UPDATE webhook_deliveries SET state = 'delivering', attempts = attempts + 1, \
                     next_attempt_at = $1, updated_at = $2 WHERE id IN ( \
                       SELECT id FROM webhook_deliveries \
                       WHERE state IN ('pending', 'delivering') AND next_attempt_at <= $2 \
                       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, tenant_id, attempts",
                )
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut tx)
                .await?
                }
                // SQLite has one writer at a time (`begin` takes the write lock).
                Dialect::Sqlite => query(
                    "UPDATE webhook_deliveries SET state = 'delivering', attempts = attempts + 1, \
                     next_attempt_at = $1, updated_at = $2 WHERE id IN ( \
                       SELECT id FROM webhook_deliveries \
                       WHERE state IN ('pending', 'delivering') AND next_attempt_at <= $2 \
                       ORDER BY next_attempt_at LIMIT $3) \
                     RETURNING id, tenant_id, attempts",
                )
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut tx)
                .await?,
            };
        tx.commit().await?;
        Ok(claims)
    }

    /// What the claimed attempt sends; `None` if the webhook is gone or disabled.
    pub async fn attempt(&self, claim: &Claim) -> Result<Option<Attempt>> {
        let mut tx = self.db.tenant_tx(&claim.tenant).await?;
        let attempt = query(
            "SELECT w.url, w.secret, d.event_type, d.payload FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.tenant_id = $1 AND d.id = $2 AND w.enabled",
        )
        .bind(claim.tenant)
        .bind(claim.id)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(attempt)
    }

    /// Records how a claimed attempt ended; `false` if the claim was lost
    /// (its lease ran out and another worker took the delivery).
    pub async fn finish(&self, claim: &Claim, outcome: &Outcome) -> Result<bool> {
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(&claim.tenant).await?;
        let n = match outcome {
            Outcome::Succeeded { status } => {
                query(
                    "UPDATE webhook_deliveries SET state = 'succeeded', last_status = $4, last_error = NULL, \
                     delivered_at = $5, updated_at = $5 \
                     WHERE tenant_id = $1 AND id = $2 AND attempts = $3 AND state = 'delivering'",
                )
                .bind(claim.tenant)
                .bind(claim.id)
                .bind(claim.attempt)
                .bind(i64::from(*status))
                .bind(now)
                .execute(&mut tx)
                .await?
            }
            Outcome::Failed {
                status,
                error,
                retry_at,
            } => {
                let (state, next) = match retry_at {
                    Some(at) => ("pending", *at),
                    None => ("dead", now),
                };
                query(
                    "UPDATE webhook_deliveries SET state = $4, next_attempt_at = $5, last_status = $6, \
                     last_error = $7, updated_at = $8 \
                     WHERE tenant_id = $1 AND id = $2 AND attempts = $3 AND state = 'delivering'",
                )
                .bind(claim.tenant)
                .bind(claim.id)
                .bind(claim.attempt)
                .bind(state)
                .bind(next)
                .bind(status.map(i64::from))
                .bind(error.as_str())
                .bind(now)
                .execute(&mut tx)
                .await?
            }
        };
        tx.commit().await?;
        Ok(n == 1)
    }
}

fn not_found(id: Uuid) -> Error {
    Error::not_found(format!("webhook `{id}` not found"))
}
