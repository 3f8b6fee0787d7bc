//! `platform.tenants` and the `Tenant` every tenant-scoped call takes.

use caas::core::{NewTenant, SecretString, TenantSettings, TenantSlug, Timestamp};
use caas::{FirstAdmin, Platform};
use pyo3::prelude::*;

use crate::convert::{Data, Json};

/// A tenant, as it was when it was read: pass it to every call that acts in
/// it.
#[pyclass(module = "caas._caas", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct Tenant {
    pub(crate) inner: caas::core::Tenant,
}

fn iso(t: Timestamp) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[pymethods]
impl Tenant {
    /// The id (a UUID).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.to_string()
    }

    /// The slug (`acme`).
    #[getter]
    fn slug(&self) -> &str {
        self.inner.slug.as_str()
    }

    /// The display name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// `active`, `suspended` or `deleted`.
    #[getter]
    fn status(&self) -> PyResult<String> {
        Ok(serde_json::to_value(self.inner.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default())
    }

    /// The settings document.
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::convert::to_py(py, &self.inner.settings)
    }

    /// When it was created (RFC 3339).
    #[getter]
    fn created_at(&self) -> String {
        iso(self.inner.created_at)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Tenant>()
            .is_ok_and(|o| o.get().inner.id == self.inner.id)
    }

    fn __hash__(&self) -> u64 {
        self.inner.id.as_uuid().as_u64_pair().0
    }

    fn __repr__(&self) -> String {
        format!(
            "Tenant(slug={:?}, id={:?})",
            self.inner.slug.as_str(),
            self.inner.id.to_string()
        )
    }
}

/// The tenant `key` names: a UUID, else a slug.
pub(crate) async fn find(platform: &Platform, key: &str) -> caas::core::Result<caas::core::Tenant> {
    let found = match key.parse() {
        Ok(id) => platform.tenants.get(&id).await?,
        Err(_) => match TenantSlug::parse(key) {
            Ok(slug) => platform.tenants.get_by_slug(&slug).await?,
            Err(_) => None,
        },
    };
    found.ok_or_else(|| caas::core::Error::not_found("no such tenant"))
}

/// `platform.tenants`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Tenants {
    pub(crate) platform: Platform,
}

crate::platform::methods!(Tenants {
    /// Creates a tenant (`slug`: 3–63 of a-z, 0-9, `-`), with its first
    /// administrator when `admin_email` and `admin_password` are given.
    [slug, name, *, admin_email = None, admin_password = None, settings = None]
    fn create / acreate(
        this,
        slug: String,
        name: String,
        admin_email: Option<String>,
        admin_password: Option<String>,
        settings: Option<Data<TenantSettings>>,
    ) -> Tenant {
        let slug = TenantSlug::parse(&slug).map_err(|e| e.with_field("slug"))?;
        let mut new = NewTenant::new(slug, name);
        if let Some(Data(settings)) = settings {
            new = new.with_settings(settings);
        }
        let admin = match (admin_email, admin_password) {
            (Some(email), Some(password)) => Some(FirstAdmin { email, password: SecretString::from(password) }),
            (None, None) => None,
            _ => {
                return Err(caas::core::Error::invalid_input(
                    "`admin_email` and `admin_password` go together",
                )
                .with_field("admin_password"))
            }
        };
        let inner = this.create_tenant(new, admin.as_ref()).await?;
        Ok(Tenant { inner })
    }

    /// The tenant with this id or slug; `NotFound` when there is none.
    [key]
    fn get / aget(this, key: String) -> Tenant {
        Ok(Tenant { inner: find(&this, &key).await? })
    }

    /// Every tenant, in id order (at most 1,000 at a time after `after`).
    [*, after = None, limit = 100]
    fn list / alist(this, after: Option<String>, limit: u32) -> Vec<Tenant> {
        let after = after
            .map(|a| a.parse().map_err(|_| caas::core::Error::invalid_input("`after` is not a tenant id").with_field("after")))
            .transpose()?;
        let page = caas::core::Page { after, limit };
        Ok(this.tenants.list(&page).await?.into_iter().map(|inner| Tenant { inner }).collect::<Vec<Tenant>>())
    }

    /// The tenant's settings replaced by `settings` (checked section by
    /// section, as `PATCH /v1/tenant/settings` does).
    [tenant, settings]
    fn update_settings / aupdate_settings(this, tenant: Tenant, settings: Data<TenantSettings>) -> Tenant {
        let update = caas::core::TenantUpdate { settings: Some(settings.0), ..Default::default() };
        Ok(Tenant { inner: this.update_tenant(&tenant.inner, &update).await? })
    }

    /// The tenant's settings document as JSON data.
    [tenant]
    fn settings / asettings(this, tenant: Tenant) -> Json {
        let fresh = find(&this, &tenant.inner.id.to_string()).await?;
        Ok(Json(serde_json::to_value(&fresh.settings).map_err(|e| caas::core::Error::internal(e.to_string()))?))
    }
});
