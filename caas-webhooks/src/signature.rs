//! `X-CAAS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//!
//! Receivers recompute the HMAC over the timestamp, a dot and the raw body,
//! compare in constant time, and refuse timestamps outside a tolerance
//! window (five minutes is usual) so a captured delivery cannot be replayed
//! later. [`verify`] does exactly that.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use caas_core::{Error, Result};

/// The signature header.
pub const HEADER: &str = "x-caas-signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Result<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .map_err(|_| Error::internal("the webhook secret cannot key HMAC"))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// The header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let tag = mac(secret, timestamp, body)?.finalize().into_bytes();
    Ok(format!("t={timestamp},v1={}", hex::encode(tag)))
}

/// Checks a header value against `body`; `now` and `tolerance_secs` bound the
/// timestamp. Several `v1=` entries are allowed (during secret rotation).
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<()> {
    let invalid = |why: &str| Error::invalid_token(format!("webhook signature {why}"));
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => tags.push(v),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| invalid("has no timestamp"))?;
    if (now - timestamp).abs() > tolerance_secs {
        return Err(invalid("is too old or from the future"));
    }
    for tag in tags {
        let Ok(bytes) = hex::decode(tag) else {
            continue;
        };
        if mac(secret, timestamp, body)?.verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(invalid("does not match"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_bind_time_body_and_secret() {
        let header = sign("whsec_test", 1_700_000_000, b"{\"a\":1}").unwrap();
        assert!(header.starts_with("t=1700000000,v1="));
        verify("whsec_test", &header, b"{\"a\":1}", 1_700_000_100, 300).unwrap();
        assert!(verify("whsec_test", &header, b"{\"a\":2}", 1_700_000_100, 300).is_err());
        assert!(verify("whsec_other", &header, b"{\"a\":1}", 1_700_000_100, 300).is_err());
        assert!(verify("whsec_test", &header, b"{\"a\":1}", 1_700_000_400, 300).is_err());
        let forged = header.replace("t=1700000000", "t=1700000300");
        assert!(verify("whsec_test", &forged, b"{\"a\":1}", 1_700_000_300, 300).is_err());
    }

    #[test]
    fn matches_an_independent_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
