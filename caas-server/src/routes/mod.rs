//! Routes. Handlers parse, call one library function, and serialize.
//!
//! Every route is registered through [`api`]: each area exports
//! `routes(Routes) -> Routes` beside its handlers, adding each operation
//! with `utoipa_axum::routes!` (the handler's `#[utoipa::path]` annotation
//! is its route, so an undocumented route does not compile in) together
//! with the access check it requires ([`Routes::add`]).

pub mod admin_keys;
pub mod admin_tenants;
pub mod audit;
pub mod auth;
pub mod authz;
mod declare;
pub mod e2e;
pub mod games;
pub mod health;
pub mod metrics;
pub mod oidc;
pub mod privacy;
pub mod root;
pub mod tenant;
pub mod views;
pub mod webhooks;

use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::routes;

pub use self::declare::{AccessTable, Routes};
use self::declare::{PlatformAdmin, Public};

/// Every route, with its OpenAPI description and its access check.
pub fn api() -> Routes {
    let r = Routes::new(base())
        .add(Public, routes!(root::index))
        .add(Public, routes!(health::health))
        .add(Public, routes!(health::ready))
        .add(Public, routes!(metrics::metrics))
        .add(
            PlatformAdmin,
            routes!(admin_tenants::create, admin_tenants::list),
        )
        .add(
            PlatformAdmin,
            routes!(
                admin_tenants::get,
                admin_tenants::patch,
                admin_tenants::delete
            ),
        )
        .add(PlatformAdmin, routes!(admin_keys::rotate))
        .add(PlatformAdmin, routes!(admin_keys::rotations));
    let r = tenant::routes(r);
    let r = webhooks::routes(r);
    let r = e2e::routes(r);
    let r = auth::routes(r);
    let r = oidc::routes(r);
    let r = games::routes(r);
    let r = authz::routes(r);
    let r = privacy::routes(r);
    audit::routes(r)
}

/// The document's header: title, version, security schemes, tags.
fn base() -> OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder, tag::TagBuilder};
    let mut components = utoipa::openapi::Components::new();
    components.add_security_scheme(
        "admin_key",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("The platform admin key (`caas_admin_…`)"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "Credentials of the tenant (tokens and API keys), or the platform admin key",
                ))
                .build(),
        ),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("CAAS")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Multi-tenant security and platform API. Every error is RFC 9457 \
                     problem+json with a stable `code` and the `request_id`.",
                ))
                .build(),
        )
        .components(Some(components))
        .tags(Some([
            TagBuilder::new()
                .name("operations")
                .description(Some("Health, readiness, metrics"))
                .build(),
            TagBuilder::new()
                .name("admin")
                .description(Some("The platform admin's tenant registry"))
                .build(),
            TagBuilder::new()
                .name("tenant")
                .description(Some("The request's tenant"))
                .build(),
            TagBuilder::new()
                .name("webhooks")
                .description(Some("Signed event delivery to tenant endpoints"))
                .build(),
            TagBuilder::new()
                .name("auth")
                .description(Some(
                    "Users of a tenant: sign-up, login with MFA, tokens, sessions, the JWKS",
                ))
                .build(),
            TagBuilder::new()
                .name("oauth")
                .description(Some(
                    "The tenant's OpenID Provider, its OAuth clients and upstream identity providers",
                ))
                .build(),
            TagBuilder::new()
                .name("authz")
                .description(Some(
                    "Authorization on Cedar: decisions, policies and schema, entities, roles, \
                     access entries on resources, cross-tenant grants",
                ))
                .build(),
            TagBuilder::new()
                .name("e2e")
                .description(Some(
                    "End-to-end encryption (profile caas-e2e-v1): prekey distribution and \
                     the mailbox; the server sees public keys and ciphertext only",
                ))
                .build(),
            TagBuilder::new()
                .name("privacy")
                .description(Some(
                    "GDPR: purposes and consent, data-subject requests over every crate, \
                     legal holds, retention, breaches, records of processing",
                ))
                .build(),
            TagBuilder::new()
                .name("audit")
                .description(Some(
                    "The tamper-evident audit log: entries, signed checkpoints, inclusion \
                     and consistency proofs (RFC 6962)",
                ))
                .build(),
        ]))
        .build()
}
