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
pub mod token;
pub mod userinfo;
pub mod web;
