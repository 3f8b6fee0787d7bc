//! [`Mailbox`]: messages in SQL, under tenant RLS.

use std::time::Duration;

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Error, Result, SharedClock, TenantId, Timestamp, bounded_duration, new_id};
use uuid::Uuid;

use crate::prekeys::check_id;

/// The largest ciphertext accepted (64 KiB of plaintext and headers).
pub const MAX_CIPHERTEXT: usize = 65_536 + 1024;
/// The longest a message waits (30 days).
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// A time to live given in seconds, as request bodies carry it: 1 to
/// [`MAX_TTL`] (2592000, 30 days); otherwise invalid input naming
/// `ttl_seconds`.
pub fn ttl_seconds(secs: u64) -> Result<Duration> {
    bounded_duration("ttl_seconds", secs, MAX_TTL)
}

/// A user's device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The user.
    pub user: String,
    /// The device.
    pub device: String,
}

/// A message waiting in an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its id (acknowledge with it).
    pub id: Uuid,
    /// Who sent it.
    pub sender: Address,
    /// The opaque ciphertext.
    pub ciphertext: Vec<u8>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// When it is dropped unread.
    pub expires_at: Timestamp,
}

impl FromRow for StoredMessage {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(StoredMessage {
            id: row.parse("id")?,
            sender: Address {
                user: row.get("sender_user")?,
                device: row.get("sender_device")?,
            },
            ciphertext: row.get("ciphertext")?,
            created_at: row.timestamp("created_at")?,
            expires_at: row.timestamp("expires_at")?,
        })
    }
}

/// Inboxes of a tenant's devices.
#[derive(Debug, Clone)]
pub struct Mailbox {
    db: Db,
    clock: SharedClock,
}

impl Mailbox {
    /// A mailbox on `db` (migrated with this crate's migrations).
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Mailbox { db, clock }
    }

    /// Stores one ciphertext per recipient device (all or none); returns the
    /// ids. The sender and every recipient must be devices that published
    /// keys (in [`PrekeyStore`](crate::PrekeyStore)); an unknown one is
    /// `not_found` and nothing is stored.
    pub async fn send(
        &self,
        tenant: &TenantId,
        from: &Address,
        to: &[(Address, Vec<u8>)],
        ttl: Duration,
    ) -> Result<Vec<Uuid>> {
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(
                Error::invalid_input("the time to live must be 1 s to 30 days").with_field("ttl"),
            );
        }
        if to.is_empty() || to.len() > 100 {
            return Err(Error::invalid_input("send to 1 to 100 devices").with_field("messages"));
        }
        if let Some((_, ct)) = to
            .iter()
            .find(|(_, ct)| ct.is_empty() || ct.len() > MAX_CIPHERTEXT)
        {
            return Err(Error::invalid_input(format!(
                "a ciphertext of {} bytes; 1 to {MAX_CIPHERTEXT} are accepted",
                ct.len()
            ))
            .with_field("messages.ciphertext"));
        }
        let now = self.clock.now();
        let expires = now.saturating_add(ttl);
        let mut tx = self.db.tenant_tx(tenant).await?;
        for (address, field) in std::iter::once((from, "sender_device_id"))
            .chain(to.iter().map(|(a, _)| (a, "messages.device_id")))
        {
            check_id(&address.user, "user_id")?;
            check_id(&address.device, field)?;
            let known: Option<Scalar<String>> = query(
                "SELECT device_id FROM e2e_devices WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
            )
            .bind(tenant)
            .bind(address.user.as_str())
            .bind(address.device.as_str())
            .fetch_optional(&mut tx)
            .await?;
            if known.is_none() {
                return Err(Error::not_found(format!(
                    "device `{}` of user `{}` has published no keys",
                    address.device, address.user
                ))
                .with_field(field));
            }
        }
        let mut ids = Vec::with_capacity(to.len());
        for (address, ciphertext) in to {
            let id = new_id(self.clock.as_ref());
            query(
                "INSERT INTO e2e_messages (tenant_id, id, recipient_user, recipient_device, sender_user, \
                 sender_device, ciphertext, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(tenant)
            .bind(id)
            .bind(address.user.as_str())
            .bind(address.device.as_str())
            .bind(from.user.as_str())
            .bind(from.device.as_str())
            .bind(ciphertext.as_slice())
            .bind(now)
            .bind(expires)
            .execute(&mut tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The device's unexpired messages, oldest first, after `after`.
    pub async fn inbox(
        &self,
        tenant: &TenantId,
        device: &Address,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>> {
        let limit = limit.clamp(1, 500);
        let mut tx = self.db.tenant_tx(tenant).await?;
        let rows = query(
            "SELECT id, sender_user, sender_device, ciphertext, created_at, expires_at FROM e2e_messages \
             WHERE tenant_id = $1 AND recipient_user = $2 AND recipient_device = $3 AND expires_at > $4 \
             AND id > $5 ORDER BY id LIMIT $6",
        )
        .bind(tenant)
        .bind(device.user.as_str())
        .bind(device.device.as_str())
        .bind(self.clock.now())
        .bind(after.map_or_else(String::new, |a| a.to_string()))
        .bind(limit)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Acknowledges (deletes) a message of the device's inbox.
    pub async fn ack(&self, tenant: &TenantId, device: &Address, id: Uuid) -> Result<()> {
        let n = self
            .db
            .tenant_execute(tenant, query("DELETE FROM e2e_messages WHERE tenant_id = $1 AND id = $2 AND recipient_user = $3 AND recipient_device = $4",).bind(tenant).bind(id).bind(device.user.as_str()).bind(device.device.as_str()))
            .await?;
        if n == 0 {
            return Err(Error::not_found(format!(
                "message `{id}` is not in this inbox"
            )));
        }
        Ok(())
    }

    /// Drops the tenant's expired messages; returns how many.
    pub async fn purge_expired(&self, tenant: &TenantId) -> Result<u64> {
        let n = self
            .db
            .tenant_execute(
                tenant,
                query("DELETE FROM e2e_messages WHERE tenant_id = $1 AND expires_at <= $2")
                    .bind(tenant)
                    .bind(self.clock.now()),
            )
            .await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn times_to_live_are_bounded_or_refused_by_name(secs in any::<u64>()) {
            match ttl_seconds(secs) {
                Ok(ttl) => {
                    prop_assert!(!ttl.is_zero() && ttl <= MAX_TTL);
                    prop_assert_eq!(ttl.as_secs(), secs);
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), caas_core::ErrorKind::InvalidInput);
                    prop_assert_eq!(e.field(), Some("ttl_seconds"));
                    prop_assert!(secs == 0 || secs > MAX_TTL.as_secs());
                }
            }
        }
    }
}
