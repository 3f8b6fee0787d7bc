//! Access tokens: JWT signed with per-tenant keys ([`SigningKeys`], EdDSA by
//! default, ES256 and RS256 available, HS256 only when dangerously allowed) or PASETO
//! v4.public (EdDSA keys), issued and verified by [`TokenService`], with the
//! claims in [`Claims`]; a resource server without the platform checks them
//! with [`RemoteVerifier`] from the tenant's JWKS.

mod checks;
mod claims;
mod keys;
mod material;
mod paseto;
mod remote;
mod service;

pub use self::checks::{Expected, Rejection, check_claims};
pub use self::claims::{Audience, Claims};
pub use self::keys::{KeyInfo, KeyPolicy, SigningKeys};
pub use self::material::SigningAlgorithm;
pub use self::remote::{RemoteConfig, RemoteVerifier, Verified};
pub use self::service::{
    IssuedToken, MAX_LEEWAY, TokenConfig, TokenFormat, TokenRequest, TokenService,
};
