//! Wire shapes shared by several routes.

use caas_core::{Tenant, TenantSettings};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A tenant as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantView {
    /// Immutable id (UUIDv7).
    #[schema(format = Uuid)]
    pub id: String,
    /// Unique slug (`acme`); names the tenant in `X-Tenant-ID`, `/t/{slug}` and subdomains.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// `active`, `suspended` or `deleted`.
    #[schema(example = "active")]
    pub status: String,
    /// The tenant's settings.
    #[schema(value_type = caas::openapi::TenantSettingsSchema)]
    pub settings: TenantSettings,
    /// Created (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last changed (RFC 3339).
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        TenantView {
            id: t.id.to_string(),
            slug: t.slug.to_string(),
            name: t.name,
            status: t.status.to_string(),
            settings: t.settings,
            created_at: t.created_at.to_string(),
            updated_at: t.updated_at.to_string(),
        }
    }
}

/// Keyset pagination: pass the last id of one page as `after` for the next.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Return items after this id.
    pub after: Option<String>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

impl PageParams {
    /// The limit, defaulted and checked.
    pub fn limit(&self) -> caas_core::Result<u32> {
        match self.limit {
            None => Ok(100),
            Some(n) if (1..=1000).contains(&n) => Ok(n),
            Some(_) => {
                Err(caas_core::Error::invalid_input("`limit` must be 1 to 1000")
                    .with_field("limit"))
            }
        }
    }
}

impl PageParams {
    /// `after` as an id (400 naming `after` otherwise).
    pub fn after_id(&self) -> caas_core::Result<Option<uuid::Uuid>> {
        self.after
            .as_deref()
            .map(|a| {
                a.parse::<uuid::Uuid>().map_err(|_| {
                    caas_core::Error::invalid_input("`after` is not an id").with_field("after")
                })
            })
            .transpose()
    }
}

impl<T: ToSchema> ListResponse<T> {
    /// A page of `items` fetched with `limit`: a full page has a cursor (the
    /// last item's id).
    pub fn paged(items: Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> Self {
        let next_after = (items.len() == limit as usize)
            .then(|| items.last().map(&id))
            .flatten();
        ListResponse { items, next_after }
    }
}

/// A page of items and the cursor of the next page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}
