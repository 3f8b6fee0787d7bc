//! [`Provider`]: a tenant's OAuth 2.0 authorization server and OpenID
//! Provider, over the parts of [`Auth`]. The server's routes parse HTTP and
//! call one method each. This module holds the provider itself and its
//! discovery document; each endpoint's logic is a concept of its own:
//!
//! - [`authorization`]: the authorization endpoint's decision (parked
//!   requests, login, consent, the code or the error redirect);
//! - [`token`]: the token endpoint (client authentication, the grant types,
//!   the audience rules), with [`grants`] (the four grants) and [`issue`]
//!   (what a grant yields: access, refresh and ID tokens);
//! - [`holder`]: whom tokens are for, their claims, and userinfo;
//! - [`introspection`]: introspection (RFC 7662) and revocation (RFC 7009);
//! - [`logout`]: RP-initiated logout.

mod authorization;
mod grants;
mod holder;
mod introspection;
mod issue;
mod logout;
mod token;

use caas_core::{Db, Result, SharedKvStore, Tenant};
use serde_json::{Value, json};

pub use self::authorization::Next;
pub use self::introspection::INTROSPECT_SCOPE;
pub use self::issue::half_hash;
pub use self::logout::{LogoutParams, LogoutPlan};
pub use self::token::{TokenParams, TokenResponse};

use super::authorize;
use super::browser::BrowserSessions;
use super::codes::AuthorizationCodes;
use super::consent::Consents;
use crate::service::Auth;
use crate::settings::AuthSettings;

/// A tenant's OAuth 2.0 / OpenID Connect provider.
#[derive(Debug, Clone)]
pub struct Provider {
    auth: Auth,
    kv: SharedKvStore,
    codes: AuthorizationCodes,
    consents: Consents,
    browser: BrowserSessions,
}

impl Provider {
    /// A provider over `auth`'s parts; codes, parked requests and browser
    /// logins in `kv`, consents in `db`.
    pub fn new(auth: Auth, kv: SharedKvStore, db: Db) -> Self {
        let p = auth.parts();
        Provider {
            codes: AuthorizationCodes::new(kv.clone(), p.clock.clone()),
            consents: Consents::new(db, p.clock.clone()),
            browser: BrowserSessions::new(kv.clone(), p.sessions.clone(), p.clock.clone()),
            kv,
            auth,
        }
    }

    /// The authentication flows.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Browser logins.
    pub fn browser(&self) -> &BrowserSessions {
        &self.browser
    }

    /// Remembered consents.
    pub fn consents(&self) -> &Consents {
        &self.consents
    }

    /// The tenant's issuer URL.
    pub fn issuer(&self, tenant: &Tenant) -> String {
        self.auth.parts().tokens.issuer(tenant)
    }

    /// `{issuer}{path}`.
    pub fn endpoint(&self, tenant: &Tenant, path: &str) -> String {
        format!("{}{path}", self.issuer(tenant))
    }

    /// The discovery document (OIDC Discovery 1.0, RFC 8414).
    pub async fn discovery(&self, tenant: &Tenant) -> Result<Value> {
        let issuer = self.issuer(tenant);
        let e = |p: &str| format!("{issuer}{p}");
        let algorithm = self
            .auth
            .parts()
            .tokens
            .keys()
            .signer(&tenant.id)
            .await?
            .signing
            .1;
        let mut grants = vec!["authorization_code", "refresh_token", "client_credentials"];
        if AuthSettings::of(&tenant.settings)?.allow_password_grant {
            grants.push("password");
        }
        Ok(json!({
            "issuer": issuer,
            "authorization_endpoint": e("/oauth2/authorize"),
            "token_endpoint": e("/oauth2/token"),
            "userinfo_endpoint": e("/oauth2/userinfo"),
            "jwks_uri": e("/.well-known/jwks.json"),
            "end_session_endpoint": e("/oauth2/logout"),
            "introspection_endpoint": e("/oauth2/introspect"),
            "revocation_endpoint": e("/oauth2/revoke"),
            "scopes_supported": authorize::STANDARD_SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": grants,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [algorithm.as_str()],
            "token_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
            "introspection_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "revocation_endpoint_auth_methods_supported":
                ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr",
                "amr", "at_hash", "sid", "azp", "name", "preferred_username", "updated_at",
                "email", "email_verified"],
            "ui_locales_supported": ["en", "sl"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
        }))
    }
}
