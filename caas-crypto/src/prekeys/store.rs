//! [`PrekeyStore`]: devices and one-time prekeys in SQL, under tenant RLS.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::validate::Identifier;
use caas_core::{Db, Dialect, Envelope, Error, Result, SharedClock, SharedEventBus, TenantId};

use crate::e2e::{IdentityKey, OneTimePrekey, PrekeyBundle, SignedPrekey};

/// The most one-time prekeys one upload may carry.
pub const MAX_UPLOAD: usize = 100;
/// The most unclaimed one-time prekeys a device may hold.
pub const MAX_STORED: u64 = 1000;

/// What a device publishes.
#[derive(Debug, Clone)]
pub struct DeviceKeys {
    /// Its identity key (pinned once published).
    pub identity: IdentityKey,
    /// Its signed prekey (signature verified on upload).
    pub signed_prekey: SignedPrekey,
    /// One-time prekeys to add.
    pub one_time_prekeys: Vec<OneTimePrekey>,
}

/// What [`PrekeyStore::publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The device was new.
    pub created: bool,
    /// The identity key it replaced (only with `replace_identity`).
    pub replaced_identity: Option<IdentityKey>,
}

/// One device's bundle, as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceBundle {
    /// The device.
    pub device_id: String,
    /// What X3DH needs; `one_time_prekey` is `None` when the device ran out.
    pub bundle: PrekeyBundle,
}

struct DeviceRow {
    device_id: String,
    identity: Vec<u8>,
    spk_id: i64,
    spk: Vec<u8>,
    signature: Vec<u8>,
}

impl FromRow for DeviceRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(DeviceRow {
            device_id: row.get("device_id")?,
            identity: row.get("identity_key")?,
            spk_id: row.get("signed_prekey_id")?,
            spk: row.get("signed_prekey")?,
            signature: row.get("signed_prekey_signature")?,
        })
    }
}

struct PrekeyRow {
    id: i64,
    key: Vec<u8>,
}

impl FromRow for PrekeyRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(PrekeyRow {
            id: row.get("prekey_id")?,
            key: row.get("public_key")?,
        })
    }
}

fn arr<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| Error::internal("a stored key has the wrong length"))
}

/// Device and prekey ids: 1 to 128 of A-Z, a-z, 0-9, `-`, `_`, `.`.
pub(crate) fn check_id(value: &str, field: &'static str) -> Result<()> {
    const ID: Identifier<'static> = Identifier::new(128, &['-', '_', '.']).with_uppercase();
    ID.check(value, field)
}

/// Devices and prekeys of a tenant's users.
#[derive(Debug, Clone)]
pub struct PrekeyStore {
    db: Db,
    clock: SharedClock,
    events: Option<SharedEventBus>,
}

impl PrekeyStore {
    /// A store on `db` (migrated with this crate's migrations).
    pub fn new(db: Db, clock: SharedClock) -> Self {
        PrekeyStore {
            db,
            clock,
            events: None,
        }
    }

    /// Announces `e2e.identity.changed` and `e2e.device.reset` on `bus`.
    #[must_use]
    pub fn with_events(mut self, bus: SharedEventBus) -> Self {
        self.events = Some(bus);
        self
    }

    async fn announce(&self, tenant: &TenantId, event_type: &str, data: serde_json::Value) {
        if let Some(bus) = &self.events {
            Envelope::new(self.clock.as_ref(), *tenant, event_type, data)
                .publish_or_log(bus.as_ref())
                .await;
        }
    }

    /// Publishes a device's keys. The signed prekey's signature must verify
    /// against the identity key; a device's identity key is pinned — a
    /// different one is a conflict (code `identity_key_changed`) unless
    /// `replace_identity` is set, which also drops the one-time prekeys of
    /// the old identity.
    pub async fn publish(
        &self,
        tenant: &TenantId,
        user: &str,
        device: &str,
        keys: &DeviceKeys,
        replace_identity: bool,
    ) -> Result<Published> {
        check_id(user, "user_id")?;
        check_id(device, "device_id")?;
        keys.signed_prekey
            .verify(&keys.identity)
            .map_err(|e| Error::from(e).with_field("signed_prekey.signature"))?;
        if keys.one_time_prekeys.len() > MAX_UPLOAD {
            return Err(Error::invalid_input(format!(
                "at most {MAX_UPLOAD} one-time prekeys per upload"
            ))
            .with_field("one_time_prekeys"));
        }
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let pinned: Option<Scalar<Vec<u8>>> = query(
            "SELECT identity_key FROM e2e_devices WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(device)
        .fetch_optional(&mut tx)
        .await?;
        let created = pinned.is_none();
        let mut replaced_identity = None;
        if let Some(Scalar(existing)) = pinned
            && existing != keys.identity.to_bytes()
        {
            if !replace_identity {
                return Err(Error::conflict(
                    "the device's identity key changed; publish with `replace_identity` (or reset \
                     the device) to replace it — its contacts will see a new safety number",
                )
                .with_code("identity_key_changed")
                .with_field("identity_key"));
            }
            replaced_identity = Some(IdentityKey::from_bytes(&arr(&existing)?)?);
            query(
                "DELETE FROM e2e_one_time_prekeys WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
            )
            .bind(tenant)
            .bind(user)
            .bind(device)
            .execute(&mut tx)
            .await?;
        }
        query(
            "INSERT INTO e2e_devices (tenant_id, user_id, device_id, identity_key, signed_prekey_id, \
             signed_prekey, signed_prekey_signature, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (tenant_id, user_id, device_id) DO UPDATE SET identity_key = $4, \
             signed_prekey_id = $5, signed_prekey = $6, signed_prekey_signature = $7, updated_at = $8",
        )
        .bind(tenant)
        .bind(user)
        .bind(device)
        .bind(keys.identity.to_bytes().to_vec())
        .bind(keys.signed_prekey.id)
        .bind(keys.signed_prekey.key.to_vec())
        .bind(keys.signed_prekey.signature.to_vec())
        .bind(now)
        .execute(&mut tx)
        .await?;
        Self::add(&mut tx, tenant, user, device, &keys.one_time_prekeys).await?;
        tx.commit().await?;
        if let Some(old) = &replaced_identity {
            tracing::info!(user, device, "a device replaced its identity key");
            self.announce(
                tenant,
                "e2e.identity.changed",
                serde_json::json!({
                    "user_id": user,
                    "device_id": device,
                    "old_identity_key": B64.encode(old.to_bytes()),
                    "identity_key": B64.encode(keys.identity.to_bytes()),
                }),
            )
            .await;
        }
        Ok(Published {
            created,
            replaced_identity,
        })
    }

    /// Adds one-time prekeys to a published device.
    pub async fn replenish(
        &self,
        tenant: &TenantId,
        user: &str,
        device: &str,
        keys: &[OneTimePrekey],
    ) -> Result<u64> {
        check_id(user, "user_id")?;
        check_id(device, "device_id")?;
        if keys.len() > MAX_UPLOAD {
            return Err(Error::invalid_input(format!(
                "at most {MAX_UPLOAD} one-time prekeys per upload"
            ))
            .with_field("one_time_prekeys"));
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let known: Option<Scalar<String>> = query(
            "SELECT device_id FROM e2e_devices WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(device)
        .fetch_optional(&mut tx)
        .await?;
        if known.is_none() {
            return Err(Error::not_found(format!(
                "device `{device}` has published no keys"
            )));
        }
        Self::add(&mut tx, tenant, user, device, keys).await?;
        let n = Self::count_in(&mut tx, tenant, user, device).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn add(
        tx: &mut caas_core::Tx,
        tenant: &TenantId,
        user: &str,
        device: &str,
        keys: &[OneTimePrekey],
    ) -> Result<()> {
        let stored = Self::count_in(tx, tenant, user, device).await?;
        if stored.saturating_add(keys.len() as u64) > MAX_STORED {
            return Err(Error::invalid_input(format!(
                "a device may hold at most {MAX_STORED} one-time prekeys"
            ))
            .with_field("one_time_prekeys"));
        }
        for k in keys {
            let n = query(
                "INSERT INTO e2e_one_time_prekeys (tenant_id, user_id, device_id, prekey_id, public_key) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, user_id, device_id, prekey_id) DO NOTHING",
            )
            .bind(tenant)
            .bind(user)
            .bind(device)
            .bind(k.id)
            .bind(k.key.to_vec())
            .execute(&mut *tx)
            .await?;
            if n == 0 {
                return Err(Error::conflict(format!(
                    "one-time prekey id {} is already stored",
                    k.id
                ))
                .with_field("one_time_prekeys"));
            }
        }
        Ok(())
    }

    async fn count_in(
        tx: &mut caas_core::Tx,
        tenant: &TenantId,
        user: &str,
        device: &str,
    ) -> Result<u64> {
        let Scalar(n): Scalar<i64> = query(
            "SELECT COUNT(*) FROM e2e_one_time_prekeys WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(device)
        .fetch_one(&mut *tx)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Unclaimed one-time prekeys of a device.
    pub async fn count(&self, tenant: &TenantId, user: &str, device: &str) -> Result<u64> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let n = Self::count_in(&mut tx, tenant, user, device).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// One bundle per device of `user`, each with a one-time prekey claimed
    /// for this fetch alone (if the device has any left).
    pub async fn bundles(&self, tenant: &TenantId, user: &str) -> Result<Vec<DeviceBundle>> {
        check_id(user, "user_id")?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let devices: Vec<DeviceRow> = query(
            "SELECT device_id, identity_key, signed_prekey_id, signed_prekey, signed_prekey_signature \
             FROM e2e_devices WHERE tenant_id = $1 AND user_id = $2 ORDER BY device_id",
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(&mut tx)
        .await?;
        let mut out = Vec::with_capacity(devices.len());
        for d in devices {
            let claimed: Option<PrekeyRow> = match self.db.dialect() {
                // SKIP LOCKED: concurrent fetches take different keys.
                Dialect::Postgres => query(
                    "DELETE FROM e2e_one_time_prekeys WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3 \
                     AND prekey_id = (SELECT prekey_id FROM e2e_one_time_prekeys \
                       WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3 \
                       ORDER BY prekey_id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                     RETURNING prekey_id, public_key",
                ),
                // One writer at a time (the transaction holds the write lock).
                Dialect::Sqlite => query(
                    "DELETE FROM e2e_one_time_prekeys WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3 \
                     AND prekey_id = (SELECT prekey_id FROM e2e_one_time_prekeys \
                       WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3 \
                       ORDER BY prekey_id LIMIT 1) \
                     RETURNING prekey_id, public_key",
                ),
            }
            .bind(tenant)
            .bind(user)
            .bind(d.device_id.as_str())
            .fetch_optional(&mut tx)
            .await?;
            let one_time_prekey = match claimed {
                Some(p) => Some(OneTimePrekey {
                    id: u32::try_from(p.id)
                        .map_err(|_| Error::internal("a stored prekey id is out of range"))?,
                    key: arr(&p.key)?,
                }),
                None => None,
            };
            out.push(DeviceBundle {
                bundle: PrekeyBundle {
                    identity: IdentityKey::from_bytes(&arr(&d.identity)?)?,
                    signed_prekey: SignedPrekey {
                        id: u32::try_from(d.spk_id)
                            .map_err(|_| Error::internal("a stored prekey id is out of range"))?,
                        key: arr(&d.spk)?,
                        signature: arr(&d.signature)?,
                    },
                    one_time_prekey,
                },
                device_id: d.device_id,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Forgets a device and its prekeys (then a new identity may be
    /// published); `not_found` when it has published nothing.
    pub async fn reset(&self, tenant: &TenantId, user: &str, device: &str) -> Result<()> {
        check_id(user, "user_id")?;
        check_id(device, "device_id")?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let mut removed = 0;
        for sql in [
            "DELETE FROM e2e_one_time_prekeys WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
            "DELETE FROM e2e_devices WHERE tenant_id = $1 AND user_id = $2 AND device_id = $3",
        ] {
            removed = query(sql)
                .bind(tenant)
                .bind(user)
                .bind(device)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        if removed == 0 {
            return Err(Error::not_found(format!(
                "device `{device}` has published no keys"
            )));
        }
        self.announce(
            tenant,
            "e2e.device.reset",
            serde_json::json!({ "user_id": user, "device_id": device }),
        )
        .await;
        Ok(())
    }
}
