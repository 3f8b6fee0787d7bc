//! Key distribution: `/v1/keys/devices/{device_id}…` (my devices) and
//! `/v1/keys/users/{user_id}/bundles` (a user's prekey bundles).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use caas_core::Result;
use caas_crypto::e2e::{IdentityKey, OneTimePrekey, SignedPrekey};
use caas_crypto::prekeys::{DeviceBundle, DeviceKeys};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{decode_array, encode};
use crate::extract::UserAccess;
use crate::json::Json;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;

/// A signed prekey: X25519 public key and the identity key's Ed25519
/// signature over its 32 bytes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPrekeyView {
    /// Id chosen by the device.
    pub id: u32,
    /// 32 bytes, base64url.
    pub public_key: String,
    /// 64 bytes, base64url.
    pub signature: String,
}

/// A one-time prekey.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneTimePrekeyView {
    /// Id chosen by the device, unique per device.
    pub id: u32,
    /// 32 bytes, base64url.
    pub public_key: String,
}

/// `PUT /v1/keys/devices/{device_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishDevice {
    /// The device's Ed25519 identity key (32 bytes, base64url); pinned once published.
    pub identity_key: String,
    /// The current signed prekey (its signature is verified).
    pub signed_prekey: SignedPrekeyView,
    /// One-time prekeys to add (at most 100 per request, 1000 stored).
    #[serde(default)]
    pub one_time_prekeys: Vec<OneTimePrekeyView>,
    /// Replace a different pinned identity key (a reinstalled device). Its
    /// contacts' safety numbers change; the event `e2e.identity.changed` is sent.
    #[serde(default)]
    pub replace_identity: bool,
}

/// `POST /v1/keys/devices/{device_id}/prekeys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPrekeys {
    /// One-time prekeys to add (1 to 100).
    pub one_time_prekeys: Vec<OneTimePrekeyView>,
}

/// A device's key state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceStatus {
    /// The user.
    pub user_id: String,
    /// The device.
    pub device_id: String,
    /// Unclaimed one-time prekeys on the server.
    pub one_time_prekeys: u64,
}

/// One device's prekey bundle.
#[derive(Debug, Serialize, ToSchema)]
pub struct BundleView {
    /// The device.
    pub device_id: String,
    /// Ed25519 identity key (32 bytes, base64url).
    pub identity_key: String,
    /// The signed prekey.
    pub signed_prekey: SignedPrekeyView,
    /// A one-time prekey handed out to this request alone; absent when the
    /// device has none left (X3DH then runs without DH4).
    pub one_time_prekey: Option<OneTimePrekeyView>,
}

/// A user's bundles.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bundles {
    /// The user.
    pub user_id: String,
    /// One bundle per device that published keys (empty if none did).
    pub devices: Vec<BundleView>,
}

fn one_time(views: &[OneTimePrekeyView]) -> Result<Vec<OneTimePrekey>> {
    views
        .iter()
        .map(|k| {
            Ok(OneTimePrekey {
                id: k.id,
                key: decode_array(&k.public_key, "one_time_prekeys.public_key")?,
            })
        })
        .collect()
}

fn bundle_view(d: DeviceBundle) -> BundleView {
    let b = d.bundle;
    BundleView {
        device_id: d.device_id,
        identity_key: encode(&b.identity.to_bytes()),
        signed_prekey: SignedPrekeyView {
            id: b.signed_prekey.id,
            public_key: encode(&b.signed_prekey.key),
            signature: encode(&b.signed_prekey.signature),
        },
        one_time_prekey: b.one_time_prekey.map(|k| OneTimePrekeyView {
            id: k.id,
            public_key: encode(&k.key),
        }),
    }
}

async fn status(state: &AppState, access: &UserAccess, device: String) -> Result<DeviceStatus> {
    let one_time_prekeys = state
        .prekeys
        .count(&access.tenant.id, &access.principal.subject, &device)
        .await?;
    Ok(DeviceStatus {
        user_id: access.principal.subject.clone(),
        device_id: device,
        one_time_prekeys,
    })
}

/// Publish my device's keys.
///
/// Creates the device (201) or updates its signed prekey and adds one-time
/// prekeys (200). A different identity key is refused with 409
/// `identity_key_changed` unless `replace_identity` is set.
#[utoipa::path(put, path = "/v1/keys/devices/{device_id}", operation_id = "publish_device_keys", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("device_id" = String, Path, description = "1–128 of A-Z, a-z, 0-9, `-`, `_`, `.`")),
    request_body = PublishDevice,
    responses(
        (status = 200, description = "Updated", body = DeviceStatus),
        (status = 201, description = "Created", body = DeviceStatus),
        (status = 400, description = "Malformed keys or a signature that does not verify", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a user of the tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The identity key changed, or a prekey id is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    access: UserAccess,
    Path(device): Path<String>,
    Json(body): Json<PublishDevice>,
) -> Result<(StatusCode, Json<DeviceStatus>), Problem> {
    let keys = DeviceKeys {
        identity: IdentityKey::from_bytes(&decode_array(&body.identity_key, "identity_key")?)
            .map_err(|e| caas_core::Error::from(e).with_field("identity_key"))?,
        signed_prekey: SignedPrekey {
            id: body.signed_prekey.id,
            key: decode_array(&body.signed_prekey.public_key, "signed_prekey.public_key")?,
            signature: decode_array(&body.signed_prekey.signature, "signed_prekey.signature")?,
        },
        one_time_prekeys: one_time(&body.one_time_prekeys)?,
    };
    let (tenant, user) = (&access.tenant, &access.principal.subject);
    let done = state
        .prekeys
        .publish(&tenant.id, user, &device, &keys, body.replace_identity)
        .await?;
    let code = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(status(&state, &access, device).await?)))
}

/// Reset my device: forget its keys (it may then publish a new identity).
#[utoipa::path(delete, path = "/v1/keys/devices/{device_id}", operation_id = "reset_device_keys", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("device_id" = String, Path, description = "The device")),
    responses(
        (status = 204, description = "Reset; the event `e2e.device.reset` is sent"),
        (status = 404, description = "The device published no keys", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn reset(
    State(state): State<AppState>,
    access: UserAccess,
    Path(device): Path<String>,
) -> Result<StatusCode, Problem> {
    let user = &access.principal.subject;
    state
        .prekeys
        .reset(&access.tenant.id, user, &device)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add one-time prekeys to my device.
#[utoipa::path(post, path = "/v1/keys/devices/{device_id}/prekeys", operation_id = "add_one_time_prekeys", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("device_id" = String, Path, description = "The device")),
    request_body = AddPrekeys,
    responses(
        (status = 200, description = "Added", body = DeviceStatus),
        (status = 400, description = "Malformed keys, or more than the device may hold", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "The device published no keys", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A prekey id is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn add_prekeys(
    State(state): State<AppState>,
    access: UserAccess,
    Path(device): Path<String>,
    Json(body): Json<AddPrekeys>,
) -> Result<Json<DeviceStatus>, Problem> {
    if body.one_time_prekeys.is_empty() {
        return Err(Problem(
            caas_core::Error::invalid_input("send 1 to 100 one-time prekeys")
                .with_field("one_time_prekeys"),
        ));
    }
    let keys = one_time(&body.one_time_prekeys)?;
    let one_time_prekeys = state
        .prekeys
        .replenish(&access.tenant.id, &access.principal.subject, &device, &keys)
        .await?;
    Ok(Json(DeviceStatus {
        user_id: access.principal.subject,
        device_id: device,
        one_time_prekeys,
    }))
}

/// How many one-time prekeys my device has left on the server.
#[utoipa::path(get, path = "/v1/keys/devices/{device_id}/prekeys/count", operation_id = "count_one_time_prekeys", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("device_id" = String, Path, description = "The device")),
    responses((status = 200, description = "The count", body = DeviceStatus)))]
pub async fn count(
    State(state): State<AppState>,
    access: UserAccess,
    Path(device): Path<String>,
) -> Result<Json<DeviceStatus>, Problem> {
    Ok(Json(status(&state, &access, device).await?))
}

/// A user's prekey bundles, one per device, to start sessions with them.
/// Each one-time prekey is handed out at most once.
#[utoipa::path(get, path = "/v1/keys/users/{user_id}/bundles", operation_id = "get_prekey_bundles", tag = "e2e",
    security(("bearer" = [])),
    params(("x-tenant-id" = String, Header, description = "The tenant's id or slug"),
        ("user_id" = String, Path, description = "The user")),
    responses((status = 200, description = "The bundles", body = Bundles)))]
pub async fn bundles(
    State(state): State<AppState>,
    access: UserAccess,
    Path(user): Path<String>,
) -> Result<Json<Bundles>, Problem> {
    let devices = state.prekeys.bundles(&access.tenant.id, &user).await?;
    Ok(Json(Bundles {
        user_id: user,
        devices: devices.into_iter().map(bundle_view).collect(),
    }))
}
