//! The one error vocabulary of CAAS.
//!
//! Every crate's error converts into [`Error`]; callers branch on its
//! [`ErrorKind`], which has a stable machine code and maps to one HTTP status.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// What went wrong, as callers need to branch on it.
///
/// Each kind has a stable [`code`](ErrorKind::code) (used in problem+json
/// bodies and Python exception names) and an [`http_status`](ErrorKind::http_status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is malformed or a value fails validation (400).
    InvalidInput,
    /// No valid credentials were presented (401).
    Unauthenticated,
    /// The caller is known but not allowed to do this (403).
    Forbidden,
    /// The thing asked for does not exist, or the caller may not know it does (404).
    NotFound,
    /// The request conflicts with the current state, e.g. a duplicate slug (409).
    Conflict,
    /// Too many requests in a short time; retry later (429).
    RateLimited,
    /// A tenant's usage quota for the period is used up (429, distinct code).
    QuotaExceeded,
    /// A backend (database, Redis) cannot be reached; retrying may help (503).
    Unavailable,
    /// A bug or an unexpected state; details go to the log, not the client (500).
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::InvalidInput,
        ErrorKind::Unauthenticated,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::QuotaExceeded,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
    ];

    /// The stable machine-readable code, e.g. `invalid_input`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// The HTTP status code this kind maps to.
    ///
    /// `RateLimited` and `QuotaExceeded` both map to 429: clients that only
    /// look at the status back off either way; the `code` tells them apart.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidInput => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::RateLimited | ErrorKind::QuotaExceeded => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// A short human title for the kind, as used in problem+json `title`.
    pub const fn title(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "Invalid input",
            ErrorKind::Unauthenticated => "Unauthenticated",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "Not found",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::RateLimited => "Rate limited",
            ErrorKind::QuotaExceeded => "Quota exceeded",
            ErrorKind::Unavailable => "Service unavailable",
            ErrorKind::Internal => "Internal error",
        }
    }

    /// Whether the message may be shown to an API client as is.
    ///
    /// Messages of `Unavailable` and `Internal` errors describe backends and
    /// bugs; servers log them and send only the title.
    pub const fn is_client_facing(self) -> bool {
        !matches!(self, ErrorKind::Unavailable | ErrorKind::Internal)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error from any CAAS crate: a kind, a message for people, and context.
///
/// Messages are lowercase, have no trailing period and put user input in
/// backticks. They never contain secrets.
pub struct Error {
    kind: ErrorKind,
    code: Option<&'static str>,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    retry_after: Option<Duration>,
    details: Option<Box<serde_json::Value>>,
    source: Option<BoxError>,
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            code: None,
            message: message.into(),
            field: None,
            retry_after: None,
            details: None,
            source: None,
        }
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Shorthand for [`ErrorKind::Forbidden`].
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    /// Shorthand for [`ErrorKind::Conflict`].
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Shorthand for [`ErrorKind::Unavailable`].
    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Shorthand for [`ErrorKind::Unauthenticated`] with code `missing_token`:
    /// the request carried no credentials.
    pub fn missing_token(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message).with_code("missing_token")
    }

    /// Shorthand for [`ErrorKind::Unauthenticated`] with code `invalid_token`:
    /// the credentials were malformed, unknown, expired or revoked.
    pub fn invalid_token(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message).with_code("invalid_token")
    }

    /// Refines the wire code of the error (`missing_token` rather than
    /// `unauthenticated`, say). The kind stays what callers branch on; the
    /// code must be a stable `snake_case` identifier.
    #[must_use]
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The stable wire code: the refinement if one was set, else the kind's code.
    pub fn code(&self) -> &'static str {
        self.code.unwrap_or_else(|| self.kind.code())
    }

    /// Names the input field the error is about (for `InvalidInput`).
    #[must_use]
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Tells the caller when retrying may succeed (for `RateLimited`, `QuotaExceeded`).
    #[must_use]
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Structured details for clients (for example a parser's diagnostics,
    /// each with line, column and message); servers render them as the
    /// problem's `errors` member. Never secrets.
    #[must_use]
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// The structured details, if any.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.details.as_deref()
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind callers branch on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The input field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// When retrying may succeed, if known.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(code) = self.code {
            d.field("code", &code);
        }
        if let Some(field) = &self.field {
            d.field("field", field);
        }
        if let Some(after) = &self.retry_after {
            d.field("retry_after", after);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::invalid_input(format!("invalid JSON: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn kinds_map_to_http_statuses() {
        let statuses: Vec<_> = ErrorKind::ALL.iter().map(|k| k.http_status()).collect();
        assert_eq!(statuses, [400, 401, 403, 404, 409, 429, 429, 503, 500]);
    }

    #[test]
    fn server_side_kinds_are_not_client_facing() {
        assert!(!ErrorKind::Internal.is_client_facing());
        assert!(!ErrorKind::Unavailable.is_client_facing());
        assert!(ErrorKind::NotFound.is_client_facing());
    }

    #[test]
    fn error_keeps_context() {
        let e = Error::invalid_input("slug `A` is not lowercase")
            .with_field("slug")
            .with_retry_after(Duration::from_secs(3));
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.to_string(), "slug `A` is not lowercase");
        assert_eq!(e.field(), Some("slug"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(e.code(), "invalid_input");
    }

    #[test]
    fn a_refined_code_keeps_the_kind() {
        let e = Error::missing_token("no credentials");
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
        assert_eq!(e.code(), "missing_token");
        assert_eq!(Error::invalid_token("bad").code(), "invalid_token");
    }
}
