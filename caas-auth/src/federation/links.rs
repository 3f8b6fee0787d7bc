//! [`FederatedLinks`]: which upstream account (provider + subject) is which
//! user of the tenant.

use caas_core::sql::{FromRow, Row, Scalar, query};
use caas_core::{Db, Result, SharedClock, TenantId, Timestamp};
use serde::Serialize;

/// A link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FederatedLink {
    /// The provider.
    pub provider_id: String,
    /// The upstream subject.
    pub subject: String,
    /// The user.
    pub user_id: String,
    /// The upstream email at the last login.
    pub email: Option<String>,
    /// Linked.
    pub created_at: Timestamp,
    /// The last login through it.
    pub last_login_at: Timestamp,
}

impl FromRow for FederatedLink {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        Ok(FederatedLink {
            provider_id: row.get("provider_id")?,
            subject: row.get("subject")?,
            user_id: row.get("user_id")?,
            email: row.get("email")?,
            created_at: row.timestamp("created_at")?,
            last_login_at: row.timestamp("last_login_at")?,
        })
    }
}

/// Links of every tenant.
#[derive(Debug, Clone)]
pub struct FederatedLinks {
    db: Db,
    clock: SharedClock,
}

impl FederatedLinks {
    /// Links in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        FederatedLinks { db, clock }
    }

    /// The user linked to `subject` at `provider`, touching the link.
    pub async fn user_of(
        &self,
        tenant: &TenantId,
        provider: &str,
        subject: &str,
        email: Option<&str>,
    ) -> Result<Option<String>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let user: Option<Scalar<String>> = query(
            "SELECT user_id FROM auth_federated_links \
             WHERE tenant_id = $1 AND provider_id = $2 AND subject = $3",
        )
        .bind(tenant)
        .bind(provider)
        .bind(subject)
        .fetch_optional(&mut tx)
        .await?;
        if user.is_some() {
            query(
                "UPDATE auth_federated_links SET last_login_at = $4, email = $5 \
                 WHERE tenant_id = $1 AND provider_id = $2 AND subject = $3",
            )
            .bind(tenant)
            .bind(provider)
            .bind(subject)
            .bind(self.clock.now())
            .bind(email)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(user.map(|u| u.0))
    }

    /// Links `subject` at `provider` to `user`.
    pub async fn link(
        &self,
        tenant: &TenantId,
        provider: &str,
        subject: &str,
        user: &str,
        email: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "INSERT INTO auth_federated_links \
             (tenant_id, provider_id, subject, user_id, email, created_at, last_login_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(tenant)
        .bind(provider)
        .bind(subject)
        .bind(user)
        .bind(email)
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    /// The links of `user`.
    pub async fn of_user(&self, tenant: &TenantId, user: &str) -> Result<Vec<FederatedLink>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let links = query(
            "SELECT provider_id, subject, user_id, email, created_at, last_login_at \
             FROM auth_federated_links WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at",
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(links)
    }
}
