//! The OAuth 2.0 / OpenID Connect provider (issue 6, in progress): PKCE
//! ([`pkce`], S256 only) and the client registry ([`OAuthClients`]).

mod clients;
pub mod pkce;

pub use self::clients::{ClientSettings, ClientType, GrantType, OAuthClient, OAuthClients};
