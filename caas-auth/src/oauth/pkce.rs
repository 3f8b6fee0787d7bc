//! PKCE (RFC 7636) with the `S256` method only: `plain` is refused, as
//! OAuth 2.0 Security BCP (RFC 9700) recommends.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_core::{Error, Result};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

/// Checks an authorization request's `code_challenge` and method: S256
/// only, 43 base64url characters.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<String> {
    let challenge = challenge.ok_or_else(|| {
        Error::invalid_input("PKCE is required: send `code_challenge` with method S256")
            .with_field("code_challenge")
    })?;
    if method != Some("S256") {
        return Err(
            Error::invalid_input("only the PKCE method S256 is accepted")
                .with_field("code_challenge_method"),
        );
    }
    let ok = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if !ok {
        return Err(
            Error::invalid_input("`code_challenge` must be 43 base64url characters")
                .with_field("code_challenge"),
        );
    }
    Ok(challenge.to_owned())
}

/// Whether `verifier` (43–128 unreserved characters, RFC 7636 §4.1)
/// matches `challenge`, compared in constant time.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && s256_challenge(verifier)
            .as_bytes()
            .ct_eq(challenge.as_bytes())
            .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_appendix_b() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert!(verify(VERIFIER, CHALLENGE));
        assert!(!verify(&VERIFIER.replace('d', "e"), CHALLENGE));
        assert!(!verify("short", CHALLENGE));
    }

    #[test]
    fn only_s256_challenges_are_accepted() {
        assert_eq!(
            check_challenge(Some(CHALLENGE), Some("S256")).unwrap(),
            CHALLENGE
        );
        for (c, m, field) in [
            (None, Some("S256"), "code_challenge"),
            (Some(CHALLENGE), Some("plain"), "code_challenge_method"),
            (Some(CHALLENGE), None, "code_challenge_method"),
            (Some("too-short"), Some("S256"), "code_challenge"),
        ] {
            assert_eq!(check_challenge(c, m).unwrap_err().field(), Some(field));
        }
    }
}
