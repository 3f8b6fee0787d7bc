//! End-to-end encryption routes: key distribution (`/v1/keys/…`) and the
//! mailbox (`/v1/messages…`). The server holds public keys and ciphertext
//! only. Binary values travel as base64url (RFC 4648 §5; padding optional).

pub mod keys;
pub mod messages;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use caas_core::{Error, Result};
use utoipa_axum::routes;

use super::declare::{Anyone, Routes};

/// base64url without padding out, with or without it in.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes bytes for the wire.
pub(crate) fn encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Decodes a base64url field.
pub(crate) fn decode(value: &str, field: &str) -> Result<Vec<u8>> {
    B64.decode(value).map_err(|_| {
        Error::invalid_input(format!("`{field}` is not base64url")).with_field(field.to_owned())
    })
}

/// Decodes a base64url field of exactly `N` bytes.
pub(crate) fn decode_array<const N: usize>(value: &str, field: &str) -> Result<[u8; N]> {
    let bytes = decode(value, field)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
        Error::invalid_input(format!("`{field}` must be {N} bytes, got {}", bytes.len()))
            .with_field(field.to_owned())
    })
}

/// Devices, bundles and the mailbox: a user acting for itself.
pub(super) fn routes(r: Routes) -> Routes {
    r.add(Anyone, routes!(keys::publish, keys::reset))
        .add(Anyone, routes!(keys::add_prekeys))
        .add(Anyone, routes!(keys::count))
        .add(Anyone, routes!(keys::bundles))
        .add(Anyone, routes!(messages::send, messages::inbox))
        .add(Anyone, routes!(messages::ack))
}
