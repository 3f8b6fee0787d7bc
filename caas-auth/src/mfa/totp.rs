//! TOTP (RFC 6238) over HOTP (RFC 4226): SHA-1, 6 digits and 30-second steps
//! by default; codes compared in constant time, ±1 step of drift, and a
//! step accepted once only (the caller stores the last step used).

use caas_core::{Error, Result};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The HMAC hash of a TOTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1 (the default; what authenticator apps expect).
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    fn uri_name(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }
}

/// A TOTP generator/verifier for one secret.
#[derive(Clone)]
pub struct Totp {
    secret: Zeroizing<Vec<u8>>,
    algorithm: TotpAlgorithm,
    digits: u32,
    step: u64,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

fn hmac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    let mut mac = <M as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::internal("an HMAC key was refused"))?;
    mac.update(message);
    Ok(mac.finalize().into_bytes().to_vec())
}

impl Totp {
    /// A TOTP with a new random 160-bit secret and the default parameters.
    pub fn generate() -> Self {
        let mut secret = Zeroizing::new(vec![0u8; 20]);
        rand::fill(&mut secret[..]);
        Totp::new(secret, TotpAlgorithm::Sha1, 6, 30)
    }

    /// A TOTP with these parameters.
    pub fn new(
        secret: Zeroizing<Vec<u8>>,
        algorithm: TotpAlgorithm,
        digits: u32,
        step: u64,
    ) -> Self {
        Totp {
            secret,
            algorithm,
            digits: digits.clamp(6, 8),
            step: step.max(1),
        }
    }

    /// The secret (for sealed storage).
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The secret in base32 without padding, as authenticator apps take it.
    pub fn secret_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.secret))
    }

    /// The step number of unix time `secs`.
    pub fn step_at(&self, secs: i64) -> u64 {
        u64::try_from(secs).unwrap_or(0) / self.step
    }

    /// The HOTP value for counter `step` (RFC 4226 §5.3 dynamic truncation).
    pub fn code_for_step(&self, step: u64) -> Result<String> {
        let counter = step.to_be_bytes();
        let mac = match self.algorithm {
            TotpAlgorithm::Sha1 => hmac::<Hmac<sha1::Sha1>>(&self.secret, &counter)?,
            TotpAlgorithm::Sha256 => hmac::<Hmac<sha2::Sha256>>(&self.secret, &counter)?,
            TotpAlgorithm::Sha512 => hmac::<Hmac<sha2::Sha512>>(&self.secret, &counter)?,
        };
        let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
        let bytes: [u8; 4] = mac
            .get(offset..offset + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::internal("an HMAC output is too short"))?;
        let binary = u32::from_be_bytes(bytes) & 0x7fff_ffff;
        let code = binary % 10u32.pow(self.digits);
        Ok(format!("{code:0width$}", width = self.digits as usize))
    }

    /// The code at unix time `secs`.
    pub fn code_at(&self, secs: i64) -> Result<String> {
        self.code_for_step(self.step_at(secs))
    }

    /// Checks `code` at unix time `secs` with ±1 step of drift; returns the
    /// matching step if it is later than `last_used` (a step is accepted
    /// once: store the returned one as the new `last_used`).
    pub fn verify(&self, code: &str, secs: i64, last_used: Option<u64>) -> Result<Option<u64>> {
        let code = code.trim();
        if code.len() != self.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let now = self.step_at(secs);
        let mut found = None;
        // Every candidate is computed and compared, whichever matches.
        for step in [now.saturating_sub(1), now, now + 1] {
            let expected = self.code_for_step(step)?;
            let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            if same && last_used.is_none_or(|last| step > last) && found.is_none() {
                found = Some(step);
            }
        }
        Ok(found)
    }

    /// The `otpauth://` URI for enrollment (Key Uri Format).
    pub fn uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        Zeroizing::new(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
            enc(issuer),
            enc(account),
            self.secret_base32().as_str(),
            enc(issuer),
            self.algorithm.uri_name(),
            self.digits,
            self.step
        ))
    }

    /// The enrollment URI as an SVG QR code.
    pub fn qr_svg(&self, issuer: &str, account: &str) -> Result<Zeroizing<String>> {
        let code = qrcode::QrCode::new(self.uri(issuer, account).as_bytes())
            .map_err(|e| Error::internal(format!("cannot draw the QR code: {e}")))?;
        Ok(Zeroizing::new(
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: (time, SHA-1, SHA-256, SHA-512), 8 digits.
    const VECTORS: [(i64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];

    fn seed(len: usize) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(b"1234567890".iter().copied().cycle().take(len).collect())
    }

    #[test]
    fn rfc_6238_appendix_b() {
        let sha1 = Totp::new(seed(20), TotpAlgorithm::Sha1, 8, 30);
        let sha256 = Totp::new(seed(32), TotpAlgorithm::Sha256, 8, 30);
        let sha512 = Totp::new(seed(64), TotpAlgorithm::Sha512, 8, 30);
        for (t, a, b, c) in VECTORS {
            assert_eq!(sha1.code_at(t).unwrap(), a, "SHA-1 at {t}");
            assert_eq!(sha256.code_at(t).unwrap(), b, "SHA-256 at {t}");
            assert_eq!(sha512.code_at(t).unwrap(), c, "SHA-512 at {t}");
        }
    }

    #[test]
    fn drift_replay_and_junk() {
        let totp = Totp::generate();
        let t = 1_700_000_000;
        let code = totp.code_at(t).unwrap();
        let step = totp.verify(&code, t, None).unwrap().unwrap();
        assert_eq!(totp.verify(&code, t, Some(step)).unwrap(), None, "replay");
        assert!(
            totp.verify(&code, t + 30, None).unwrap().is_some(),
            "one step late"
        );
        assert!(
            totp.verify(&code, t - 30, None).unwrap().is_some(),
            "one step early"
        );
        assert_eq!(
            totp.verify(&code, t + 61, None).unwrap(),
            None,
            "two steps late"
        );
        for junk in ["", "12345", "1234567", "abcdef"] {
            assert_eq!(totp.verify(junk, t, None).unwrap(), None);
        }
        let uri = totp.uri("Acme Inc", "ana@example.com");
        assert!(uri.starts_with("otpauth://totp/Acme%20Inc:ana%40example.com?secret="));
        assert!(uri.ends_with("&issuer=Acme%20Inc&algorithm=SHA1&digits=6&period=30"));
        let svg = totp.qr_svg("Acme", "ana").unwrap();
        assert!(svg.contains("<svg"));
    }
}
