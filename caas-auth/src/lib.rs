//! Authentication for CAAS.
//!
//! [`users`] (per-tenant users, email
//! and username unique case-insensitively), [`password`] (argon2id with
//! rehash on login, the password policy with a shipped common-password
//! list), [`tokens`] (per-tenant signing keys sealed with the tenant's data
//! key, rotation with overlap, JWKS; JWT issue and verification with every
//! check), [`revocation`] (by token, session, user or tenant, in the
//! shared key-value store), [`sessions`] (fingerprints, idle and absolute
//! timeouts), [`refresh`] (token families with rotation and reuse
//! detection), [`mfa`] (TOTP, backup codes), [`api_keys`], [`tickets`]
//! and [`lockout`], composed by [`Auth`] into the login (with the MFA
//! challenge and trusted devices), refresh, logout, guest and API-key
//! flows, and [`TokenAuthenticator`] / [`ApiKeyAuthenticator`] for the
//! gateway. Access tokens are JWTs (EdDSA by default; ES256, RS256; HS256
//! only when dangerously allowed) or PASETO v4.public tokens. The OAuth2 /
//! OIDC provider ([`oauth`], issue 6) is being built: PKCE and the client
//! registry so far.
//!
//! It depends on `caas-crypto` and `caas-core`; see DESIGN.md.

pub mod admin_key;
pub mod api_keys;
mod attenuation;
mod authn;
mod credentials;
pub mod federation;
mod lifecycle;
pub mod lockout;
pub mod mfa;
mod migrations;
pub mod oauth;
mod opaque;
pub mod password;
pub mod refresh;
pub mod repair;
pub mod revocation;
mod service;
pub mod sessions;
mod settings;
mod subject;
pub mod tickets;
pub mod tokens;
pub mod users;

pub use self::attenuation::Attenuation;
pub use self::authn::{ApiKeyAuthenticator, TokenAuthenticator};
pub use self::lifecycle::UserChange;
pub use self::migrations::MIGRATIONS;
pub use self::service::{Auth, AuthParts, Login, LoginOutcome, SignIn, TokenPair};
pub use self::settings::AuthSettings;
pub use self::subject::AccountSource;

use caas_core::EventType;

/// The events caas-auth publishes (on the bus its revocations travel on).
/// Payloads carry ids, never login names, passwords or tokens.
pub static EVENTS: &[EventType] = &[
    EventType::new(
        "user.created",
        "a user was created (by sign-up or by an administrator)",
    ),
    EventType::new(
        "user.updated",
        "a user's details, status, password or MFA were changed by an administrator",
    ),
    EventType::new("user.locked", "a user was locked: every credential ended"),
    EventType::new("user.deleted", "a user was deleted: every credential ended"),
    EventType::new(
        "session.created",
        "a session was opened (a login, a guest, a federated or OAuth login)",
    ),
    EventType::new(
        "session.ended",
        "a session ended (logout, expiry by an administrator, a new password, eviction, refresh-token reuse)",
    ),
    EventType::new(
        "auth.login_failed",
        "a password login failed (the reason code, and the account when the login matched one)",
    ),
    EventType::new(
        "auth.mfa_enrolled",
        "a user confirmed an authenticator (TOTP)",
    ),
    EventType::new("auth.mfa_removed", "a user removed their authenticator"),
    EventType::new(
        "auth.refresh_token_reused",
        "a rotated refresh token was presented again: its family and session were ended",
    ),
    EventType::new(
        "auth.revoked",
        "a token, session, user or key was revoked (every instance drops it)",
    ),
    EventType::new("oauth_client.created", "an OAuth client was registered"),
];
