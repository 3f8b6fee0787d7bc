//! Federation's HTTP: caas-auth's [`Upstream`] over caas-webhooks'
//! address-checked [`Outbound`] client — the same policy as webhooks, so a
//! tenant cannot point an "issuer" at the platform's own network; responses
//! are capped at 1 MiB.

use async_trait::async_trait;
use caas_auth::federation::{Upstream, UpstreamRequest, UpstreamResponse};
use caas_core::{Error, Result};

use caas_webhooks::Outbound;

/// The largest upstream answer read.
const MAX_BODY: usize = 1024 * 1024;

/// Upstream identity providers reached through [`Outbound`].
#[derive(Debug, Clone)]
pub(crate) struct OutboundUpstream(pub(crate) Outbound);

fn failed(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::unavailable(message).with_code("upstream_failed")
}

#[async_trait]
impl Upstream for OutboundUpstream {
    fn check_url(&self, url: &str) -> Result<url::Url> {
        self.0.check_url(url)
    }

    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse> {
        let url = self.0.check_url(&request.uri().to_string())?;
        let (parts, body) = request.into_parts();
        let mut builder = self.0.client().request(parts.method, url.clone());
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let mut response = builder.body(body).send().await.map_err(|e| {
            failed(format!(
                "cannot reach the identity provider at {}: {e}",
                url.host_str().unwrap_or("?")
            ))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| failed(format!("the identity provider's answer broke off: {e}")))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(failed("the identity provider's answer is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        let mut out = http::Response::builder().status(status);
        for (name, value) in &headers {
            out = out.header(name, value);
        }
        out.body(body)
            .map_err(|_| failed("the identity provider's answer is malformed"))
    }
}

/// Federation on `backends`, reaching upstream providers through the
/// address-checked client (`allow_private` lifts the address policy).
pub(crate) fn federation(
    backends: &crate::Backends,
    clock: &caas_core::SharedClock,
    keys: std::sync::Arc<caas_crypto::SqlKeyManager>,
    auth: &caas_auth::Auth,
    allow_private: bool,
) -> Result<caas_auth::federation::Federation> {
    use caas_auth::federation::{FederatedLinks, Federation, IdentityProviders};
    let outbound = Outbound::new(std::time::Duration::from_secs(10), allow_private)?;
    Ok(Federation::new(
        IdentityProviders::new(backends.db.clone(), keys, clock.clone()),
        FederatedLinks::new(backends.db.clone(), clock.clone()),
        backends.kv.clone(),
        std::sync::Arc::new(OutboundUpstream(outbound)),
        auth.clone(),
    ))
}
