//! RFC 9457 problem details: how every error leaves the server.

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

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem(e)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let e = &self.0;
        let kind = e.kind();
        let status =
            StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let detail = if kind.is_client_facing() {
            e.message()
        } else {
            tracing::error!(error = ?e, code = kind.code(), "request failed");
            kind.title()
        };
        let mut response = respond(status, kind.code(), kind.title(), detail, e.field());
        if let Some(after) = e.retry_after()
            && matches!(
                kind,
                ErrorKind::RateLimited | ErrorKind::QuotaExceeded | ErrorKind::Unavailable
            )
        {
            // Whole seconds, rounded up, never 0.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

fn respond(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: &str,
    field: Option<&str>,
) -> Response {
    let body = Body {
        kind: format!("urn:caas:problem:{code}"),
        title,
        status: status.as_u16(),
        detail,
        code,
        field,
    };
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// 404 for every unknown route.
pub async fn not_found() -> Problem {
    Problem(Error::not_found("no such route"))
}

/// 405 for a known route with the wrong method (axum adds `Allow`).
pub async fn method_not_allowed() -> Response {
    respond(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        "this route does not accept that method",
        None,
    )
}
