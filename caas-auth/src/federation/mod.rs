//! Federation: a tenant's upstream identity providers ([`IdentityProviders`]:
//! Google, Microsoft, GitHub, any OIDC issuer; secrets sealed with the
//! tenant's keys), the links between upstream accounts and users
//! ([`FederatedLinks`]), and the login through them ([`Federation`]) with
//! state, nonce and PKCE, the upstream ID token validated against the
//! upstream JWKS. HTTP goes through an [`Upstream`] the server supplies.

mod flow;
mod id_token;
mod links;
mod providers;
mod upstream;

pub use self::flow::{Federated, Federation};
pub(crate) use self::id_token::discover;
pub use self::links::{FederatedLink, FederatedLinks};
pub use self::providers::{
    IdentityProvider, IdentityProviders, PURPOSE, ProviderKind, ProviderSettings,
};
pub(crate) use self::upstream::get_json;
pub use self::upstream::{Upstream, UpstreamRequest, UpstreamResponse};
