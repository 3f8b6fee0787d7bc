//! Access tokens: JWT signed with per-tenant keys ([`SigningKeys`], EdDSA by
//! default, ES256 and RS256 available, HS256 only when dangerously allowed) or PASETO
//! v4.public (EdDSA keys), issued and verified by [`TokenService`], with the
//! claims in [`Claims`].

mod claims;
mod keys;
mod material;
mod paseto;
mod service;

pub use self::claims::{Audience, Claims};
pub use self::keys::{KeyInfo, KeyPolicy, SigningKeys};
pub use self::material::SigningAlgorithm;
pub use self::service::{
    IssuedToken, MAX_LEEWAY, TokenConfig, TokenFormat, TokenRequest, TokenService,
};
