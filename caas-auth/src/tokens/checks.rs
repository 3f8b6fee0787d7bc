//! The claim checks every verifier of a CAAS access token makes after the
//! signature — times with leeway, issuer, audience, tenant — as one pure
//! function, so the platform's [`TokenService`](super::TokenService) and a
//! resource server's [`RemoteVerifier`](super::RemoteVerifier) cannot drift.

use caas_core::{Error, TenantId};

use super::Claims;

/// Why a token's claims were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// `exp` has passed (with leeway).
    Expired,
    /// `nbf` is still ahead (with leeway).
    NotYetValid,
    /// `iat` is ahead (with leeway).
    IssuedInFuture,
    /// `iss` is not the expected issuer.
    Issuer,
    /// `aud` does not name the expected audience.
    Audience,
    /// `tenant_id` is not the expected tenant.
    Tenant,
}

impl Rejection {
    /// The reason, as a person reads it.
    pub fn message(self) -> &'static str {
        match self {
            Rejection::Expired => "the token expired",
            Rejection::NotYetValid => "the token is not valid yet (`nbf`)",
            Rejection::IssuedInFuture => "the token was issued in the future (`iat`)",
            Rejection::Issuer => "the token was issued by another issuer",
            Rejection::Audience => "the token is not meant for this audience",
            Rejection::Tenant => "the token belongs to another tenant",
        }
    }

    /// The machine-readable reason: `token_expired`, `token_not_yet_valid`
    /// (for `nbf` and `iat`), `invalid_issuer`, `invalid_audience`,
    /// `invalid_tenant`.
    pub fn code(self) -> &'static str {
        match self {
            Rejection::Expired => "token_expired",
            Rejection::NotYetValid | Rejection::IssuedInFuture => "token_not_yet_valid",
            Rejection::Issuer => "invalid_issuer",
            Rejection::Audience => "invalid_audience",
            Rejection::Tenant => "invalid_tenant",
        }
    }

    /// 401 `invalid_token` with [`Rejection::code`] as its code.
    pub fn error(self) -> Error {
        Error::invalid_token(self.message()).with_code(self.code())
    }
}

/// What the claims must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The issuer.
    pub issuer: &'a str,
    /// The audience (`None`: any).
    pub audience: Option<&'a str>,
    /// The tenant (`None`: any).
    pub tenant: Option<&'a TenantId>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: i64,
}

/// Checks `claims` at `now` (unix seconds) against `expected`, in the order
/// a reader expects the first failure: times, issuer, audience, tenant.
pub fn check_claims(claims: &Claims, now: i64, expected: &Expected<'_>) -> Result<(), Rejection> {
    let leeway = expected.leeway;
    if now >= claims.exp.saturating_add(leeway) {
        return Err(Rejection::Expired);
    }
    if now.saturating_add(leeway) < claims.nbf {
        return Err(Rejection::NotYetValid);
    }
    if now.saturating_add(leeway) < claims.iat {
        return Err(Rejection::IssuedInFuture);
    }
    if claims.iss != expected.issuer {
        return Err(Rejection::Issuer);
    }
    if let Some(audience) = expected.audience
        && !claims.aud.0.iter().any(|a| a == audience)
    {
        return Err(Rejection::Audience);
    }
    if let Some(tenant) = expected.tenant
        && claims.tenant_id != *tenant
    {
        return Err(Rejection::Tenant);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Audience;
    use caas_core::PrincipalKind;

    fn claims(tenant: TenantId) -> Claims {
        Claims {
            iss: "https://id.example/t/acme".into(),
            sub: "u1".into(),
            aud: Audience(vec!["api".into(), "other".into()]),
            exp: 1_000,
            nbf: 500,
            iat: 500,
            jti: "j".into(),
            tenant_id: tenant,
            sid: None,
            scope: String::new(),
            roles: vec![],
            kind: PrincipalKind::User,
            amr: vec![],
            auth_time: None,
            client_id: None,
            owner: None,
        }
    }

    #[test]
    fn each_claim_is_checked_with_leeway() {
        let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(1));
        let c = claims(tenant);
        let ok = Expected {
            issuer: "https://id.example/t/acme",
            audience: Some("api"),
            tenant: Some(&tenant),
            leeway: 10,
        };
        assert_eq!(check_claims(&c, 600, &ok), Ok(()));
        assert_eq!(check_claims(&c, 1_009, &ok), Ok(()));
        assert_eq!(check_claims(&c, 1_010, &ok), Err(Rejection::Expired));
        assert_eq!(check_claims(&c, 489, &ok), Err(Rejection::NotYetValid));
        let mut early = c.clone();
        early.nbf = 0;
        assert_eq!(
            check_claims(&early, 489, &ok),
            Err(Rejection::IssuedInFuture)
        );
        let other_iss = Expected {
            issuer: "https://id.example/t/beta",
            ..ok
        };
        assert_eq!(check_claims(&c, 600, &other_iss), Err(Rejection::Issuer));
        let other_aud = Expected {
            audience: Some("billing"),
            ..ok
        };
        assert_eq!(check_claims(&c, 600, &other_aud), Err(Rejection::Audience));
        let any_aud = Expected {
            audience: None,
            ..ok
        };
        assert_eq!(check_claims(&c, 600, &any_aud), Ok(()));
        let beta = TenantId::from_uuid(uuid::Uuid::from_u128(2));
        let other_tenant = Expected {
            tenant: Some(&beta),
            ..ok
        };
        assert_eq!(check_claims(&c, 600, &other_tenant), Err(Rejection::Tenant));
        assert_eq!(Rejection::Expired.error().code(), "token_expired");
    }
}
