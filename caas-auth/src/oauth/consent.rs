//! [`Consents`]: what a user allowed a third-party client, remembered per
//! user, client and scopes, so the consent screen is shown again only when
//! a client asks for more.

use std::collections::BTreeSet;

use caas_core::sql::{Scalar, query};
use caas_core::{Db, Result, SharedClock, TenantId};

/// Remembered consents of every tenant.
#[derive(Debug, Clone)]
pub struct Consents {
    db: Db,
    clock: SharedClock,
}

impl Consents {
    /// Consents in `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Consents { db, clock }
    }

    /// The scopes `user` allowed `client` (empty when none).
    pub async fn granted(
        &self,
        tenant: &TenantId,
        user: &str,
        client: &str,
    ) -> Result<BTreeSet<String>> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        let scopes: Option<Scalar<String>> = query(
            "SELECT scopes FROM auth_oauth_consents \
             WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(client)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(scopes
            .map(|s| s.0)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect())
    }

    /// Whether `user` already allowed `client` every scope of `scopes`.
    pub async fn covers(
        &self,
        tenant: &TenantId,
        user: &str,
        client: &str,
        scopes: &[String],
    ) -> Result<bool> {
        let granted = self.granted(tenant, user, client).await?;
        Ok(scopes.iter().all(|s| granted.contains(s)))
    }

    /// Records that `user` allowed `client` `scopes` (added to what was allowed).
    pub async fn grant(
        &self,
        tenant: &TenantId,
        user: &str,
        client: &str,
        scopes: &[String],
    ) -> Result<()> {
        let mut all = self.granted(tenant, user, client).await?;
        all.extend(scopes.iter().cloned());
        let joined = all.into_iter().collect::<Vec<_>>().join(" ");
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "DELETE FROM auth_oauth_consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(client)
        .execute(&mut tx)
        .await?;
        query(
            "INSERT INTO auth_oauth_consents (tenant_id, user_id, client_id, scopes, granted_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(user)
        .bind(client)
        .bind(joined.as_str())
        .bind(self.clock.now())
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    /// Forgets what `user` allowed `client`.
    pub async fn revoke(&self, tenant: &TenantId, user: &str, client: &str) -> Result<()> {
        let mut tx = self.db.tenant_tx(tenant).await?;
        query(
            "DELETE FROM auth_oauth_consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(client)
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }
}
