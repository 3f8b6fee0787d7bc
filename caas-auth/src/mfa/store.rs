//! [`MfaStore`]: TOTP enrollment (secret sealed under the user's subject
//! key, so shredding the user destroys it), confirmation with a first code,
//! verification with replay protection across instances, and ten single-use
//! backup codes stored as hashes.

use std::sync::Arc;

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Error, Result, SecretString, SharedClock, TenantId};
use caas_crypto::KeyManager;
use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::totp::{Totp, TotpAlgorithm};

const PURPOSE: &str = "auth.totp";
/// How many backup codes a user gets.
pub const BACKUP_CODES: usize = 10;

/// Which second factor a code matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// A TOTP code (`amr` value `otp`).
    Totp,
    /// A backup code (`amr` value `otp` too; one fewer remains).
    BackupCode,
}

/// A user's MFA state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MfaStatus {
    /// A confirmed TOTP authenticator.
    pub totp: bool,
    /// Unused backup codes.
    pub backup_codes_left: u64,
}

/// TOTP and backup codes of every tenant's users.
#[derive(Debug, Clone)]
pub struct MfaStore {
    db: Db,
    keys: Arc<dyn KeyManager>,
    clock: SharedClock,
}

struct TotpRow {
    sealed: Vec<u8>,
    confirmed: bool,
    last_step: Option<i64>,
}

impl FromRow for TotpRow {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        let confirmed: Option<i64> = row.get("confirmed_at")?;
        Ok(TotpRow {
            sealed: row.get("sealed")?,
            confirmed: confirmed.is_some(),
            last_step: row.get("last_step")?,
        })
    }
}

fn code_hash(user: &str, code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    hex::encode(Sha256::digest(format!("{user}:{normalized}").as_bytes()))
}

/// A new backup code: 80 random bits as 16 base32 characters in groups of four.
fn backup_code() -> SecretString {
    let mut bytes = Zeroizing::new([0u8; 10]);
    rand::fill(&mut bytes[..]);
    let text = BASE32_NOPAD.encode(&bytes[..]).to_lowercase();
    let grouped = text
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    SecretString::new(grouped)
}

impl MfaStore {
    /// MFA state in `db`, secrets sealed with `keys`.
    pub fn new(db: Db, keys: Arc<dyn KeyManager>, clock: SharedClock) -> Self {
        MfaStore { db, keys, clock }
    }

    async fn totp_row(&self, tenant: &TenantId, user: &str) -> Result<Option<TotpRow>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let row = query(
            "SELECT sealed, confirmed_at, last_step FROM auth_mfa_totp WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn open(&self, tenant: &TenantId, user: &str, sealed: &[u8]) -> Result<Totp> {
        let secret = self
            .keys
            .decrypt_for_subject(tenant, user, PURPOSE, sealed)
            .await?;
        Ok(Totp::new(
            Zeroizing::new(secret.to_vec()),
            TotpAlgorithm::Sha1,
            6,
            30,
        ))
    }

    /// Starts (or restarts) TOTP enrollment: a new secret, unconfirmed until
    /// [`confirm`](MfaStore::confirm). A confirmed authenticator must be
    /// removed first (409).
    pub async fn enroll(&self, tenant: &TenantId, user: &str) -> Result<Totp> {
        if self
            .totp_row(tenant, user)
            .await?
            .is_some_and(|r| r.confirmed)
        {
            return Err(Error::conflict(
                "an authenticator is already confirmed; remove it before enrolling another",
            ));
        }
        let totp = Totp::generate();
        let sealed = self
            .keys
            .encrypt_for_subject(tenant, user, PURPOSE, totp.secret())
            .await?;
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_mfa_totp (tenant_id, user_id, sealed, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET sealed = $3, created_at = $4, \
             confirmed_at = NULL, last_step = NULL",
        )
        .bind(tenant)
        .bind(user)
        .bind(sealed)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(totp)
    }

    /// Confirms enrollment with a current code; returns the backup codes
    /// (shown once). A wrong code is 400 and changes nothing.
    pub async fn confirm(
        &self,
        tenant: &TenantId,
        user: &str,
        code: &str,
    ) -> Result<Vec<SecretString>> {
        let Some(row) = self.totp_row(tenant, user).await? else {
            return Err(Error::not_found("no authenticator is being enrolled"));
        };
        if row.confirmed {
            return Err(Error::conflict("the authenticator is already confirmed"));
        }
        let totp = self.open(tenant, user, &row.sealed).await?;
        let Some(step) = totp.verify(code, self.clock.now().as_secs(), None)? else {
            return Err(
                Error::invalid_input("the code does not match; check the device's clock")
                    .with_field("code"),
            );
        };
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "UPDATE auth_mfa_totp SET confirmed_at = $3, last_step = $4 \
             WHERE tenant_id = $1 AND user_id = $2 AND confirmed_at IS NULL",
        )
        .bind(tenant)
        .bind(user)
        .bind(self.clock.now())
        .bind(i64::try_from(step).unwrap_or(i64::MAX))
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        self.regenerate_backup_codes(tenant, user).await
    }

    /// Replaces the user's backup codes with ten new ones (shown once).
    pub async fn regenerate_backup_codes(
        &self,
        tenant: &TenantId,
        user: &str,
    ) -> Result<Vec<SecretString>> {
        let codes: Vec<SecretString> = (0..BACKUP_CODES).map(|_| backup_code()).collect();
        let now = self.clock.now();
        let mut tx = self.db.tenant_tx(tenant).await?;
        query("DELETE FROM auth_backup_codes WHERE tenant_id = $1 AND user_id = $2")
            .bind(tenant)
            .bind(user)
            .execute(&mut tx)
            .await?;
        for code in &codes {
            query(
                "INSERT INTO auth_backup_codes (tenant_id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(tenant)
            .bind(user)
            .bind(code_hash(user, code.expose()))
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(codes)
    }

    /// The user's MFA state.
    pub async fn status(&self, tenant: &TenantId, user: &str) -> Result<MfaStatus> {
        let totp = self
            .totp_row(tenant, user)
            .await?
            .is_some_and(|r| r.confirmed);
        let mut tx = self.db.tenant_tx(tenant).await?;
        let Scalar(left): Scalar<i64> = query(
            "SELECT COUNT(*) FROM auth_backup_codes WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL",
        )
        .bind(tenant)
        .bind(user)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(MfaStatus {
            totp,
            backup_codes_left: u64::try_from(left).unwrap_or(0),
        })
    }

    /// Checks a second-factor code: a TOTP code (each step once, also under
    /// concurrent attempts on several instances) or an unused backup code
    /// (then used up). `None` when it matches neither.
    pub async fn verify(
        &self,
        tenant: &TenantId,
        user: &str,
        code: &str,
    ) -> Result<Option<SecondFactor>> {
        if let Some(row) = self.totp_row(tenant, user).await?
            && row.confirmed
        {
            let totp = self.open(tenant, user, &row.sealed).await?;
            let last = row.last_step.and_then(|s| u64::try_from(s).ok());
            if let Some(step) = totp.verify(code, self.clock.now().as_secs(), last)? {
                let step = i64::try_from(step).unwrap_or(i64::MAX);
                let mut tx = self.db.tenant_tx(tenant).await?;
                let won = query(
                    "UPDATE auth_mfa_totp SET last_step = $3 WHERE tenant_id = $1 AND user_id = $2 \
                     AND (last_step IS NULL OR last_step < $3)",
                )
                .bind(tenant)
                .bind(user)
                .bind(step)
                .execute(&mut tx)
                .await?;
                tx.commit().await?;
                return Ok((won == 1).then_some(SecondFactor::Totp));
            }
        }
        let mut tx = self.db.tenant_tx(tenant).await?;
        let used = query(
            "UPDATE auth_backup_codes SET used_at = $4 \
             WHERE tenant_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(tenant)
        .bind(user)
        .bind(code_hash(user, code))
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok((used == 1).then_some(SecondFactor::BackupCode))
    }

    /// Removes the authenticator and the backup codes.
    pub async fn remove(&self, tenant: &TenantId, user: &str) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        for sql in [
            "DELETE FROM auth_mfa_totp WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM auth_backup_codes WHERE tenant_id = $1 AND user_id = $2",
        ] {
            query(sql).bind(tenant).bind(user).execute(&mut tx).await?;
        }
        tx.commit().await
    }
}
