//! [`SqlKeyManager`]: the [`KeyManager`] on SQLite or PostgreSQL (tenant
//! tables under row-level security), with a local [`MasterKey`].

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{Db, Result, SharedClock, SharedEventBus, TenantId, Tx, new_id};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::envelope::{aad, open, seal, unwrap_key};
use super::{KeyManager, KeyRotation, MasterKey, Rewrap};
use crate::Error;
use crate::e2e::random32;

pub(super) type Key = Zeroizing<[u8; 32]>;

const DATA: u8 = 0x01;
const SUBJECT_DATA: u8 = 0x02;

/// Keys in SQL, wrapped by the master key (tenant keys) or a tenant key.
#[derive(Debug, Clone)]
pub struct SqlKeyManager {
    pub(super) db: Db,
    pub(super) master: MasterKey,
    pub(super) clock: SharedClock,
    pub(super) events: Option<SharedEventBus>,
}

struct Wrapped {
    version: i64,
    kek_version: i64,
    wrapped: Vec<u8>,
}

impl FromRow for Wrapped {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(Wrapped {
            version: row.get("version")?,
            kek_version: row.get("kek_version")?,
            wrapped: row.get("wrapped")?,
        })
    }
}

struct SubjectRow {
    key_id: String,
    kek_version: i64,
    wrapped: Vec<u8>,
}

impl FromRow for SubjectRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(SubjectRow {
            key_id: row.get("key_id")?,
            kek_version: row.get("kek_version")?,
            wrapped: row.get("wrapped")?,
        })
    }
}

fn check_purpose(purpose: &str) -> Result<()> {
    let ok = (1..=64).contains(&purpose.len())
        && purpose.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(
            caas_core::Error::invalid_input("a key purpose is 1 to 64 of a-z, 0-9, `_`, `-`, `.`")
                .with_field("purpose"),
        )
    }
}

fn check_subject(subject: &str) -> Result<()> {
    if (1..=256).contains(&subject.len()) && !subject.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(caas_core::Error::invalid_input(
            "a subject id is 1 to 256 characters without control characters",
        )
        .with_field("subject"))
    }
}

fn version_u32(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| caas_core::Error::internal("a stored key version is out of range"))
}

impl SqlKeyManager {
    /// A manager on `db` (migrated with caas-core's and this crate's
    /// migrations); rotations are announced on `events` when given.
    pub fn new(
        db: Db,
        master: MasterKey,
        clock: SharedClock,
        events: Option<SharedEventBus>,
    ) -> Self {
        SqlKeyManager {
            db,
            master,
            clock,
            events,
        }
    }

    pub(super) fn tenant_key_aad(tenant: &TenantId, version: i64) -> Vec<u8> {
        aad(
            "tenant-key",
            &[tenant.to_string().as_bytes(), &version.to_be_bytes()],
        )
    }

    /// The active tenant key, created (version 1) on first use.
    pub(super) async fn current_kek(&self, tx: &mut Tx, tenant: &TenantId) -> Result<(i64, Key)> {
        let select = "SELECT version, version AS kek_version, wrapped FROM crypto_tenant_keys \
                      WHERE tenant_id = $1 AND active";
        let mut row: Option<Wrapped> = query(select).bind(tenant).fetch_optional(&mut *tx).await?;
        if row.is_none() {
            let key = random32();
            let wrapped = seal(
                self.master.bytes(),
                &Self::tenant_key_aad(tenant, 1),
                &key[..],
            )?;
            query(
                "INSERT INTO crypto_tenant_keys (tenant_id, version, wrapped, active, created_at) \
                 VALUES ($1, 1, $2, TRUE, $3) ON CONFLICT (tenant_id, version) DO NOTHING",
            )
            .bind(tenant)
            .bind(wrapped)
            .bind(self.clock.now())
            .execute(&mut *tx)
            .await?;
            row = query(select).bind(tenant).fetch_optional(&mut *tx).await?;
        }
        let row = row.ok_or_else(|| caas_core::Error::internal("no active tenant key"))?;
        let key = unwrap_key(
            self.master.bytes(),
            &Self::tenant_key_aad(tenant, row.version),
            &row.wrapped,
        )?;
        Ok((row.version, key))
    }

    /// Tenant key `version`.
    pub(super) async fn kek(&self, tx: &mut Tx, tenant: &TenantId, version: i64) -> Result<Key> {
        let row: Wrapped = query(
            "SELECT version, version AS kek_version, wrapped FROM crypto_tenant_keys \
             WHERE tenant_id = $1 AND version = $2",
        )
        .bind(tenant)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::UnknownKey)?;
        Ok(unwrap_key(
            self.master.bytes(),
            &Self::tenant_key_aad(tenant, version),
            &row.wrapped,
        )?)
    }

    pub(super) fn data_key_aad(
        tenant: &TenantId,
        purpose: &str,
        version: i64,
        kek_version: i64,
    ) -> Vec<u8> {
        aad(
            "data-key",
            &[
                tenant.to_string().as_bytes(),
                purpose.as_bytes(),
                &version.to_be_bytes(),
                &kek_version.to_be_bytes(),
            ],
        )
    }

    fn data_aad(tenant: &TenantId, purpose: &str, version: u32) -> Vec<u8> {
        aad(
            "data",
            &[
                tenant.to_string().as_bytes(),
                purpose.as_bytes(),
                &version.to_be_bytes(),
            ],
        )
    }

    pub(super) fn subject_key_aad(tenant: &TenantId, key_id: &str, kek_version: i64) -> Vec<u8> {
        aad(
            "subject-key",
            &[
                tenant.to_string().as_bytes(),
                key_id.as_bytes(),
                &kek_version.to_be_bytes(),
            ],
        )
    }

    fn subject_data_aad(
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
        key_id: &[u8; 16],
    ) -> Vec<u8> {
        aad(
            "subject-data",
            &[
                tenant.to_string().as_bytes(),
                subject.as_bytes(),
                purpose.as_bytes(),
                key_id,
            ],
        )
    }

    async fn data_key(
        &self,
        tx: &mut Tx,
        tenant: &TenantId,
        purpose: &str,
        version: Option<u32>,
    ) -> Result<(u32, Key)> {
        let row: Option<Wrapped> = match version {
            None => query(
                "SELECT version, tenant_key_version AS kek_version, wrapped FROM crypto_data_keys \
                 WHERE tenant_id = $1 AND purpose = $2 ORDER BY version DESC LIMIT 1",
            )
            .bind(tenant)
            .bind(purpose)
            .fetch_optional(&mut *tx)
            .await?,
            Some(v) => query(
                "SELECT version, tenant_key_version AS kek_version, wrapped FROM crypto_data_keys \
                 WHERE tenant_id = $1 AND purpose = $2 AND version = $3",
            )
            .bind(tenant)
            .bind(purpose)
            .bind(v)
            .fetch_optional(&mut *tx)
            .await?,
        };
        if let Some(row) = row {
            let kek = self.kek(tx, tenant, row.kek_version).await?;
            let aad = Self::data_key_aad(tenant, purpose, row.version, row.kek_version);
            return Ok((
                version_u32(row.version)?,
                unwrap_key(&kek, &aad, &row.wrapped)?,
            ));
        }
        if version.is_some() {
            return Err(Error::UnknownKey.into());
        }
        let (kek_version, kek) = self.current_kek(tx, tenant).await?;
        let key = random32();
        let wrapped = seal(
            &kek,
            &Self::data_key_aad(tenant, purpose, 1, kek_version),
            &key[..],
        )?;
        query(
            "INSERT INTO crypto_data_keys (tenant_id, purpose, version, tenant_key_version, wrapped, created_at) \
             VALUES ($1, $2, 1, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(purpose)
        .bind(kek_version)
        .bind(wrapped)
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await?;
        Ok((1, key))
    }
}

#[async_trait]
impl KeyManager for SqlKeyManager {
    async fn encrypt(&self, tenant: &TenantId, purpose: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        check_purpose(purpose)?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let (version, key) = self.data_key(&mut tx, tenant, purpose, None).await?;
        tx.commit().await?;
        let sealed = seal(&key, &Self::data_aad(tenant, purpose, version), plaintext)?;
        let mut out = Vec::with_capacity(5 + sealed.len());
        out.push(DATA);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    async fn decrypt(
        &self,
        tenant: &TenantId,
        purpose: &str,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        check_purpose(purpose)?;
        let (version, sealed) = match ciphertext {
            [DATA, a, b, c, d, rest @ ..] => (u32::from_be_bytes([*a, *b, *c, *d]), rest),
            [v, ..] if *v != DATA => return Err(Error::Version(*v).into()),
            _ => return Err(Error::Malformed("ciphertext").into()),
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        let (_, key) = self
            .data_key(&mut tx, tenant, purpose, Some(version))
            .await?;
        tx.commit().await?;
        Ok(open(
            &key,
            &Self::data_aad(tenant, purpose, version),
            sealed,
        )?)
    }

    async fn encrypt_for_subject(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
        data: &[u8],
    ) -> Result<Vec<u8>> {
        check_purpose(purpose)?;
        check_subject(subject)?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let existing: Option<SubjectRow> = query(
            "SELECT key_id, tenant_key_version AS kek_version, wrapped FROM crypto_subject_keys \
             WHERE tenant_id = $1 AND subject = $2",
        )
        .bind(tenant)
        .bind(subject)
        .fetch_optional(&mut tx)
        .await?;
        let (key_id, key) = match existing {
            Some(row) => {
                let kek = self.kek(&mut tx, tenant, row.kek_version).await?;
                let key = unwrap_key(
                    &kek,
                    &Self::subject_key_aad(tenant, &row.key_id, row.kek_version),
                    &row.wrapped,
                )?;
                (row.key_id, key)
            }
            None => {
                let (kek_version, kek) = self.current_kek(&mut tx, tenant).await?;
                let key_id = new_id(self.clock.as_ref()).to_string();
                let key = random32();
                let wrapped = seal(
                    &kek,
                    &Self::subject_key_aad(tenant, &key_id, kek_version),
                    &key[..],
                )?;
                query(
                    "INSERT INTO crypto_subject_keys (tenant_id, key_id, subject, tenant_key_version, wrapped, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(tenant)
                .bind(key_id.as_str())
                .bind(subject)
                .bind(kek_version)
                .bind(wrapped)
                .bind(self.clock.now())
                .execute(&mut tx)
                .await?;
                (key_id, key)
            }
        };
        tx.commit().await?;
        let id: Uuid = key_id
            .parse()
            .map_err(|_| caas_core::Error::internal("a stored key id is not a UUID"))?;
        let id = *id.as_bytes();
        let sealed = seal(
            &key,
            &Self::subject_data_aad(tenant, subject, purpose, &id),
            data,
        )?;
        let mut out = Vec::with_capacity(17 + sealed.len());
        out.push(SUBJECT_DATA);
        out.extend_from_slice(&id);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    async fn decrypt_for_subject(
        &self,
        tenant: &TenantId,
        subject: &str,
        purpose: &str,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        check_purpose(purpose)?;
        check_subject(subject)?;
        let (id, sealed) = match ciphertext {
            [SUBJECT_DATA, rest @ ..] if rest.len() > 16 => {
                let id: [u8; 16] = rest[..16]
                    .try_into()
                    .map_err(|_| Error::Malformed("ciphertext"))?;
                (id, &rest[16..])
            }
            [v, ..] if *v != SUBJECT_DATA => return Err(Error::Version(*v).into()),
            _ => return Err(Error::Malformed("ciphertext").into()),
        };
        let key_id = Uuid::from_bytes(id).to_string();
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row: Option<SubjectRow> = query(
            "SELECT key_id, tenant_key_version AS kek_version, wrapped FROM crypto_subject_keys \
             WHERE tenant_id = $1 AND key_id = $2 AND subject = $3",
        )
        .bind(tenant)
        .bind(key_id.as_str())
        .bind(subject)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            let shredded: Option<caas_core::sql::Scalar<String>> = query(
                "SELECT key_id FROM crypto_shredded_keys WHERE tenant_id = $1 AND key_id = $2",
            )
            .bind(tenant)
            .bind(key_id.as_str())
            .fetch_optional(&mut tx)
            .await?;
            tx.commit().await?;
            return Err(if shredded.is_some() {
                Error::Erased
            } else {
                Error::UnknownKey
            }
            .into());
        };
        let kek = self.kek(&mut tx, tenant, row.kek_version).await?;
        tx.commit().await?;
        let key = unwrap_key(
            &kek,
            &Self::subject_key_aad(tenant, &row.key_id, row.kek_version),
            &row.wrapped,
        )?;
        Ok(open(
            &key,
            &Self::subject_data_aad(tenant, subject, purpose, &id),
            sealed,
        )?)
    }

    async fn shred(&self, tenant: &TenantId, subject: &str) -> Result<()> {
        check_subject(subject)?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row: Option<caas_core::sql::Scalar<String>> =
            query("SELECT key_id FROM crypto_subject_keys WHERE tenant_id = $1 AND subject = $2")
                .bind(tenant)
                .bind(subject)
                .fetch_optional(&mut tx)
                .await?;
        if let Some(caas_core::sql::Scalar(key_id)) = row {
            query("DELETE FROM crypto_subject_keys WHERE tenant_id = $1 AND key_id = $2")
                .bind(tenant)
                .bind(key_id.as_str())
                .execute(&mut tx)
                .await?;
            query(
                "INSERT INTO crypto_shredded_keys (tenant_id, key_id, subject, shredded_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, key_id) DO NOTHING",
            )
            .bind(tenant)
            .bind(key_id.as_str())
            // The record of a shredding names the key, never the subject:
            // an erased subject leaves no identifier behind.
            .bind("")
            .bind(self.clock.now())
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    async fn rotate_tenant_key(&self, tenant: &TenantId) -> Result<u32> {
        self.rotate(tenant).await
    }

    async fn rewrap(&self, tenant: &TenantId, batch: usize) -> Result<Rewrap> {
        self.rewrap_batch(tenant, batch).await
    }

    async fn rotations(&self, tenant: &TenantId) -> Result<Vec<KeyRotation>> {
        self.rotation_history(tenant).await
    }
}

#[async_trait]
impl caas_core::TenantProvisioner for SqlKeyManager {
    fn name(&self) -> &'static str {
        "tenant_keys"
    }

    /// Creates the tenant's first key unless it has one.
    async fn provision(&self, tenant: &caas_core::Tenant) -> Result<()> {
        let mut tx = self.db.tenant_tx(&tenant.id).await?;
        self.current_kek(&mut tx, &tenant.id).await?;
        tx.commit().await
    }
}
