//! A resource server's token verifier that fetches the issuer's keys over
//! HTTP: [`caas_auth::tokens::RemoteVerifier`] on the platform's outbound
//! client.

use std::sync::Arc;
use std::time::Duration;

use caas_auth::tokens::{RemoteConfig, RemoteVerifier};
use caas_core::{Result, SystemClock};
use caas_webhooks::Outbound;

use crate::federation::OutboundUpstream;

/// A verifier for `config.issuer`'s tokens that finds its JWKS through the
/// discovery document, over HTTP(S) with a 10 s timeout and 1 MiB answers.
/// The issuer is the developer's choice, not a tenant's, so private
/// addresses (a CAAS server on the same network) are allowed.
pub async fn verifier_from_issuer(config: RemoteConfig) -> Result<RemoteVerifier> {
    let outbound = Outbound::new(Duration::from_secs(10), true)?;
    RemoteVerifier::from_issuer(
        config,
        Arc::new(OutboundUpstream(outbound)),
        SystemClock::shared(),
    )
    .await
}
