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

pub mod api_keys;
mod attenuation;
mod authn;
mod credentials;
pub mod federation;
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
pub use self::migrations::MIGRATIONS;
pub use self::service::{Auth, AuthParts, Login, LoginOutcome, SignIn, TokenPair};
pub use self::settings::AuthSettings;
pub use self::subject::AccountSource;
