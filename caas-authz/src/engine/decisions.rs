//! Decisions: whether a request is allowed (alone or in a batch), which
//! actions a principal may take on a resource, which resources it may take
//! an action on, and which roles it holds in the tenant. Each decision is
//! evaluated by Cedar through the policy index over the request's loaded
//! entities, or answered from the decision cache.

use std::collections::BTreeSet;

use caas_core::{Error, Result, TenantId};
use cedar_policy::{Context, EntityUid, Request};
use serde_json::{Map, Value};

use super::loading::{Prepared, assigned_roles, expand};
use super::{AuthzRequest, Decision, Engine};
use crate::model::{EntityRef, FOREIGN_USER, action_name, action_uid};

impl Engine {
    /// The decision on `request` in `tenant`.
    pub async fn authorize(
        &self,
        tenant: &TenantId,
        request: &AuthzRequest,
        request_id: Option<&str>,
    ) -> Result<Decision> {
        let action = action_uid(&request.action)?;
        let prepared = self
            .prepare(
                tenant,
                &request.principal,
                &request.roles,
                &request.resource,
            )
            .await?;
        let decision = self.evaluate(tenant, &prepared, &action, &request.context)?;
        self.audit(tenant, request, &decision, request_id).await?;
        Ok(decision)
    }

    /// The decisions on `requests`, in order.
    pub async fn authorize_batch(
        &self,
        tenant: &TenantId,
        requests: &[AuthzRequest],
        request_id: Option<&str>,
    ) -> Result<Vec<Decision>> {
        let mut out = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            out.push(self.authorize(tenant, r, request_id).await.map_err(|e| {
                if e.kind() == caas_core::ErrorKind::InvalidInput {
                    let field = format!("requests[{i}].{}", e.field().unwrap_or(""));
                    Error::invalid_input(format!("request {i}: {}", e.message()))
                        .with_code(e.code())
                        .with_field(field)
                } else {
                    e
                }
            })?);
        }
        Ok(out)
    }

    /// The actions `principal` may take on `resource`: every action the
    /// schema declares or a role permits, each decided through the index.
    pub async fn actions(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        roles: &BTreeSet<String>,
        resource: &EntityRef,
        context: &Map<String, Value>,
    ) -> Result<Vec<String>> {
        let prepared = self.prepare(tenant, principal, roles, resource).await?;
        let mut allowed = Vec::new();
        for action in &prepared.compiled.actions {
            if self.evaluate(tenant, &prepared, action, context)?.allow {
                allowed.push(action_name(action));
            }
        }
        Ok(allowed)
    }

    /// Those of `resources` on which `principal` may take `action`.
    pub async fn filter(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        roles: &BTreeSet<String>,
        action: &str,
        resources: &[EntityRef],
        context: &Map<String, Value>,
    ) -> Result<Vec<EntityRef>> {
        let action = action_uid(action)?;
        let mut allowed = Vec::new();
        for r in resources {
            let prepared = self.prepare(tenant, principal, roles, r).await?;
            if self.evaluate(tenant, &prepared, &action, context)?.allow {
                allowed.push(r.clone());
            }
        }
        Ok(allowed)
    }

    /// The roles `principal` holds in the tenant: those its credentials
    /// carry and those assigned to it or its groups, with every role they
    /// inherit.
    pub async fn tenant_roles(
        &self,
        tenant: &TenantId,
        principal: &EntityRef,
        credential_roles: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>> {
        let (generation, compiled) = self.compiled(tenant).await?;
        let mut held: BTreeSet<String> = if principal.ty == FOREIGN_USER {
            BTreeSet::new()
        } else {
            credential_roles.clone()
        };
        let side = self.closure(tenant, generation, principal).await?;
        assigned_roles(&mut held, &side);
        Ok(expand(&compiled, held))
    }

    /// The decision on `action` for a prepared request: from the cache, or
    /// evaluated and cached.
    fn evaluate(
        &self,
        tenant: &TenantId,
        prepared: &Prepared,
        action: &EntityUid,
        context: &Map<String, Value>,
    ) -> Result<Decision> {
        let context_json = Value::Object(context.clone());
        let key = format!("{}{}|{}", prepared.key, action, context_json);
        if let Some(d) = self.cached_decision(tenant, &key)? {
            return Ok(d);
        }
        // Parsing even `{}` costs a few microseconds.
        let context = if context.is_empty() {
            Context::empty()
        } else {
            Context::from_json_value(context_json, None).map_err(|e| {
                Error::invalid_input(format!("the context is not valid Cedar JSON: {e}"))
                    .with_field("context")
            })?
        };
        let request = Request::new(
            prepared.principal.clone(),
            action.clone(),
            prepared.resource.clone(),
            context,
            None,
        )
        .map_err(|e| Error::invalid_input(format!("{e}")))?;
        let entities = self.request_entities(tenant, prepared)?;
        let response = prepared.compiled.sliced.is_authorized(&request, &entities);
        let mut decision = Decision {
            allow: response.decision() == cedar_policy::Decision::Allow,
            reasons: response
                .diagnostics()
                .reason()
                .map(ToString::to_string)
                .collect(),
            errors: response
                .diagnostics()
                .errors()
                .map(ToString::to_string)
                .collect(),
            policy_version: prepared.compiled.version,
            roles: prepared.roles.clone(),
            access: prepared.access.clone(),
        };
        decision.reasons.sort();
        self.keep_decision(tenant, prepared.generation, key, &decision)?;
        Ok(decision)
    }
}
