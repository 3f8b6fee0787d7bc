//! [`Upstream`]: how federation reaches identity providers. The server
//! supplies its address-checked HTTP client, so a tenant cannot point an
//! issuer URL at the server's own network.

use async_trait::async_trait;
use caas_core::Result;

/// An HTTP request to an upstream provider.
pub type UpstreamRequest = http::Request<Vec<u8>>;
/// Its response.
pub type UpstreamResponse = http::Response<Vec<u8>>;

/// Sends requests to upstream identity providers.
#[async_trait]
pub trait Upstream: Send + Sync + std::fmt::Debug {
    /// Checks that `url` may be called (scheme, address policy).
    fn check_url(&self, url: &str) -> Result<url::Url>;

    /// Sends `request` (no redirects followed; bounded time and size).
    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse>;
}

/// An upstream failure, shown to the person logging in.
pub(crate) fn failed(message: impl Into<std::borrow::Cow<'static, str>>) -> caas_core::Error {
    caas_core::Error::unavailable(message).with_code("upstream_failed")
}

/// GETs `url` and parses its JSON body (with an optional bearer token).
pub(crate) async fn get_json(
    upstream: &dyn Upstream,
    url: &str,
    bearer: Option<&str>,
) -> Result<serde_json::Value> {
    let checked = upstream.check_url(url)?;
    let mut builder = http::Request::get(checked.as_str())
        .header("accept", "application/json")
        .header("user-agent", "caas-federation");
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let request = builder
        .body(Vec::new())
        .map_err(|_| failed("cannot build a request to the identity provider"))?;
    let response = upstream.send(request).await?;
    if !response.status().is_success() {
        return Err(failed(format!(
            "the identity provider answered {} at {}",
            response.status(),
            checked.host_str().unwrap_or("?")
        )));
    }
    serde_json::from_slice(response.body())
        .map_err(|_| failed("the identity provider's answer is not JSON"))
}
