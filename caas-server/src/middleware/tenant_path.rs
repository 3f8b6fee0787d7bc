//! `/t/{slug}/v1/…`: every `/v1/…` route also answers under the tenant's
//! path prefix. This runs before routing (it wraps the router as a
//! service): the URI becomes `/v1/…`, and the original path travels in
//! [`TenantPath`] so that tenant resolution still reads the slug from it (a
//! disagreeing `X-Tenant-ID` is a 400, as for every source) and problems
//! name the path the caller used. The tenant's OpenID Provider routes
//! (`/t/{slug}/oauth2/…`, `/t/{slug}/.well-known/…`) are routes of their
//! own and pass unchanged.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// The path as the caller sent it, when [`rewrite`] shortened it.
#[derive(Debug, Clone)]
pub struct TenantPath(pub String);

/// `/t/{slug}/v1/…` → `/v1/…` (query kept); anything else unchanged.
pub fn rewrite(mut request: Request) -> Request {
    let Some(inner) = api_path(request.uri().path()) else {
        return request;
    };
    let original = request.uri().path().to_owned();
    let path_and_query = match request.uri().query() {
        Some(q) => format!("{inner}?{q}"),
        None => inner.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    let Ok(pq) = PathAndQuery::try_from(path_and_query) else {
        return request;
    };
    parts.path_and_query = Some(pq);
    let Ok(uri) = Uri::from_parts(parts) else {
        return request;
    };
    *request.uri_mut() = uri;
    request.extensions_mut().insert(TenantPath(original));
    request
}

/// The `/v1/…` part of a `/t/{slug}/v1/…` path.
fn api_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/t/")?;
    let slash = rest.find('/')?;
    let inner = &rest[slash..];
    (slash > 0 && (inner == "/v1" || inner.starts_with("/v1/"))).then_some(inner)
}

/// The path the caller used: the original of a rewritten request.
pub fn caller_path(request: &Request) -> &str {
    request
        .extensions()
        .get::<TenantPath>()
        .map_or_else(|| request.uri().path(), |p| p.0.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(uri: &str) -> (String, Option<String>) {
        let r = rewrite(
            Request::builder()
                .uri(uri)
                .body(Default::default())
                .unwrap(),
        );
        (
            r.uri().to_string(),
            r.extensions().get::<TenantPath>().map(|p| p.0.clone()),
        )
    }

    #[test]
    fn only_the_api_under_a_tenant_prefix_is_rewritten() {
        assert_eq!(
            rewritten("/t/acme/v1/users?limit=5"),
            ("/v1/users?limit=5".into(), Some("/t/acme/v1/users".into()))
        );
        assert_eq!(rewritten("/t/acme/v1").0, "/v1");
        for same in [
            "/t/acme/oauth2/token",
            "/t/acme/.well-known/openid-configuration",
            "/t/acme/v10/x",
            "/t//v1/users",
            "/v1/users",
            "/t/acme",
        ] {
            assert_eq!(rewritten(same), (same.to_owned(), None), "{same}");
        }
    }
}
