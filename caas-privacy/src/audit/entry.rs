//! What one audit log entry holds: the leaf bytes that the tree hashes, and
//! the readable entry an API returns.
//!
//! The leaf is canonical JSON (fields in a fixed order). Personal data —
//! actor, target and details — is sealed under the subject's own key
//! (caas-crypto's per-subject keys) whenever the event has a subject (the
//! actor, else the target), so erasing the subject shreds it while the leaf
//! bytes, and so the tree, stay unchanged. Events without a subject keep
//! those fields in the clear.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use caas_core::{Outcome, Result, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Leaf format version.
pub(crate) const LEAF_VERSION: u8 = 1;

/// The personal part of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Personal {
    pub(crate) actor: Option<String>,
    pub(crate) target: Option<String>,
    pub(crate) details: serde_json::Value,
}

/// The bytes the tree hashes, as a structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Leaf {
    pub(crate) v: u8,
    pub(crate) id: Uuid,
    pub(crate) at: i64,
    pub(crate) action: String,
    pub(crate) outcome: Outcome,
    pub(crate) request_id: Option<String>,
    /// The personal part in the clear (events without a subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) clear: Option<Personal>,
    /// The personal part sealed under the subject's key, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sealed: Option<String>,
}

impl Leaf {
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec(self)?)
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes)
            .map_err(|e| caas_core::Error::internal(format!("an audit entry does not parse: {e}")))
    }

    pub(crate) fn sealed_bytes(&self) -> Result<Option<Vec<u8>>> {
        self.sealed
            .as_deref()
            .map(|s| {
                B64.decode(s)
                    .map_err(|_| caas_core::Error::internal("a sealed audit field is not base64"))
            })
            .transpose()
    }
}

/// One entry of a tenant's audit log, as read back.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log (0-based): the leaf index.
    pub index: u64,
    /// The event id.
    pub id: Uuid,
    /// When it happened.
    pub at: Timestamp,
    /// Dotted action name.
    pub action: String,
    /// `success`, `failure` or `denied`.
    pub outcome: Outcome,
    /// The request it happened in.
    pub request_id: Option<String>,
    /// The acting principal (absent when erased).
    pub actor: Option<String>,
    /// What was acted on (absent when erased).
    pub target: Option<String>,
    /// Further facts (null when erased).
    pub details: serde_json::Value,
    /// The personal part was erased with its subject's key.
    pub erased: bool,
    /// The leaf hash, hex: what inclusion proofs prove.
    pub leaf_hash: String,
}
