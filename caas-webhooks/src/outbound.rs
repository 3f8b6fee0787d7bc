//! Outbound HTTP with an address policy: the one client CAAS uses to call
//! URLs that tenants supply (webhook deliveries, and through the `caas`
//! facade federation's discovery, JWKS and token requests).
//!
//! Unless the operator allows it, a target must be a public address: no
//! loopback, private (RFC 1918, unique-local), link-local (cloud metadata at
//! 169.254.169.254), shared (CGNAT), unspecified, multicast, broadcast,
//! documentation or benchmarking ranges. The check runs on the URL when it
//! is saved, and again on every address the name resolves to at connection
//! time (so DNS rebinding cannot slip past). Redirects are not followed;
//! proxies from the environment are not used.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use caas_core::{Error, Result};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The largest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// An HTTP client that only reaches allowed addresses.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    /// A client with `timeout` per request; `allow_private` lifts the address policy.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self> {
        // rustls on ring; a no-op if the process already chose a provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("caas/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()
            .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Outbound {
            client,
            allow_private,
        })
    }

    /// The underlying client; check URLs with [`Outbound::check_url`] first.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether the address policy is lifted.
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Parses and checks a target URL: `http`/`https`, no credentials in it,
    /// a host, and — unless allowed — not a literal non-public address.
    pub fn check_url(&self, raw: &str) -> Result<Url> {
        check_url(raw, self.allow_private)
    }
}

/// See [`Outbound::check_url`].
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url> {
    let bad = |why: &str| Error::invalid_input(format!("the URL {why}")).with_field("url");
    if raw.len() > MAX_URL_LEN {
        return Err(bad(&format!("is longer than {MAX_URL_LEN} characters")));
    }
    let url = Url::parse(raw).map_err(|e| bad(&format!("is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    let ip = match url.host() {
        None => return Err(bad("needs a host")),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(d)) => {
            if !allow_private && (d == "localhost" || d.ends_with(".localhost")) {
                return Err(bad("must not point at this machine"));
            }
            None
        }
    };
    if let Some(ip) = ip
        && !allow_private
        && !is_public(ip)
    {
        return Err(bad(&format!(
            "points at `{ip}`, which is not a public address"
        )));
    }
    Ok(url)
}

/// Whether `ip` is a globally reachable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 (embeds IPv4)
}

/// Resolves names and drops every non-public address (unless allowed).
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("`{host}` resolves to no public address").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_targets_are_refused() {
        for bad in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        for ok in [
            "https://example.com/hook",
            "http://93.184.216.34:8080/x",
            "https://[2606:4700::1]/",
        ] {
            check_url(ok, false).unwrap();
        }
        check_url("http://127.0.0.1:9/hook", true).unwrap();
    }

    #[tokio::test]
    async fn the_resolver_drops_private_answers() {
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(guarded.resolve(name).await.is_err());
        let open = GuardedResolver {
            allow_private: true,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(open.resolve(name).await.unwrap().next().is_some());
    }
}
