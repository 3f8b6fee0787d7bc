//! [`AccountSource`]: caas-auth's personal data for data-subject requests —
//! the account (profile), sessions and refresh-token families, API keys,
//! MFA enrolment, OAuth consents and federated identity links. Secrets
//! (password hashes, token and key hashes, TOTP seeds) are never exported.

use std::collections::BTreeMap;

use async_trait::async_trait;
use caas_core::sql::{FromRow, Row, query};
use caas_core::{
    DataCategory, DataSubjectSource, Db, ErasureMethod, ErasureOutcome, Result, SubjectExport,
    SubjectRef, Timestamp,
};
use serde::Serialize;
use uuid::Uuid;

use crate::Auth;
use crate::federation::FederatedLink;
use crate::sessions::{EndReason, Session};

/// caas-auth's data-subject source.
#[derive(Debug, Clone)]
pub struct AccountSource {
    auth: Auth,
    db: Db,
}

impl AccountSource {
    /// The source over `auth`'s stores in `db`.
    pub fn new(auth: Auth, db: Db) -> Self {
        AccountSource { auth, db }
    }
}

#[derive(Serialize)]
struct OAuthConsent {
    client_id: String,
    scopes: String,
    granted_at: Timestamp,
}

impl FromRow for OAuthConsent {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(OAuthConsent {
            client_id: row.get("client_id")?,
            scopes: row.get("scopes")?,
            granted_at: row.timestamp("granted_at")?,
        })
    }
}

fn category(name: &str, description: &str, fields: &[&str], retention: &str) -> DataCategory {
    DataCategory {
        name: name.into(),
        description: description.into(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        retention: retention.into(),
    }
}

const SESSION_COLUMNS: &str = "SELECT tenant_id, id, user_id, kind, user_agent, client_hints, \
    ip_prefix, metadata, amr, auth_time, created_at, last_seen_at, idle_until, expires_at, \
    ended_at, ended_reason FROM auth_sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY id";

#[async_trait]
impl DataSubjectSource for AccountSource {
    fn name(&self) -> &str {
        "caas-auth.accounts"
    }

    fn categories(&self) -> Vec<DataCategory> {
        vec![
            category(
                "account",
                "the user's profile: email, username, display name, attributes, status",
                &["email", "username", "display_name", "attributes"],
                "until the account is erased",
            ),
            category(
                "sessions",
                "login sessions: device (user agent, client hints, IP prefix), times, \
                 authentication methods; refresh-token families",
                &["user_agent", "client_hints", "ip_prefix", "auth_time"],
                "until they end, then until erasure",
            ),
            category(
                "api_keys",
                "the user's API keys: names, prefixes, scopes, times (never the secret)",
                &["name", "prefix", "scopes"],
                "until deleted",
            ),
            category(
                "mfa",
                "MFA enrolment: whether TOTP is set up, backup codes left (never the seed)",
                &["totp", "backup_codes_left"],
                "until removed",
            ),
            category(
                "oauth_consents",
                "OAuth clients the user allowed, with scopes",
                &["client_id", "scopes"],
                "until revoked",
            ),
            category(
                "federated_links",
                "identities at external providers linked to the account",
                &["provider_id", "subject", "email"],
                "until unlinked",
            ),
        ]
    }

    fn tables(&self) -> Vec<&'static str> {
        vec![
            "auth_users",
            "auth_sessions",
            "auth_refresh_families",
            "auth_refresh_tokens",
            "auth_mfa_totp",
            "auth_backup_codes",
            "auth_api_keys",
            "auth_oauth_consents",
            "auth_federated_links",
        ]
    }

    async fn export(&self, subject: &SubjectRef) -> Result<SubjectExport> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let parts = self.auth.parts();
        let mut categories = BTreeMap::new();
        let account = match Uuid::parse_str(s) {
            Ok(id) => parts.users.get(t, id).await?,
            Err(_) => None,
        };
        categories.insert("account".to_owned(), serde_json::to_value(account)?);
        let mut tx = self.db.tenant_tx(t).await?;
        let sessions: Vec<Session> = query(SESSION_COLUMNS)
            .bind(t)
            .bind(s)
            .fetch_all(&mut tx)
            .await?;
        let consents: Vec<OAuthConsent> = query(
            "SELECT client_id, scopes, granted_at FROM auth_oauth_consents \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY client_id",
        )
        .bind(t)
        .bind(s)
        .fetch_all(&mut tx)
        .await?;
        let links: Vec<FederatedLink> = query(
            "SELECT provider_id, subject, user_id, email, created_at, last_login_at \
             FROM auth_federated_links WHERE tenant_id = $1 AND user_id = $2 ORDER BY provider_id",
        )
        .bind(t)
        .bind(s)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        categories.insert("sessions".to_owned(), serde_json::to_value(sessions)?);
        categories.insert(
            "api_keys".to_owned(),
            serde_json::to_value(parts.api_keys.list(t, Some(s)).await?)?,
        );
        categories.insert(
            "mfa".to_owned(),
            serde_json::to_value(parts.mfa.status(t, s).await?)?,
        );
        categories.insert("oauth_consents".to_owned(), serde_json::to_value(consents)?);
        categories.insert("federated_links".to_owned(), serde_json::to_value(links)?);
        Ok(SubjectExport {
            source: self.name().to_owned(),
            categories,
        })
    }

    async fn erase(&self, subject: &SubjectRef, method: ErasureMethod) -> Result<ErasureOutcome> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let parts = self.auth.parts();
        // Revoke first: every session's tokens stop working now.
        parts
            .sessions
            .end_all(t, s, None, EndReason::Terminated)
            .await?;
        let mut records = 0;
        for key in parts.api_keys.list(t, Some(s)).await? {
            parts.api_keys.delete(t, key.id).await?;
            records += 1;
        }
        let mfa = parts.mfa.status(t, s).await?;
        if mfa.totp || mfa.backup_codes_left > 0 {
            records += 1;
        }
        parts.mfa.remove(t, s).await?;
        let mut tx = self.db.tenant_tx(t).await?;
        for sql in [
            "DELETE FROM auth_refresh_tokens WHERE tenant_id = $1 AND family_id IN \
             (SELECT id FROM auth_refresh_families WHERE tenant_id = $1 AND user_id = $2)",
            "DELETE FROM auth_refresh_families WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM auth_sessions WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM auth_oauth_consents WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM auth_federated_links WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM auth_mfa_totp WHERE tenant_id = $1 AND user_id = $2",
            "DELETE FROM auth_backup_codes WHERE tenant_id = $1 AND user_id = $2",
        ] {
            records += query(sql).bind(t).bind(s).execute(&mut tx).await?;
        }
        let user = match method {
            ErasureMethod::Delete => {
                query("DELETE FROM auth_users WHERE tenant_id = $1 AND id = $2")
                    .bind(t)
                    .bind(s)
                    .execute(&mut tx)
                    .await?
            }
            ErasureMethod::Anonymize => {
                query(
                    "UPDATE auth_users SET email = NULL, email_key = NULL, username = NULL, \
                     username_key = NULL, display_name = 'erased user', attributes = '{}', \
                     password_hash = NULL, status = 'disabled', updated_at = $3 \
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(t)
                .bind(s)
                .bind(parts.clock.now())
                .execute(&mut tx)
                .await?
            }
        };
        tx.commit().await?;
        Ok(ErasureOutcome {
            records: records + user,
            retained: Vec::new(),
        })
    }

    /// Restriction ends the user's sessions and disables the account (its
    /// data is kept, not used); lifting it activates the account again.
    async fn restrict(&self, subject: &SubjectRef, restricted: bool) -> Result<()> {
        let (t, s) = (&subject.tenant, subject.subject.as_str());
        let parts = self.auth.parts();
        if restricted {
            parts
                .sessions
                .end_all(t, s, None, EndReason::Terminated)
                .await?;
        }
        let (to, from) = if restricted {
            ("disabled", "active")
        } else {
            ("active", "disabled")
        };
        let mut tx = self.db.tenant_tx(t).await?;
        query("UPDATE auth_users SET status = $3, updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = $4")
            .bind(t)
            .bind(s)
            .bind(to)
            .bind(from)
            .bind(parts.clock.now())
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }
}
