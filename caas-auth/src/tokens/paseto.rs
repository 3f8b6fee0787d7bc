//! The claims of a PASETO v4.public token: the same as a JWT's, except that
//! `exp`, `nbf` and `iat` are RFC 3339 times, as the PASETO specification
//! registers them.

use caas_core::{Error, Result, Timestamp};
use serde_json::Value;

use super::claims::Claims;

const TIMES: [&str; 3] = ["exp", "nbf", "iat"];

/// The payload JSON of `claims`.
pub(crate) fn payload(claims: &Claims) -> Result<String> {
    let mut value = serde_json::to_value(claims)?;
    for name in TIMES {
        if let Some(v) = value.get_mut(name)
            && let Some(secs) = v.as_i64()
        {
            let time = Timestamp::from_millis(secs.saturating_mul(1000));
            *v = serde_json::to_value(time)?;
        }
    }
    Ok(value.to_string())
}

/// The claims of a verified payload.
pub(crate) fn claims(payload: &str) -> Result<Claims> {
    let mut value: Value = serde_json::from_str(payload)
        .map_err(|_| Error::invalid_input("the token's payload is not JSON"))?;
    for name in TIMES {
        if let Some(v) = value.get_mut(name)
            && v.is_string()
        {
            let time: Timestamp = serde_json::from_value(v.take())
                .map_err(|_| Error::invalid_input(format!("`{name}` is not an RFC 3339 time")))?;
            *v = Value::from(time.as_secs());
        }
    }
    serde_json::from_value(value)
        .map_err(|_| Error::invalid_input("the token's claims are malformed"))
}
