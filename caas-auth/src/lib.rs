//! Authentication for CAAS.
//!
//! Not built yet: this crate will hold password hashing (argon2id), signed
//! access tokens (JWT, PASETO) with key rotation and JWKS, sessions, refresh
//! token families with reuse detection, revocation propagated over the
//! `caas_core::EventBus`, MFA, API keys, one-time tickets and the OAuth2 /
//! OIDC provider with federation. It depends on `caas-crypto` and
//! `caas-core`; see DESIGN.md.
