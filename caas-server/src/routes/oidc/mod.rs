//! The OAuth 2.0 / OpenID Connect provider of every tenant, at
//! `{public_url}/t/{slug}`: discovery, the authorization endpoint and its
//! pages (login, MFA, consent), token, introspection, revocation,
//! userinfo and RP-initiated logout. The logic lives in
//! `caas_auth::oauth::Provider`; these handlers parse and render.

pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod federation;
pub mod login;
pub mod logout;
pub mod schemas;
pub mod token;
pub mod userinfo;
pub mod web;
use utoipa_axum::routes;

use super::declare::{Public, Routes};

/// The tenant's OpenID Provider and federation: each endpoint reads its
/// own credentials (client authentication, cookies, bearer tokens for its
/// audience), so the gateway's check is `Public`.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(Public, routes!(discovery::configuration))
        .add(Public, routes!(authorize::authorize))
        .add(Public, routes!(login::page, login::submit))
        .add(Public, routes!(login::mfa))
        .add(Public, routes!(login::guest))
        .add(Public, routes!(consent::page, consent::submit))
        .add(Public, routes!(token::token))
        .add(Public, routes!(token::introspect))
        .add(Public, routes!(token::revoke))
        .add(Public, routes!(userinfo::get, userinfo::post))
        .add(Public, routes!(logout::page, logout::confirm))
        .add(Public, routes!(federation::start))
        .add(Public, routes!(federation::callback))
}
