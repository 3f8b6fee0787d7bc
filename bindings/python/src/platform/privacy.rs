//! `platform.privacy`: consent, data-subject requests (export and erasure
//! over every crate's data), and the tenant's verifiable audit log.

use caas::Platform;
use caas::core::{ErasureMethod, SubjectRef};
use caas::privacy::audit::{ConsistencyProof, SignedCheckpoint};
use caas::privacy::{GiveConsent, NewHold, NewPurpose, NewRequest};
use pyo3::prelude::*;

use super::Tenant;
use super::auth::json;
use crate::convert::{Data, Json};

/// `platform.privacy`.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Privacy {
    pub(crate) platform: Platform,
}

fn erasure_method(text: &str) -> caas::core::Result<ErasureMethod> {
    match text {
        "delete" => Ok(ErasureMethod::Delete),
        "anonymize" => Ok(ErasureMethod::Anonymize),
        _ => Err(
            caas::core::Error::invalid_input("`method` must be `delete` or `anonymize`")
                .with_field("method"),
        ),
    }
}

/// Checks, offline, that the audit log of checkpoint `new` extends the log
/// of checkpoint `old` (both as `platform.privacy.audit_checkpoint`
/// answers them) by `proof` (`audit_consistency_proof`): both signatures
/// (with `trusted_key` when given, else the key they carry) and the proof.
/// False when anything does not hold.
#[pyfunction]
#[pyo3(signature = (old, new, proof, *, trusted_key = None))]
pub(crate) fn verify_audit_consistency(
    old: Data<SignedCheckpoint>,
    new: Data<SignedCheckpoint>,
    proof: Data<ConsistencyProof>,
    trusted_key: Option<&str>,
) -> bool {
    proof.0.verify(&old.0, &new.0, trusted_key).is_ok()
}

crate::platform::methods!(Privacy {
    /// Registers (or updates) a consent purpose: a dict as the API's
    /// `PUT /v1/privacy/purposes/{id}` takes.
    [tenant, purpose, *, by]
    fn put_purpose / aput_purpose(this, tenant: Tenant, purpose: Data<NewPurpose>, by: String) -> Json {
        json(&this.privacy.consents().put_purpose(&tenant.inner.id, purpose.0, &by).await?)
    }

    /// Records `subject`'s consent (`{"purpose": …, "method": …}` and the
    /// rest of the API's body).
    [tenant, subject, consent]
    fn give_consent / agive_consent(this, tenant: Tenant, subject: String, consent: Data<GiveConsent>) -> Json {
        json(&this.privacy.consents().give(&tenant.inner.id, &subject, consent.0).await?)
    }

    /// Withdraws `subject`'s consent to `purpose`.
    [tenant, subject, purpose, *, method = "api".to_owned()]
    fn withdraw_consent / awithdraw_consent(this, tenant: Tenant, subject: String, purpose: String, method: String) -> Json {
        json(&this.privacy.consents().withdraw(&tenant.inner.id, &subject, &purpose, &method).await?)
    }

    /// Whether `subject` consents to `purpose` now.
    [tenant, subject, purpose]
    fn has_consent / ahas_consent(this, tenant: Tenant, subject: String, purpose: String) -> bool {
        this.privacy.consents().has_consent(&tenant.inner.id, &subject, &purpose).await
    }

    /// Every consent record of `subject`.
    [tenant, subject]
    fn consents / aconsents(this, tenant: Tenant, subject: String) -> Json {
        json(&this.privacy.consents().list(&tenant.inner.id, &subject).await?)
    }

    /// Files a data-subject request (`{"kind": "access" | "erasure" | …}`
    /// and the rest of the API's body) by `by` for `subject`.
    [tenant, subject, request, *, by]
    fn submit_request / asubmit_request(this, tenant: Tenant, subject: String, request: Data<NewRequest>, by: String) -> Json {
        json(&this.privacy.requests().submit(&tenant.inner.id, &subject, request.0, &by).await?)
    }

    /// Records that the requester's identity was verified (a request is
    /// approved only after): the request.
    [tenant, request_id, *, by, note = None]
    fn verify_request / averify_request(this, tenant: Tenant, request_id: String, by: String, note: Option<String>) -> Json {
        json(&this.privacy.requests().verify(&tenant.inner.id, &request_id, &by, note).await?)
    }

    /// The tenant's data-subject requests (of `subject` only, when given),
    /// newest first.
    [tenant, *, subject = None]
    fn requests / arequests(this, tenant: Tenant, subject: Option<String>) -> Json {
        json(&this.privacy.requests().list(&tenant.inner.id, subject.as_deref()).await?)
    }

    /// One data-subject request.
    [tenant, request_id]
    fn request / arequest(this, tenant: Tenant, request_id: String) -> Json {
        json(&this.privacy.requests().get(&tenant.inner.id, &request_id).await?)
    }

    /// Approves (and so fulfils) a request.
    [tenant, request_id, *, by]
    fn approve_request / aapprove_request(this, tenant: Tenant, request_id: String, by: String) -> Json {
        json(&this.privacy.requests().approve(&tenant.inner.id, &request_id, &by).await?)
    }

    /// Every source's data about `subject`, as one document with its
    /// manifest: `{"document": …, "manifest": […]}`.
    [tenant, subject]
    fn export_subject / aexport_subject(this, tenant: Tenant, subject: String) -> Json {
        let who = SubjectRef::new(tenant.inner.id, subject);
        let (document, manifest) = this.privacy.requests().export_document(&who, "python").await?;
        Ok(Json(serde_json::json!({
            "document": document,
            "manifest": serde_json::to_value(&manifest).map_err(|e| caas::core::Error::internal(e.to_string()))?,
        })))
    }

    /// Erases `subject` from every source as far as legal holds allow
    /// (`method`: `delete` or `anonymize`); answers the report.
    [tenant, subject, *, method = "delete".to_owned()]
    fn erase_subject / aerase_subject(this, tenant: Tenant, subject: String, method: String) -> Json {
        let method = erasure_method(&method)?;
        let who = SubjectRef::new(tenant.inner.id, subject);
        json(&this.privacy.requests().erase_subject(&who, method).await?)
    }

    /// Erases only `subject`'s data of `category` (narrowed to `part`: for
    /// `game_history`, a rule set id), as far as legal holds allow;
    /// audited as `privacy.category_erased` by `by`. Answers the report.
    [tenant, subject, category, *, part = None, method = "delete".to_owned(), by]
    fn erase_category / aerase_category(this, tenant: Tenant, subject: String, category: String, part: Option<String>, method: String, by: String) -> Json {
        let method = erasure_method(&method)?;
        let who = SubjectRef::new(tenant.inner.id, subject);
        json(&this.privacy.requests().erase_category(&who, &category, part.as_deref(), method, &by).await?)
    }

    /// Places a legal hold (`{"subject": …}`, `{"category": …}` or
    /// `{"tenant_wide": True}`, with `reason` and `case_reference`): what
    /// it covers is kept through erasure and retention until released.
    [tenant, hold, *, by]
    fn place_hold / aplace_hold(this, tenant: Tenant, hold: Data<NewHold>, by: String) -> Json {
        json(&this.privacy.holds().place(&tenant.inner.id, hold.0, &by).await?)
    }

    /// Releases a legal hold (recorded).
    [tenant, hold_id, *, by, reason]
    fn release_hold / arelease_hold(this, tenant: Tenant, hold_id: String, by: String, reason: String) -> Json {
        json(&this.privacy.holds().release(&tenant.inner.id, &hold_id, &by, &reason).await?)
    }

    /// Appends a security event to the tenant's audit log.
    [tenant, *, actor, action, target, details = None]
    fn audit / aaudit(this, tenant: Tenant, actor: String, action: String, target: String, details: Option<Data<serde_json::Value>>) -> () {
        let details = details.map_or(serde_json::Value::Null, |d| d.0);
        this.audit(&tenant.inner, &actor, &action, &target, details).await
    }

    /// Audit log entries from index `start` (at most `limit`).
    [tenant, *, start = 0, limit = 100]
    fn audit_entries / aaudit_entries(this, tenant: Tenant, start: u64, limit: u64) -> Json {
        json(&this.audit_log.entries(&tenant.inner.id, start, limit).await?)
    }

    /// Recomputes the whole log (hash chain, Merkle tree, checkpoint
    /// signature, against `trusted_key` when given): `{"ok": …, …}`.
    [tenant, *, trusted_key = None]
    fn verify_audit_log / averify_audit_log(this, tenant: Tenant, trusted_key: Option<String>) -> Json {
        let verification = this.audit_log.verify(&tenant.inner.id, trusted_key.as_deref()).await?;
        let ok = verification.ok();
        let mut answer = json(&verification)?.0;
        if let Some(map) = answer.as_object_mut() {
            map.insert("ok".into(), ok.into());
        }
        Ok(Json(answer))
    }

    /// The signed checkpoint of the log's current head.
    [tenant]
    fn audit_checkpoint / aaudit_checkpoint(this, tenant: Tenant) -> Json {
        json(&this.audit_log.checkpoint(&tenant.inner.id).await?)
    }

    /// A proof that the log of `to_size` entries extends the log of
    /// `from_size` (check it with `caas.verify_audit_consistency`).
    [tenant, from_size, to_size]
    fn audit_consistency_proof / aaudit_consistency_proof(this, tenant: Tenant, from_size: u64, to_size: u64) -> Json {
        json(&this.audit_log.consistency_proof(&tenant.inner.id, from_size, to_size).await?)
    }

    /// A proof that entry `index` is in the log of `size` entries.
    [tenant, index, size]
    fn audit_inclusion_proof / aaudit_inclusion_proof(this, tenant: Tenant, index: u64, size: u64) -> Json {
        json(&this.audit_log.inclusion_proof(&tenant.inner.id, index, size).await?)
    }
});
