//! Authentication routes (`/v1/auth/…`, the tenant's JWKS): thin handlers
//! over `caas_auth::Auth`.

pub mod api_keys;
pub mod identity_providers;
pub mod login;
pub mod mfa;
pub mod oauth_clients;
pub mod sessions;
pub mod signing_keys;
pub mod tickets;
pub mod users;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use caas_auth::TokenPair;
use caas_auth::sessions::Fingerprint;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::Problem;
use crate::state::AppState;
use utoipa_axum::routes;

use super::declare::{ADMIN, Anyone, Public, Routes};

/// Where a request comes from: its device fingerprint and address.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// User agent, client hints, IP prefix.
    pub fingerprint: Fingerprint,
    /// The peer address (lockout per IP).
    pub ip: Option<std::net::IpAddr>,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Problem> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
            .collect();
        let agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        Ok(ClientInfo {
            fingerprint: Fingerprint::new(agent, headers, ip),
            ip,
        })
    }
}

/// Tokens handed to a client.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tokens {
    /// The access token (JWT).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token (not for guests or API keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The session.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub session_id: Option<String>,
    /// Skips MFA on this device from now on (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_device_token: Option<String>,
}

impl From<TokenPair> for Tokens {
    fn from(p: TokenPair) -> Self {
        Tokens {
            access_token: p.access_token,
            token_type: p.token_type.to_owned(),
            expires_in: p.expires_in,
            refresh_token: p.refresh_token,
            session_id: p.session_id.map(|s| s.to_string()),
            trusted_device_token: p.trusted_device_token,
        }
    }
}

/// Sign-up, login and tokens; a principal's own sessions, MFA and keys;
/// the tenant's users, OAuth clients and identity providers.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(Public, routes!(signing_keys::jwks))
        .add(ADMIN, routes!(signing_keys::rotate))
        // What needs no session yet.
        .add(Public, routes!(login::register))
        .add(Public, routes!(login::login))
        .add(Public, routes!(login::verify_mfa))
        .add(Public, routes!(login::refresh))
        .add(Anyone, routes!(login::logout))
        .add(Public, routes!(login::guest))
        .add(Anyone, routes!(login::me))
        .add(Public, routes!(login::sdk_token))
        // A principal acting for itself.
        .add(Anyone, routes!(sessions::list))
        .add(Anyone, routes!(sessions::end))
        .add(Anyone, routes!(mfa::enroll, mfa::remove))
        .add(Anyone, routes!(mfa::confirm))
        .add(Anyone, routes!(mfa::backup_codes))
        .add(Anyone, routes!(api_keys::list, api_keys::create))
        .add(
            Anyone,
            routes!(api_keys::get, api_keys::update, api_keys::delete),
        )
        .add(Anyone, routes!(api_keys::rotate))
        .add(Anyone, routes!(tickets::issue))
        .add(Public, routes!(tickets::redeem))
        // The tenant's administration.
        .add(ADMIN, routes!(users::list, users::create))
        .add(ADMIN, routes!(users::get, users::patch, users::delete))
        .add(ADMIN, routes!(oauth_clients::list, oauth_clients::create))
        .add(
            ADMIN,
            routes!(
                oauth_clients::get,
                oauth_clients::update,
                oauth_clients::delete
            ),
        )
        .add(ADMIN, routes!(oauth_clients::rotate_secret))
        .add(
            ADMIN,
            routes!(identity_providers::list, identity_providers::create),
        )
        .add(
            ADMIN,
            routes!(
                identity_providers::get,
                identity_providers::update,
                identity_providers::delete
            ),
        )
}
