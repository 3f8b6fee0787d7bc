//! A tenant's life on the platform: creation with its key material and
//! first administrator, changes, suspension and resumption, deletion —
//! each one call, each announced as a `tenant.*` event.

use caas_auth::users::NewUser;
use caas_core::{
    Error, NewTenant, Result, SecretString, TENANT_ADMIN_ROLE, Tenant, TenantSettings,
    TenantStatus, TenantUpdate,
};

use crate::Platform;

/// The sections of `TenantSettings::extensions` that a crate reads.
pub const SETTINGS_SECTIONS: &[&str] = &[
    caas_auth::AuthSettings::SECTION,
    caas_core::Branding::SECTION,
];

/// A new tenant's first administrator: a user holding the role `admin`.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    /// Email (the login).
    pub email: String,
    /// Password (the tenant's password policy applies).
    pub password: SecretString,
}

impl Platform {
    /// Checks the crates' sections of `settings` (`extensions.auth`, …):
    /// a section no crate reads is refused (a misspelt one would otherwise
    /// be stored and silently ignored), and each known one must read as its
    /// crate's type with unknown keys refused. The tenant store checks the rest.
    pub fn check_settings(&self, settings: &TenantSettings) -> Result<()> {
        for name in settings.extensions.keys() {
            if !SETTINGS_SECTIONS.contains(&name.as_str()) {
                return Err(Error::invalid_input(format!(
                    "`{}` is not a settings section; the sections are: {}",
                    caas_core::validate::truncate(name),
                    SETTINGS_SECTIONS.join(", ")
                ))
                .with_field(format!("settings.extensions.{name}")));
            }
        }
        caas_auth::AuthSettings::check(settings)?;
        caas_core::Branding::check(settings)
    }

    /// Creates a tenant, provisions it (its tenant key, then its signing
    /// key) and, when given, its first administrator; announces
    /// `tenant.created`. Every input is checked before anything is created.
    /// If provisioning fails the tenant stays, suspended, and the error is
    /// returned; resuming it provisions again.
    pub async fn create_tenant(
        &self,
        new: NewTenant,
        admin: Option<&FirstAdmin>,
    ) -> Result<Tenant> {
        self.check_settings(&new.settings)?;
        if let Some(admin) = admin {
            caas_auth::users::check_email(&admin.email).map_err(|e| e.with_field("admin.email"))?;
            self.auth
                .parts()
                .policy
                .check(admin.password.expose(), &[&admin.email])
                .map_err(|e| e.with_field("admin.password"))?;
        }
        let tenant = self.tenants.create(new).await?;
        if let Err(e) = self.provisioners.provision(&tenant).await {
            self.tenants
                .set_status(&tenant.id, TenantStatus::Suspended)
                .await?;
            return Err(e);
        }
        if let Some(admin) = admin {
            let mut attributes = serde_json::Map::new();
            attributes.insert("roles".into(), serde_json::json!([TENANT_ADMIN_ROLE]));
            let user = NewUser {
                email: Some(admin.email.clone()),
                attributes,
                ..NewUser::default()
            };
            self.auth
                .create_user(&tenant, &user, Some(&admin.password))
                .await?;
        }
        tracing::info!(tenant = %tenant.slug, "tenant created");
        self.publish(
            &tenant,
            "tenant.created",
            serde_json::json!({ "slug": tenant.slug }),
        )
        .await;
        Ok(tenant)
    }

    /// Renames the tenant and/or replaces its settings; announces
    /// `tenant.updated` with what changed. A deleted tenant is a conflict.
    pub async fn update_tenant(&self, tenant: &Tenant, update: &TenantUpdate) -> Result<Tenant> {
        if let Some(settings) = &update.settings {
            self.check_settings(settings)?;
        }
        let changed: Vec<&str> = [
            update.name.as_ref().map(|_| "name"),
            update.settings.as_ref().map(|_| "settings"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let tenant = self.tenants.update(&tenant.id, update).await?;
        if !changed.is_empty() {
            self.publish(
                &tenant,
                "tenant.updated",
                serde_json::json!({ "slug": tenant.slug, "changed": changed }),
            )
            .await;
        }
        Ok(tenant)
    }

    /// Suspends (`Suspended`) or resumes (`Active`) the tenant; resuming
    /// runs every provisioner again first. Announces `tenant.suspended` or
    /// `tenant.resumed`; the same status again changes nothing. Deleting is
    /// [`Platform::delete_tenant`].
    pub async fn set_tenant_status(&self, tenant: &Tenant, status: TenantStatus) -> Result<Tenant> {
        let event = match status {
            TenantStatus::Active => "tenant.resumed",
            TenantStatus::Suspended => "tenant.suspended",
            TenantStatus::Deleted => {
                return Err(
                    Error::invalid_input("delete a tenant with `DELETE`").with_field("status")
                );
            }
        };
        if status == tenant.status {
            return Ok(tenant.clone());
        }
        tenant.status.check_transition(status)?;
        if status == TenantStatus::Active {
            // Resuming retries whatever provisioning a failed creation left undone.
            self.provisioners.provision(tenant).await?;
        }
        let tenant = self.tenants.set_status(&tenant.id, status).await?;
        self.publish(&tenant, event, serde_json::json!({ "slug": tenant.slug }))
            .await;
        Ok(tenant)
    }

    /// Deletes the tenant: it stops serving at once, its slug stays
    /// reserved. Announces `tenant.deleted`; deleting again changes nothing.
    pub async fn delete_tenant(&self, tenant: &Tenant) -> Result<Tenant> {
        if tenant.status == TenantStatus::Deleted {
            return Ok(tenant.clone());
        }
        let tenant = self
            .tenants
            .set_status(&tenant.id, TenantStatus::Deleted)
            .await?;
        self.publish(
            &tenant,
            "tenant.deleted",
            serde_json::json!({ "slug": tenant.slug }),
        )
        .await;
        tracing::info!(tenant = %tenant.slug, "tenant deleted");
        Ok(tenant)
    }
}
