//! [`Session`], its [`Fingerprint`] and the [`SessionPolicy`].

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use caas_core::{PrincipalKind, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Idle and absolute timeouts, and how many sessions a user may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends (default 7 days).
    pub idle: Duration,
    /// A session ends this long after login, used or not (default 30 days).
    pub absolute: Duration,
    /// The most active sessions per user; a new login ends the oldest
    /// beyond it (default 50).
    pub max_per_user: usize,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(7 * 24 * 3600),
            absolute: Duration::from_secs(30 * 24 * 3600),
            max_per_user: 50,
        }
    }
}

/// Client hints kept in a fingerprint (RFC 8942 / UA-CH).
const HINTS: [&str; 4] = [
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "sec-ch-ua-model",
];

/// What identifies the device a session was opened from, coarsely: the user
/// agent, the client hints, and the network prefix of the IP (/24 for IPv4,
/// /48 for IPv6) — never the full address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `User-Agent` (at most 512 characters).
    pub user_agent: String,
    /// `Sec-CH-UA*` hints that were sent.
    pub client_hints: BTreeMap<String, String>,
    /// The client's network prefix, e.g. `192.0.2.0/24`.
    pub ip_prefix: String,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

impl Fingerprint {
    /// A fingerprint from request data; `headers` are (name, value) pairs,
    /// of which only the client hints are kept.
    pub fn new<'a>(
        user_agent: Option<&str>,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        ip: Option<IpAddr>,
    ) -> Self {
        let client_hints = headers
            .into_iter()
            .filter_map(|(name, value)| {
                let name = name.to_ascii_lowercase();
                HINTS
                    .contains(&name.as_str())
                    .then(|| (name, clip(value, 128)))
            })
            .collect();
        let ip_prefix = match ip {
            Some(IpAddr::V4(v4)) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
            None => String::new(),
        };
        Fingerprint {
            user_agent: clip(user_agent.unwrap_or_default(), 512),
            client_hints,
            ip_prefix,
        }
    }
}

/// What a login opens.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    /// The user (or guest) id.
    pub user_id: String,
    /// User or guest.
    pub kind: PrincipalKind,
    /// The device.
    pub fingerprint: Fingerprint,
    /// Free metadata (at most 4 KiB serialized).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// How the user authenticated (`pwd`, `otp`, …).
    pub amr: Vec<String>,
}

/// A login session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Id: the `sid` of its tokens.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The user (or guest).
    pub user_id: String,
    /// User or guest.
    pub kind: PrincipalKind,
    /// The device it was opened from.
    pub fingerprint: Fingerprint,
    /// Metadata.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// When the user authenticated.
    pub auth_time: Timestamp,
    /// Opened.
    pub created_at: Timestamp,
    /// Last used (login or refresh).
    pub last_seen_at: Timestamp,
    /// Ends if unused until then.
    pub idle_until: Timestamp,
    /// Ends then at the latest.
    pub expires_at: Timestamp,
    /// When it was ended (logout, reuse detection, …).
    pub ended_at: Option<Timestamp>,
    /// Why it was ended.
    pub ended_reason: Option<String>,
}

impl Session {
    /// Whether it is usable at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.ended_at.is_none() && now < self.idle_until && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_keeps_prefixes_and_hints_only() {
        let f = Fingerprint::new(
            Some("Mozilla/5.0\n"),
            [("Sec-CH-UA-Platform", "\"Linux\""), ("Cookie", "secret=1")],
            Some("192.0.2.77".parse().unwrap()),
        );
        assert_eq!(f.user_agent, "Mozilla/5.0");
        assert_eq!(f.ip_prefix, "192.0.2.0/24");
        assert_eq!(f.client_hints.len(), 1);
        assert_eq!(f.client_hints["sec-ch-ua-platform"], "\"Linux\"");
        let v6 = Fingerprint::new(None, [], Some("2001:db8:aa:bb::1".parse().unwrap()));
        assert_eq!(v6.ip_prefix, "2001:db8:aa::/48");
    }
}
