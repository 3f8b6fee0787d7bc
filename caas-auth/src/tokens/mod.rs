//! Access tokens: JWT signed with per-tenant keys ([`SigningKeys`], EdDSA by
//! default, ES256 available, HS256 only when dangerously allowed), issued
//! and verified by [`TokenService`], with the claims in [`Claims`].

mod claims;
mod keys;
mod material;
mod service;

pub use self::claims::{Audience, Claims};
pub use self::keys::{KeyInfo, KeyPolicy, SigningKeys};
pub use self::material::SigningAlgorithm;
pub use self::service::{IssuedToken, MAX_LEEWAY, TokenConfig, TokenRequest, TokenService};
