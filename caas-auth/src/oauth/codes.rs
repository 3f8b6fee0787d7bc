//! [`AuthorizationCodes`]: one-time authorization codes (256 random bits,
//! kept as SHA-256 in the shared key-value store). A code is valid for a
//! minute; its record is kept ten minutes so that a second use is
//! recognised: the second use fails and ends the grant the first one
//! opened, which revokes every token issued from it (RFC 6749 §4.1.2).

use std::time::Duration;

use caas_core::{Error, KvKey, Namespace, Result, SharedClock, SharedKvStore, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::OAuthError;
use crate::opaque;

/// How long a code may be redeemed.
pub const CODE_TTL: Duration = Duration::from_secs(60);
/// How long a code's record is kept to recognise reuse.
const RECORD_TTL: Duration = Duration::from_secs(600);

/// What a code was issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    /// The client.
    pub client_id: String,
    /// The exact redirect URI of the request.
    pub redirect_uri: String,
    /// The user (or the guest's `guest:…` id).
    pub user_id: String,
    /// A guest, not a user.
    #[serde(default)]
    pub guest: bool,
    /// The browser session at the provider (the ID token's `sid`).
    pub browser_session: Uuid,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Requested audiences (`resource`).
    pub audience: Vec<String>,
    /// The request's `nonce`.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// When the user authenticated (unix seconds).
    pub auth_time: i64,
    /// How (`pwd`, `otp`, `mfa`, `fed`).
    pub amr: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    grant: CodeGrant,
    expires_at: Timestamp,
    /// The grant session the first redemption opened.
    redeemed: Option<Uuid>,
    /// A second redemption was attempted.
    #[serde(default)]
    reused: bool,
}

/// What redeeming a code gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// The first use: the grant.
    Fresh(Box<CodeGrant>),
    /// A second use: the grant session the first use opened, to be ended.
    Reused(Uuid),
}

/// Authorization codes of every tenant.
#[derive(Debug, Clone)]
pub struct AuthorizationCodes {
    kv: SharedKvStore,
    clock: SharedClock,
}

fn key(tenant: &TenantId, code: &str) -> Result<KvKey> {
    Namespace::Tenant(*tenant).key(&format!("oauth:code:{}", opaque::digest(code)))
}

fn invalid_grant(message: &'static str) -> Error {
    OAuthError::invalid_grant(message).into()
}

impl AuthorizationCodes {
    /// Codes in `kv`.
    pub fn new(kv: SharedKvStore, clock: SharedClock) -> Self {
        AuthorizationCodes { kv, clock }
    }

    /// Issues a code for `grant`.
    pub async fn issue(&self, tenant: &TenantId, grant: CodeGrant) -> Result<String> {
        let code = opaque::token("");
        let record = Record {
            grant,
            expires_at: self.clock.now().saturating_add(CODE_TTL),
            redeemed: None,
            reused: false,
        };
        self.kv
            .set(
                &key(tenant, &code)?,
                &serde_json::to_vec(&record)?,
                Some(RECORD_TTL),
            )
            .await?;
        Ok(code)
    }

    /// Redeems `code` for the grant session id `session` (chosen by the
    /// caller before it opens the session). Unknown and expired codes are
    /// `invalid_grant`; a second use is [`Redeemed::Reused`] and is recorded,
    /// so that the first redemption, if still issuing its tokens, sees it
    /// with [`AuthorizationCodes::was_reused`] — whichever finishes last
    /// ends the grant.
    pub async fn redeem(&self, tenant: &TenantId, code: &str, session: Uuid) -> Result<Redeemed> {
        if code.len() != 43 {
            return Err(invalid_grant("the authorization code is unknown"));
        }
        let key = key(tenant, code)?;
        let Some(stored) = self.kv.get(&key).await? else {
            return Err(invalid_grant(
                "the authorization code is unknown or expired",
            ));
        };
        let record: Record = serde_json::from_slice(&stored)
            .map_err(|_| Error::internal("a stored authorization code is not JSON"))?;
        if let Some(first) = record.redeemed {
            self.mark_reused(&key, record).await?;
            return Ok(Redeemed::Reused(first));
        }
        if self.clock.now() >= record.expires_at {
            return Err(invalid_grant("the authorization code expired"));
        }
        let used = Record {
            redeemed: Some(session),
            ..record.clone()
        };
        let won = self
            .kv
            .compare_and_set(
                &key,
                Some(&stored),
                &serde_json::to_vec(&used)?,
                Some(RECORD_TTL),
            )
            .await?;
        if won {
            return Ok(Redeemed::Fresh(Box::new(record.grant)));
        }
        // Another redemption won the race: this one is the reuse.
        let now: Option<Record> = self
            .kv
            .get(&key)
            .await?
            .and_then(|b| serde_json::from_slice(&b).ok());
        match now {
            Some(r) if r.redeemed.is_some() => {
                let first = r.redeemed;
                self.mark_reused(&key, r).await?;
                first
                    .map(Redeemed::Reused)
                    .ok_or_else(|| invalid_grant("the authorization code is unknown"))
            }
            _ => Err(invalid_grant("the authorization code is unknown")),
        }
    }

    async fn mark_reused(&self, key: &KvKey, record: Record) -> Result<()> {
        // Only ever false → true after the code was redeemed: a plain write is enough.
        let marked = Record {
            reused: true,
            ..record
        };
        self.kv
            .set(key, &serde_json::to_vec(&marked)?, Some(RECORD_TTL))
            .await
    }

    /// Whether a second use of `code` was attempted.
    pub async fn was_reused(&self, tenant: &TenantId, code: &str) -> Result<bool> {
        let Some(stored) = self.kv.get(&key(tenant, code)?).await? else {
            return Ok(false);
        };
        let record: Record = serde_json::from_slice(&stored)
            .map_err(|_| Error::internal("a stored authorization code is not JSON"))?;
        Ok(record.reused)
    }
}
