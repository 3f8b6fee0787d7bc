//! RFC 9457 problem details: how every error leaves the server.
//!
//! Handlers and middleware return [`Problem`]. Its response carries the
//! details in an extension; the request-id middleware, which knows the
//! request, renders the final body with `instance` and `request_id`
//! ([`finish`]). Error responses made by other layers (a body over the limit,
//! an extractor's rejection) are turned into problems there too, so no error
//! leaves as anything but `application/problem+json` — except the OAuth
//! endpoints' RFC 6749 JSON errors and the login pages' HTML error pages,
//! which their clients (and people) expect in those forms.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caas_core::{Error, ErrorKind};
use serde::Serialize;

/// The media type of problem details.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error as an HTTP response: problem+json with a stable `code`.
///
/// Internal and unavailable errors are logged in full and sent with their
/// title only, so no internals reach the client.
#[derive(Debug)]
pub struct Problem(pub Error);

/// The wire form of a problem (RFC 9457 plus `code`, `request_id`, `field`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemDetails {
    /// `urn:caas:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// The request path this occurrence is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// A stable machine-readable code (`invalid_input`, `missing_token`, …).
    pub code: String,
    /// The request id (also in `X-Request-Id`); quote it in support requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The input field the problem is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Structured details (e.g. each parser diagnostic with line, column
    /// and message), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub errors: Option<serde_json::Value>,
}

impl ProblemDetails {
    fn new(status: StatusCode, code: &str, title: &str, detail: &str) -> Self {
        ProblemDetails {
            kind: format!("urn:caas:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.to_owned(),
            instance: None,
            code: code.to_owned(),
            request_id: None,
            field: None,
            errors: None,
        }
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem(e)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.kind().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.respond(status)
    }
}

impl Problem {
    /// The response with a status other than the kind's own (415 for an
    /// `invalid_input` about the media type, say).
    pub fn respond(self, status: StatusCode) -> Response {
        let e = &self.0;
        let kind = e.kind();
        let detail = if kind.is_client_facing() {
            e.message()
        } else {
            tracing::error!(error = ?e, code = e.code(), "request failed");
            kind.title()
        };
        let mut details = ProblemDetails::new(status, e.code(), kind.title(), detail);
        details.field = e.field().map(str::to_owned);
        if kind.is_client_facing() {
            details.errors = e.details().cloned();
        }
        let mut response = render(&details);
        let headers = response.headers_mut();
        if let Some(after) = e.retry_after()
            && matches!(
                kind,
                ErrorKind::RateLimited | ErrorKind::QuotaExceeded | ErrorKind::Unavailable
            )
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(after)));
        }
        if kind == ErrorKind::Unauthenticated {
            // RFC 6750 §3: no error attribute when no credentials were sent.
            let challenge = match e.code() {
                "missing_token" => "Bearer realm=\"caas\"",
                _ => "Bearer realm=\"caas\", error=\"invalid_token\"",
            };
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response.extensions_mut().insert(Arc::new(details));
        response
    }
}

/// Whole seconds, rounded up, never 0.
pub(crate) fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

fn render(details: &ProblemDetails) -> Response {
    let status = StatusCode::from_u16(details.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(details).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// Gives an error response its final problem+json body, with `instance`
/// and `request_id`. Error responses that are not problems yet (made by a
/// layer or extractor outside our code) are converted, keeping their status
/// and, for client errors, their message.
pub async fn finish(response: Response, request_id: &str, path: &str) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let has_details = response.extensions().get::<Arc<ProblemDetails>>().is_some();
    if !has_details && (is_json(&response) || is_html(&response)) {
        // A deliberate JSON error body (the `/ready` report, OAuth errors)
        // or a page for a person (the login pages' errors) stays as it is.
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut details = match parts.extensions.remove::<Arc<ProblemDetails>>() {
        Some(details) => Arc::unwrap_or_clone(details),
        None => foreign(status, body).await,
    };
    details.instance = Some(path.to_owned());
    details.request_id = Some(request_id.to_owned());
    let rendered = render(&details);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    parts.headers.remove(header::CONTENT_LENGTH);
    let (_, body) = rendered.into_parts();
    Response::from_parts(parts, body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// A problem for an error response some other layer produced.
async fn foreign(status: StatusCode, body: Body) -> ProblemDetails {
    let (code, title) = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            ("invalid_input", "Invalid input")
        }
        StatusCode::UNAUTHORIZED => ("unauthenticated", "Unauthenticated"),
        StatusCode::FORBIDDEN => ("forbidden", "Forbidden"),
        StatusCode::NOT_FOUND => ("not_found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Payload too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Unsupported media type"),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Rate limited"),
        s if s.is_client_error() => ("invalid_input", "Invalid input"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "Service unavailable"),
        _ => ("internal", "Internal error"),
    };
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than this server accepts".to_owned()
        }
        StatusCode::METHOD_NOT_ALLOWED => "this route does not accept that method".to_owned(),
        s if s.is_client_error() => {
            // Extractor rejections explain the input; keep their words.
            let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text).trim().to_owned();
            if text.is_empty() {
                title.to_owned()
            } else {
                text
            }
        }
        _ => title.to_owned(),
    };
    ProblemDetails::new(status, code, title, &detail)
}

/// 404 for every unknown route.
pub async fn not_found() -> Problem {
    Problem(Error::not_found("no such route"))
}

/// 405 for a known route with the wrong method (axum adds `Allow`);
/// [`finish`] gives it its problem body.
pub async fn method_not_allowed() -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}
