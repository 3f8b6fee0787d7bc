//! The OAuth 2.0 / OpenID Connect provider: PKCE ([`pkce`], S256 only),
//! the client registry ([`OAuthClients`]), client authentication
//! ([`client_auth`]), authorization requests ([`authorize`]), one-time
//! codes ([`AuthorizationCodes`]), remembered consent ([`Consents`]),
//! browser logins ([`BrowserSessions`]), the protocol's error answers
//! ([`OAuthError`]) and the endpoints' logic ([`Provider`]).

pub mod authorize;
mod browser;
pub mod client_auth;
mod clients;
mod codes;
mod consent;
mod error;
pub mod pkce;
mod provider;

pub use self::authorize::{AuthorizationRequest, AuthorizeError, AuthorizeParams};
pub use self::browser::BrowserSessions;
pub use self::client_auth::ClientCredentials;
pub use self::clients::{
    AuthMethod, ClientSettings, ClientType, GrantType, OAuthClient, OAuthClients,
};
pub use self::codes::{AuthorizationCodes, CODE_TTL, CodeGrant, Redeemed};
pub use self::consent::Consents;
pub use self::error::{OAuthError, OAuthErrorCode};
pub use self::provider::{
    INTROSPECT_SCOPE, LogoutParams, LogoutPlan, Next, Provider, TokenParams, TokenResponse,
    half_hash,
};
