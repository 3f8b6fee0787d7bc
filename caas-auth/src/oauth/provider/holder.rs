//! Whom the provider's tokens are for — a `Holder` (an active user of
//! the tenant, or a guest), the `Grant` a refresh-token family carries —
//! and what the provider tells about them: their claims by scope
//! (`profile`, `email`) and the userinfo endpoint (OIDC Core §5.3).

use caas_core::{Error, PrincipalKind, Result, Tenant};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::Provider;
use crate::users::{User, UserStatus};

/// The grant a refresh-token family carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Grant {
    pub(super) scopes: Vec<String>,
    pub(super) audience: Vec<String>,
    pub(super) auth_time: i64,
    pub(super) amr: Vec<String>,
    pub(super) browser_session: Option<Uuid>,
    /// The client's refresh-token lifetime, when it sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) refresh_ttl_secs: Option<u64>,
}

/// Who a grant is for: a user of the tenant, or a guest (no account).
#[derive(Debug, Clone)]
pub(super) enum Holder {
    User(Box<User>),
    Guest(String),
}

impl Holder {
    pub(super) fn subject(&self) -> String {
        match self {
            Holder::User(u) => u.id.to_string(),
            Holder::Guest(g) => g.clone(),
        }
    }

    pub(super) fn kind(&self) -> PrincipalKind {
        match self {
            Holder::User(_) => PrincipalKind::User,
            Holder::Guest(_) => PrincipalKind::Guest,
        }
    }

    /// Profile and email claims for `scopes` (none for guests).
    pub(super) fn claims(&self, scopes: &[String]) -> Map<String, Value> {
        match self {
            Holder::User(u) => user_claims(u, scopes),
            Holder::Guest(_) => Map::new(),
        }
    }
}

impl Provider {
    /// The holder of a session or grant: an active user, or a guest.
    pub(super) async fn holder(
        &self,
        tenant: &Tenant,
        kind: PrincipalKind,
        id: &str,
    ) -> Result<Option<Holder>> {
        match kind {
            PrincipalKind::User => Ok(self
                .active_user(tenant, id)
                .await?
                .map(|u| Holder::User(Box::new(u)))),
            PrincipalKind::Guest if id.starts_with("guest:") => {
                Ok(Some(Holder::Guest(id.to_owned())))
            }
            _ => Ok(None),
        }
    }

    pub(super) async fn active_user(&self, tenant: &Tenant, id: &str) -> Result<Option<User>> {
        let Ok(id) = id.parse::<Uuid>() else {
            return Ok(None);
        };
        Ok(self
            .auth
            .parts()
            .users
            .get(&tenant.id, id)
            .await?
            .filter(|u| u.status == UserStatus::Active))
    }

    /// OIDC userinfo for an access token with the `openid` scope (401
    /// `invalid_token` otherwise).
    pub async fn userinfo(&self, tenant: &Tenant, access_token: &str) -> Result<Value> {
        let p = self.auth.parts();
        let claims = p.tokens.verify_any_audience(access_token, tenant).await?;
        let scopes: Vec<String> = claims.scope.split_whitespace().map(str::to_owned).collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(Error::invalid_token(
                "the access token was not issued with the `openid` scope",
            ));
        }
        let Some(holder) = self.holder(tenant, claims.kind, &claims.sub).await? else {
            return Err(Error::invalid_token("the user is no longer active"));
        };
        let mut out = Map::new();
        out.insert("sub".into(), json!(holder.subject()));
        out.extend(holder.claims(&scopes));
        Ok(Value::Object(out))
    }
}

/// The user's claims for `scopes` (`profile`, `email`).
fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    if scopes.iter().any(|s| s == "profile") {
        out.insert("name".into(), json!(user.display_name));
        if let Some(u) = &user.username {
            out.insert("preferred_username".into(), json!(u));
        }
        out.insert("updated_at".into(), json!(user.updated_at.as_secs()));
    }
    if scopes.iter().any(|s| s == "email")
        && let Some(email) = &user.email
    {
        out.insert("email".into(), json!(email));
        let verified = user
            .attributes
            .get("email_verified")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.insert("email_verified".into(), json!(verified));
    }
    out
}
