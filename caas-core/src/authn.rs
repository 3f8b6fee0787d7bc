//! The authentication seam: [`Authenticator`] turns a request's credentials
//! into a [`Principal`].
//!
//! The server extracts [`Credential`]s from a request (transport details stay
//! there) and asks each registered authenticator in turn. An authenticator
//! answers `Ok(None)` for credentials that are not its kind (a JWT
//! authenticator shown an admin key), `Ok(Some(principal))` once it has
//! verified them, and an `invalid_token` error ([`Error::invalid_token`]) for
//! credentials of its kind that fail verification. Credentials nobody claims
//! are invalid too: [`Authenticators::authenticate`] never lets an unknown
//! credential through as anonymous.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Error, Principal, Result, SecretString, Tenant};

/// Credentials presented with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// `Authorization: Bearer <token>`: an access token, an API key or the
    /// platform admin key.
    Bearer(SecretString),
}

impl Credential {
    /// The secret text of the credential.
    pub fn secret(&self) -> &str {
        match self {
            Credential::Bearer(token) => token.expose(),
        }
    }
}

/// What an authenticator may check credentials against.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthContext<'a> {
    /// The tenant the request was resolved to, if any. Authenticators of
    /// tenant credentials must refuse credentials of another tenant.
    pub tenant: Option<&'a Tenant>,
}

/// Turns verified credentials into a principal.
#[async_trait]
pub trait Authenticator: Send + Sync + Debug {
    /// A short name for logs and metrics (`admin_key`, `jwt`, `api_key`).
    fn name(&self) -> &'static str;

    /// `Ok(None)` if `credential` is not this authenticator's kind;
    /// `Ok(Some(_))` if verified; an `invalid_token` error if it is this
    /// authenticator's kind but wrong, expired or revoked.
    async fn authenticate(
        &self,
        credential: &Credential,
        context: AuthContext<'_>,
    ) -> Result<Option<Principal>>;
}

/// A shared authenticator.
pub type SharedAuthenticator = Arc<dyn Authenticator>;

/// An ordered list of authenticators, asked in turn.
#[derive(Debug, Clone, Default)]
pub struct Authenticators {
    chain: Vec<SharedAuthenticator>,
}

impl Authenticators {
    /// An empty chain (every credential is refused).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `authenticator`; earlier ones are asked first.
    #[must_use]
    pub fn with(mut self, authenticator: SharedAuthenticator) -> Self {
        self.chain.push(authenticator);
        self
    }

    /// The names of the authenticators, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.chain.iter().map(|a| a.name()).collect()
    }

    /// The principal behind `credential`; `invalid_token` if no authenticator
    /// verifies it.
    pub async fn authenticate(
        &self,
        credential: &Credential,
        context: AuthContext<'_>,
    ) -> Result<Principal> {
        for authenticator in &self.chain {
            if let Some(principal) = authenticator.authenticate(credential, context).await? {
                return Ok(principal);
            }
        }
        Err(Error::invalid_token(
            "the credentials are not valid for this server",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, PrincipalKind};

    #[derive(Debug)]
    struct Fixed(&'static str);

    #[async_trait]
    impl Authenticator for Fixed {
        fn name(&self) -> &'static str {
            "fixed"
        }

        async fn authenticate(
            &self,
            credential: &Credential,
            _: AuthContext<'_>,
        ) -> Result<Option<Principal>> {
            match credential.secret() {
                s if s == self.0 => Ok(Some(Principal::new("p", None, PrincipalKind::Service))),
                s if s.starts_with("fixed_") => Err(Error::invalid_token("wrong fixed token")),
                _ => Ok(None),
            }
        }
    }

    fn bearer(s: &str) -> Credential {
        Credential::Bearer(SecretString::from(s))
    }

    #[tokio::test]
    async fn the_first_authenticator_that_claims_a_credential_decides() {
        let chain = Authenticators::new()
            .with(Arc::new(Fixed("fixed_a")))
            .with(Arc::new(Fixed("other")));
        let ctx = AuthContext::default();
        assert_eq!(
            chain
                .authenticate(&bearer("fixed_a"), ctx)
                .await
                .unwrap()
                .subject,
            "p"
        );
        // Claimed by the first one as its kind, but wrong: the second is not asked.
        let e = chain
            .authenticate(&bearer("fixed_b"), ctx)
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Unauthenticated, "invalid_token")
        );
        assert!(chain.authenticate(&bearer("other"), ctx).await.is_ok());
    }

    #[tokio::test]
    async fn unclaimed_credentials_are_invalid() {
        let chain = Authenticators::new().with(Arc::new(Fixed("fixed_a")));
        let e = chain
            .authenticate(&bearer("something"), AuthContext::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_token");
        let e = Authenticators::new()
            .authenticate(&bearer("fixed_a"), AuthContext::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_token");
    }
}
