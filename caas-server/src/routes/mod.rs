//! Routes. Handlers parse, call one library function, and serialize.
//!
//! Every route is registered through [`api`] with `utoipa_axum::routes!`,
//! which takes the handler's `#[utoipa::path]` annotation as its route: a
//! handler without one does not compile into the router, so an undocumented
//! route cannot be added by accident. Later crates add their routers here.

pub mod admin_keys;
pub mod admin_tenants;
pub mod audit;
pub mod auth;
pub mod authz;
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
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every route, with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(base())
        .routes(routes!(root::index))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(metrics::metrics))
        .routes(routes!(admin_tenants::create, admin_tenants::list))
        .routes(routes!(
            admin_tenants::get,
            admin_tenants::patch,
            admin_tenants::delete
        ))
        .routes(routes!(admin_keys::rotate))
        .routes(routes!(admin_keys::rotations))
        .routes(routes!(tenant::get, tenant::put))
        .routes(routes!(tenant::get_settings, tenant::put_settings))
        .routes(routes!(tenant::usage))
        .routes(routes!(webhooks::event_types))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::put, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::ping))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::replay))
        .routes(routes!(e2e::keys::publish, e2e::keys::reset))
        .routes(routes!(e2e::keys::add_prekeys))
        .routes(routes!(e2e::keys::count))
        .routes(routes!(e2e::keys::bundles))
        .routes(routes!(e2e::messages::send, e2e::messages::inbox))
        .routes(routes!(e2e::messages::ack))
        .routes(routes!(auth::signing_keys::jwks))
        .routes(routes!(auth::signing_keys::rotate))
        .routes(routes!(auth::login::register))
        .routes(routes!(auth::login::login))
        .routes(routes!(auth::login::verify_mfa))
        .routes(routes!(auth::login::refresh))
        .routes(routes!(auth::login::logout))
        .routes(routes!(auth::login::guest))
        .routes(routes!(auth::login::me))
        .routes(routes!(auth::login::sdk_token))
        .routes(routes!(auth::sessions::list))
        .routes(routes!(auth::sessions::end))
        .routes(routes!(auth::mfa::enroll, auth::mfa::remove))
        .routes(routes!(auth::mfa::confirm))
        .routes(routes!(auth::mfa::backup_codes))
        .routes(routes!(auth::api_keys::list, auth::api_keys::create))
        .routes(routes!(
            auth::api_keys::get,
            auth::api_keys::update,
            auth::api_keys::delete
        ))
        .routes(routes!(auth::api_keys::rotate))
        .routes(routes!(auth::tickets::issue))
        .routes(routes!(auth::tickets::redeem))
        .routes(routes!(auth::users::list, auth::users::create))
        .routes(routes!(
            auth::users::get,
            auth::users::patch,
            auth::users::delete
        ))
        .routes(routes!(
            auth::oauth_clients::list,
            auth::oauth_clients::create
        ))
        .routes(routes!(
            auth::oauth_clients::get,
            auth::oauth_clients::update,
            auth::oauth_clients::delete
        ))
        .routes(routes!(auth::oauth_clients::rotate_secret))
        .routes(routes!(oidc::discovery::configuration))
        .routes(routes!(oidc::authorize::authorize))
        .routes(routes!(oidc::login::page, oidc::login::submit))
        .routes(routes!(oidc::login::mfa))
        .routes(routes!(oidc::login::guest))
        .routes(routes!(oidc::consent::page, oidc::consent::submit))
        .routes(routes!(oidc::token::token))
        .routes(routes!(oidc::token::introspect))
        .routes(routes!(oidc::token::revoke))
        .routes(routes!(oidc::userinfo::get, oidc::userinfo::post))
        .routes(routes!(oidc::logout::page, oidc::logout::confirm))
        .routes(routes!(oidc::federation::start))
        .routes(routes!(oidc::federation::callback))
        .routes(routes!(
            auth::identity_providers::list,
            auth::identity_providers::create
        ))
        .routes(routes!(games::rulesets::list, games::rulesets::create))
        .routes(routes!(games::play::start))
        .routes(routes!(games::play::get))
        .routes(routes!(games::play::join))
        .routes(routes!(games::play::moves))
        .routes(routes!(games::events::events))
        .routes(routes!(games::history::list, games::history::delete))
        .routes(routes!(games::history::stats))
        .routes(routes!(authz::policies::current, authz::policies::publish))
        .routes(routes!(authz::policies::versions))
        .routes(routes!(authz::policies::rollback))
        .routes(routes!(authz::check::check))
        .routes(routes!(authz::check::batch))
        .routes(routes!(authz::check::actions))
        .routes(routes!(authz::schema::get, authz::schema::put))
        .routes(routes!(
            authz::entities::get,
            authz::entities::put,
            authz::entities::delete
        ))
        .routes(routes!(authz::roles::list, authz::roles::put))
        .routes(routes!(authz::roles::delete))
        .routes(routes!(authz::roles::holders, authz::roles::assign))
        .routes(routes!(authz::roles::unassign))
        .routes(routes!(authz::grants::list, authz::grants::create))
        .routes(routes!(authz::grants::revoke))
        .routes(routes!(authz::acl::list, authz::acl::add))
        .routes(routes!(authz::acl::remove))
        .routes(routes!(
            auth::identity_providers::get,
            auth::identity_providers::update,
            auth::identity_providers::delete
        ))
        .routes(routes!(
            privacy::consents::list_purposes,
            privacy::consents::put_purpose
        ))
        .routes(routes!(
            privacy::consents::list_consents,
            privacy::consents::give
        ))
        .routes(routes!(privacy::consents::withdraw))
        .routes(routes!(privacy::requests::list, privacy::requests::create))
        .routes(routes!(privacy::requests::get))
        .routes(routes!(privacy::requests::export))
        .routes(routes!(privacy::requests::verify))
        .routes(routes!(privacy::requests::approve))
        .routes(routes!(privacy::requests::deny))
        .routes(routes!(privacy::requests::extend))
        .routes(routes!(
            privacy::governance::list_retention,
            privacy::governance::put_retention
        ))
        .routes(routes!(
            privacy::governance::list_holds,
            privacy::governance::place_hold
        ))
        .routes(routes!(privacy::governance::release_hold))
        .routes(routes!(
            privacy::governance::list_breaches,
            privacy::governance::record_breach
        ))
        .routes(routes!(privacy::governance::update_breach))
        .routes(routes!(
            privacy::governance::get_processing,
            privacy::governance::put_processing
        ))
        .routes(routes!(privacy::governance::deletion_log))
        .routes(routes!(audit::entries))
        .routes(routes!(audit::checkpoint))
        .routes(routes!(audit::inclusion))
        .routes(routes!(audit::consistency))
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
