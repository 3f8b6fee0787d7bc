//! A user's life as the tenant's administrators and the user see it:
//! creation and self sign-up, changes (details, status, password, MFA
//! reset), TOTP enrollment and removal, deletion — each announced as a
//! tenant event (`user.*`, `auth.mfa_*`) with ids only, never secrets.

use caas_core::{Error, Outcome, Result, SecretString, Tenant};
use uuid::Uuid;

use crate::service::Auth;
use crate::sessions::EndReason;
use crate::settings::AuthSettings;
use crate::users::{NewUser, User, UserStatus, UserUpdate};

/// A change to a user by an administrator (`PATCH /v1/users/{id}`).
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// Details and status (locking or disabling ends every credential).
    pub update: UserUpdate,
    /// A new password (the policy applies; every session ends).
    pub password: Option<SecretString>,
    /// Remove the user's authenticator and backup codes.
    pub reset_mfa: bool,
}

impl UserChange {
    /// The names of what the change touches, for events and the audit log.
    pub fn fields(&self) -> Vec<&'static str> {
        let u = &self.update;
        [
            u.email.as_ref().map(|_| "email"),
            u.username.as_ref().map(|_| "username"),
            u.display_name.as_ref().map(|_| "display_name"),
            u.status.map(|_| "status"),
            u.attributes.as_ref().map(|_| "attributes"),
            self.password.as_ref().map(|_| "password"),
            self.reset_mfa.then_some("mfa"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl Auth {
    /// Publishes a tenant event (best effort: the change is committed).
    pub(crate) async fn announce(
        &self,
        tenant: &Tenant,
        event_type: &str,
        data: serde_json::Value,
    ) {
        self.parts()
            .tokens
            .revocations()
            .announce(&tenant.id, event_type, data)
            .await;
    }

    /// The user with id `id` (any status); a malformed or unknown id is 404.
    pub async fn user(&self, tenant: &Tenant, id: &str) -> Result<User> {
        let missing = || {
            Error::not_found(format!(
                "user `{}` not found",
                id.chars().take(64).collect::<String>()
            ))
        };
        let id: Uuid = id.parse().map_err(|_| missing())?;
        self.parts()
            .users
            .get(&tenant.id, id)
            .await?
            .ok_or_else(missing)
    }

    /// Creates a user with an optional password (checked by the policy);
    /// announces `user.created`.
    pub async fn create_user(
        &self,
        tenant: &Tenant,
        user: &NewUser,
        password: Option<&SecretString>,
    ) -> Result<User> {
        let p = self.parts();
        let hash = match password {
            Some(pw) => {
                let ids: Vec<&str> = [user.email.as_deref(), user.username.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                p.policy.check(pw.expose(), &ids)?;
                Some(p.hasher.hash(pw.expose())?)
            }
            None => None,
        };
        let created = p.users.create(&tenant.id, user, hash.as_deref()).await?;
        self.announce(
            tenant,
            "user.created",
            serde_json::json!({ "user_id": created.id, "status": created.status.as_str() }),
        )
        .await;
        Ok(created)
    }

    /// Self sign-up, when the tenant allows it (403 otherwise).
    pub async fn register(
        &self,
        tenant: &Tenant,
        user: &NewUser,
        password: &SecretString,
    ) -> Result<User> {
        if !AuthSettings::of(&tenant.settings)?.allow_registration {
            return Err(Error::forbidden("this tenant does not allow sign-up")
                .with_code("registration_closed"));
        }
        self.create_user(tenant, user, Some(password)).await
    }

    /// Sets a user's password (checked by the policy); ends every session of the user.
    pub async fn set_password(
        &self,
        tenant: &Tenant,
        user: &User,
        password: &SecretString,
    ) -> Result<()> {
        let p = self.parts();
        let ids: Vec<&str> = [user.email.as_deref(), user.username.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        p.policy.check(password.expose(), &ids)?;
        let hash = p.hasher.hash(password.expose())?;
        p.users
            .set_password_hash(&tenant.id, user.id, Some(&hash))
            .await?;
        p.sessions
            .end_all(
                &tenant.id,
                &user.id.to_string(),
                None,
                EndReason::Terminated,
            )
            .await?;
        Ok(())
    }

    /// Changes user `id` as `actor` (an administrator): every check runs
    /// before any change, so bad input changes nothing. Locking or disabling
    /// ends every credential of the user. Security-relevant changes are
    /// audited; `user.updated` (and `user.locked` when locked) is announced.
    pub async fn update_user(
        &self,
        tenant: &Tenant,
        actor: &str,
        id: &str,
        change: &UserChange,
    ) -> Result<User> {
        let p = self.parts();
        let current = self.user(tenant, id).await?;
        if let Some(password) = &change.password {
            let email = change.update.email.as_deref().or(current.email.as_deref());
            let username = change
                .update
                .username
                .as_deref()
                .or(current.username.as_deref());
            let ids: Vec<&str> = [email, username].into_iter().flatten().collect();
            p.policy.check(password.expose(), &ids)?;
        }
        let changed = p
            .users
            .update(&tenant.id, current.id, &change.update)
            .await?;
        let user_id = changed.id.to_string();
        if let Some(password) = &change.password {
            self.set_password(tenant, &changed, password).await?;
        }
        if change.reset_mfa {
            p.mfa.remove(&tenant.id, &user_id).await?;
        }
        let status = change.update.status;
        if matches!(status, Some(UserStatus::Locked | UserStatus::Disabled)) {
            self.cut_off(tenant, &user_id).await?;
        }
        let security: Vec<&str> = [
            status.map(UserStatus::as_str),
            change.password.as_ref().map(|_| "password_set"),
            change.reset_mfa.then_some("mfa_reset"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !security.is_empty() {
            let event = self
                .event("auth.user_changed", Outcome::Success)
                .actor(actor)
                .target(user_id.as_str())
                .details(serde_json::json!({ "changes": security }));
            self.audit(tenant, event).await?;
        }
        let fields = change.fields();
        if !fields.is_empty() {
            self.announce(
                tenant,
                "user.updated",
                serde_json::json!({
                    "user_id": changed.id, "changed": fields, "status": changed.status.as_str(),
                }),
            )
            .await;
        }
        if status == Some(UserStatus::Locked) && current.status != UserStatus::Locked {
            self.announce(
                tenant,
                "user.locked",
                serde_json::json!({ "user_id": changed.id }),
            )
            .await;
        }
        self.user(tenant, id).await
    }

    /// Deletes user `id`: every credential ends first, then the
    /// authenticator and the account; announces `user.deleted`.
    pub async fn delete_user(&self, tenant: &Tenant, id: &str) -> Result<()> {
        let p = self.parts();
        let target = self.user(tenant, id).await?;
        let user_id = target.id.to_string();
        self.cut_off(tenant, &user_id).await?;
        p.mfa.remove(&tenant.id, &user_id).await?;
        p.users.delete(&tenant.id, target.id).await?;
        self.announce(
            tenant,
            "user.deleted",
            serde_json::json!({ "user_id": target.id }),
        )
        .await;
        Ok(())
    }

    /// Confirms `user`'s TOTP enrollment with a current code; answers the
    /// backup codes (shown once) and announces `auth.mfa_enrolled`.
    pub async fn confirm_totp(
        &self,
        tenant: &Tenant,
        user: &str,
        code: &str,
    ) -> Result<Vec<SecretString>> {
        let codes = self.parts().mfa.confirm(&tenant.id, user, code).await?;
        self.announce(
            tenant,
            "auth.mfa_enrolled",
            serde_json::json!({ "user_id": user, "factor": "totp" }),
        )
        .await;
        Ok(codes)
    }

    /// Removes `user`'s authenticator and backup codes; announces
    /// `auth.mfa_removed`.
    pub async fn remove_totp(&self, tenant: &Tenant, user: &str) -> Result<()> {
        self.parts().mfa.remove(&tenant.id, user).await?;
        self.announce(
            tenant,
            "auth.mfa_removed",
            serde_json::json!({ "user_id": user, "factor": "totp" }),
        )
        .await;
        Ok(())
    }
}
