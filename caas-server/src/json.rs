//! [`Json`]: a JSON body extractor whose every rejection is a problem that
//! names the offending field.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use caas_core::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// A JSON request or response body.
///
/// As a response it is `axum::Json`. As an extractor it refuses a missing or
/// wrong `Content-Type` (415), a body over the server's limit (413), and
/// malformed or mistyped JSON (400 with `field` set to the JSON path, e.g.
/// `settings.cors.allowed_origins[0]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .is_some_and(|mime| {
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(Problem(
                Error::invalid_input("send the body as `Content-Type: application/json`")
                    .with_code("unsupported_media_type"),
            )
            .respond(axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        // A body over the limit fails here with 413, which `problem::finish` explains.
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        parse(&bytes)
            .map(Json)
            .map_err(|e| Problem(e).into_response())
    }
}

/// Parses `bytes` as `T`; the error names the JSON path that failed.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> caas_core::Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("the body is not valid JSON: {inner}")
        } else {
            format!("invalid value: {inner}")
        };
        let error = Error::invalid_input(message);
        if path.is_empty() || path == "." {
            error
        } else {
            error.with_field(path)
        }
    })
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Body {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Inner {
        count: u32,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Body>(br#"{"name": "a", "inner": {"count": "x"}}"#).unwrap_err();
        assert_eq!(e.field(), Some("inner.count"));
        let e = parse::<Body>(br#"{"name": 1, "inner": {"count": 1}}"#).unwrap_err();
        assert_eq!(e.field(), Some("name"));
        let e = parse::<Body>(br#"{"name": "a""#).unwrap_err();
        assert!(e.message().contains("not valid JSON"), "{e}");
        assert!(parse::<Body>(br#"{"name": "a", "inner": {"count": 1}}"#).is_ok());
    }
}
