//! Decision audit: every deny, and one allow in
//! [`EngineConfig::audit_allow_every`](super::EngineConfig), is recorded
//! as an `authz.decision` event in the audit sink. An allow that cannot be
//! recorded is refused; a deny stays a deny.

use caas_core::{AuditEvent, Error, Outcome, Result, TenantId};
use std::sync::atomic::Ordering;

use super::{AuthzRequest, Decision, Engine};

impl Engine {
    /// Records `decision` on `request`, if it is one to record.
    pub(super) async fn audit(
        &self,
        tenant: &TenantId,
        request: &AuthzRequest,
        decision: &Decision,
        request_id: Option<&str>,
    ) -> Result<()> {
        let Some(sink) = &self.0.audit else {
            return Ok(());
        };
        if decision.allow {
            let every = u64::from(self.0.config.audit_allow_every);
            let n = self.0.allows.fetch_add(1, Ordering::Relaxed);
            if every == 0 || !n.is_multiple_of(every) {
                return Ok(());
            }
        }
        let mut event = AuditEvent::new(self.0.clock.as_ref(), "authz.decision")
            .tenant(*tenant)
            .actor(request.principal.to_string())
            .target(request.resource.to_string())
            .outcome(if decision.allow {
                Outcome::Success
            } else {
                Outcome::Denied
            })
            .details(serde_json::json!({
                "action": request.action,
                "decision": if decision.allow { "allow" } else { "deny" },
                "reasons": decision.reasons,
                "errors": decision.errors.len(),
                "policy_version": decision.policy_version,
            }));
        if let Some(id) = request_id {
            event = event.request_id(id);
        }
        match sink.record(event).await {
            Ok(()) => Ok(()),
            // A deny stays a deny; an allow that cannot be audited is refused.
            Err(e) if !decision.allow => {
                tracing::error!(error = %e, "cannot audit an authorization deny");
                Ok(())
            }
            Err(e) => Err(Error::unavailable(format!(
                "the decision cannot be audited, so it is refused: {e}"
            ))),
        }
    }
}
