#![doc = include_str!("../README.md")]
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
