//! [`OAuthError`]: an error answer of the OAuth 2.0 protocol — a wire code
//! ([`OAuthErrorCode`]: RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC
//! 8707, OpenID Connect Core §3.1.2.6), its HTTP status and a description.
//!
//! The provider builds these where it refuses a request. They travel as a
//! [`caas_core::Error`] (kind and code follow the OAuth code, the
//! `OAuthError` itself is the source), so they pass through `?` like any
//! other error; [`OAuthError::answer`] gets the typed answer back for
//! rendering, and tells the client's errors from the server's faults.

use std::borrow::Cow;
use std::fmt;

use caas_core::{Error, ErrorKind};
use http::StatusCode;

/// An OAuth error code, as it appears in `error=` (redirects) and
/// `{"error": …}` (JSON answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// The request is missing a parameter, repeats one, or is malformed.
    InvalidRequest,
    /// Client authentication failed (401 with a `Basic` challenge).
    InvalidClient,
    /// The code, refresh token or resource-owner credentials are invalid,
    /// expired, revoked, or were issued to another client.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The response type is not supported.
    UnsupportedResponseType,
    /// A requested scope is unknown, or more than was granted.
    InvalidScope,
    /// The requested `resource` is not allowed (RFC 8707).
    InvalidTarget,
    /// The user (or the provider) refused the request.
    AccessDenied,
    /// `prompt=none`, and the user is not logged in (OIDC).
    LoginRequired,
    /// `prompt=none`, and the user has not allowed the client (OIDC).
    ConsentRequired,
    /// Request objects are not supported (OIDC).
    RequestNotSupported,
    /// The access token is invalid, expired or revoked (RFC 6750, 401).
    InvalidToken,
    /// Too many requests: slow down (429).
    SlowDown,
}

impl OAuthErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [OAuthErrorCode; 14] = [
        OAuthErrorCode::InvalidRequest,
        OAuthErrorCode::InvalidClient,
        OAuthErrorCode::InvalidGrant,
        OAuthErrorCode::UnauthorizedClient,
        OAuthErrorCode::UnsupportedGrantType,
        OAuthErrorCode::UnsupportedResponseType,
        OAuthErrorCode::InvalidScope,
        OAuthErrorCode::InvalidTarget,
        OAuthErrorCode::AccessDenied,
        OAuthErrorCode::LoginRequired,
        OAuthErrorCode::ConsentRequired,
        OAuthErrorCode::RequestNotSupported,
        OAuthErrorCode::InvalidToken,
        OAuthErrorCode::SlowDown,
    ];

    /// The code on the wire, e.g. `invalid_grant`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::InvalidTarget => "invalid_target",
            OAuthErrorCode::AccessDenied => "access_denied",
            OAuthErrorCode::LoginRequired => "login_required",
            OAuthErrorCode::ConsentRequired => "consent_required",
            OAuthErrorCode::RequestNotSupported => "request_not_supported",
            OAuthErrorCode::InvalidToken => "invalid_token",
            OAuthErrorCode::SlowDown => "slow_down",
        }
    }

    /// The code named `wire` (`None`: not one the provider uses).
    pub fn from_wire(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == wire)
    }

    /// The HTTP status of a JSON answer with this code: 401 for failed
    /// client authentication and invalid access tokens, 429 for
    /// `slow_down`, 400 otherwise (RFC 6749 §5.2). Codes of the
    /// authorization endpoint travel in redirects, where 400 is what a
    /// JSON answer would say.
    pub const fn status(self) -> StatusCode {
        match self {
            OAuthErrorCode::InvalidClient | OAuthErrorCode::InvalidToken => {
                StatusCode::UNAUTHORIZED
            }
            OAuthErrorCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The kind of the [`caas_core::Error`] carrying this code.
    const fn kind(self) -> ErrorKind {
        match self {
            OAuthErrorCode::InvalidClient | OAuthErrorCode::InvalidToken => {
                ErrorKind::Unauthenticated
            }
            OAuthErrorCode::SlowDown => ErrorKind::RateLimited,
            _ => ErrorKind::InvalidInput,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error answer: a code, and a description for the client's
/// developers (`error_description`; never secrets or internals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    code: OAuthErrorCode,
    description: Cow<'static, str>,
}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: OAuthErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    /// `invalid_request` with `description`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant` with `description`.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }

    /// `invalid_client`, with the one description every failure of client
    /// authentication has (nothing tells an unknown client from a wrong
    /// secret).
    pub fn invalid_client() -> Self {
        Self::new(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
        )
    }

    /// The code.
    pub fn code(&self) -> OAuthErrorCode {
        self.code
    }

    /// The HTTP status of the JSON answer.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The JSON body of the answer (RFC 6749 §5.2).
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description(),
        })
    }

    /// The OAuth answer to give for `error` at a JSON endpoint: the
    /// `OAuthError` it carries; else, for invalid input,
    /// `invalid_request`, and for rate limiting, `slow_down` (with the
    /// error's message). `None`: the error is the server's (a backend or
    /// an internal fault, …), not an answer the protocol defines.
    pub fn answer(error: &Error) -> Option<OAuthError> {
        let carried = std::error::Error::source(error)
            .and_then(|s| s.downcast_ref::<OAuthError>())
            .cloned();
        carried.or_else(|| {
            let code = match error.kind() {
                ErrorKind::InvalidInput => OAuthErrorCode::InvalidRequest,
                ErrorKind::RateLimited => OAuthErrorCode::SlowDown,
                _ => return None,
            };
            Some(Self::new(code, error.message().to_owned()))
        })
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<OAuthError> for Error {
    /// An error of the kind the code implies (`invalid_client` and
    /// `invalid_token`: unauthenticated; `slow_down`: rate limited; the
    /// rest: invalid input) with the OAuth code, the description as its
    /// message and the `OAuthError` as its source.
    fn from(e: OAuthError) -> Self {
        Error::new(e.code.kind(), e.description.clone())
            .with_code(e.code.as_str())
            .with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_rfc_strings_and_unique() {
        assert_eq!(OAuthErrorCode::InvalidGrant.as_str(), "invalid_grant");
        assert_eq!(OAuthErrorCode::InvalidClient.to_string(), "invalid_client");
        assert_eq!(
            OAuthErrorCode::UnsupportedGrantType.as_str(),
            "unsupported_grant_type"
        );
        let mut wire: Vec<_> = OAuthErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        wire.sort_unstable();
        wire.dedup();
        assert_eq!(wire.len(), OAuthErrorCode::ALL.len());
        for code in OAuthErrorCode::ALL {
            assert_eq!(OAuthErrorCode::from_wire(code.as_str()), Some(code));
        }
    }

    #[test]
    fn unknown_or_misspelt_codes_are_not_parsed() {
        for wire in [
            "",
            "invalid",
            "Invalid_Grant",
            "invalid_grant ",
            "server_error",
        ] {
            assert_eq!(OAuthErrorCode::from_wire(wire), None, "{wire:?}");
        }
    }

    #[test]
    fn statuses_follow_rfc_6749() {
        assert_eq!(
            OAuthError::invalid_client().status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            OAuthErrorCode::InvalidToken.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            OAuthErrorCode::SlowDown.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        for code in OAuthErrorCode::ALL {
            if !matches!(
                code,
                OAuthErrorCode::InvalidClient
                    | OAuthErrorCode::InvalidToken
                    | OAuthErrorCode::SlowDown
            ) {
                assert_eq!(code.status(), StatusCode::BAD_REQUEST, "{code}");
            }
        }
    }

    #[test]
    fn the_body_is_rfc_6749_json() {
        let e = OAuthError::invalid_grant("the code was used");
        assert_eq!(
            e.body(),
            serde_json::json!({"error": "invalid_grant", "error_description": "the code was used"})
        );
        assert_eq!(e.to_string(), "invalid_grant: the code was used");
    }

    #[test]
    fn it_survives_the_trip_through_a_core_error() {
        let e: Error = OAuthError::invalid_client().into();
        assert_eq!(
            (e.kind(), e.code(), e.message()),
            (
                ErrorKind::Unauthenticated,
                "invalid_client",
                "client authentication failed"
            )
        );
        assert_eq!(OAuthError::answer(&e), Some(OAuthError::invalid_client()));
        let e: Error = OAuthError::new(OAuthErrorCode::InvalidScope, "too wide").into();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::InvalidInput, "invalid_scope")
        );
        let answer = OAuthError::answer(&e);
        assert_eq!(answer.map(|a| a.code()), Some(OAuthErrorCode::InvalidScope));
    }

    #[test]
    fn plain_errors_map_by_kind_and_faults_are_no_answer() {
        let bad = OAuthError::answer(&Error::invalid_input("`x` is not a number"));
        assert_eq!(
            bad,
            Some(OAuthError::invalid_request("`x` is not a number"))
        );
        let slow = OAuthError::answer(&Error::new(ErrorKind::RateLimited, "wait"));
        assert_eq!(slow.map(|s| s.code()), Some(OAuthErrorCode::SlowDown));
        // The server's own faults, and errors that only look like OAuth
        // ones (a code string alone is not an answer), are not answers.
        assert_eq!(
            OAuthError::answer(&Error::internal("the disk is full")),
            None
        );
        assert_eq!(
            OAuthError::answer(&Error::unavailable("redis is down")),
            None
        );
        let lookalike = Error::new(ErrorKind::Unauthenticated, "no").with_code("invalid_client");
        assert_eq!(OAuthError::answer(&lookalike), None);
    }
}
