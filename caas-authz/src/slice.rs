//! [`SlicedPolicies`]: a Cedar policy set indexed by its scope, so that a
//! request is evaluated against the policies that can apply to it, not the
//! whole set. Cedar checks a policy's scope before its conditions (the scope
//! is the first conjunct), so a policy whose scope cannot match the request
//! can neither satisfy it nor raise an error: leaving it out never changes
//! the decision, the reasons or the errors.
//!
//! The index: for principals and resources, `==` entities, `in` entities,
//! and the rest (`any`, `is`); for actions, `==` actions, each action of an
//! `in` list, and `any`. A request looks up the principal, the resource and
//! the action together with their ancestors (from the request's entities),
//! takes the smallest of the three candidate lists, and checks every
//! candidate's whole scope exactly before Cedar evaluates the survivors.

use std::collections::{HashMap, HashSet};

use cedar_policy::{
    ActionConstraint, Authorizer, Entities, EntityUid, Policy, PolicySet, PrincipalConstraint,
    Request, ResourceConstraint, Response,
};

/// Entity-keyed lists of policy positions.
#[derive(Debug, Default)]
struct Dimension {
    eq: HashMap<EntityUid, Vec<u32>>,
    within: HashMap<EntityUid, Vec<u32>>,
    rest: Vec<u32>,
}

impl Dimension {
    /// The positions whose constraint may match an entity with `keys` (the
    /// entity and its ancestors; the entity first).
    fn candidates(&self, keys: &[&EntityUid], out: &mut Vec<u32>) {
        out.extend_from_slice(&self.rest);
        if let Some(first) = keys.first()
            && let Some(v) = self.eq.get(*first)
        {
            out.extend_from_slice(v);
        }
        for k in keys {
            if let Some(v) = self.within.get(*k) {
                out.extend_from_slice(v);
            }
        }
    }
}

/// The scope of one policy.
#[derive(Debug, Clone)]
struct Scope {
    principal: PrincipalConstraint,
    action: ActionConstraint,
    resource: ResourceConstraint,
}

/// A policy set with its scope index.
#[derive(Debug)]
pub struct SlicedPolicies {
    full: PolicySet,
    policies: Vec<Policy>,
    scopes: Vec<Scope>,
    principal: Dimension,
    action: Dimension,
    resource: Dimension,
    authorizer: Authorizer,
}

fn entity_scope(c: &PrincipalOrResource, at: u32, d: &mut Dimension) {
    match c {
        PrincipalOrResource::Eq(e) => d.eq.entry(e.clone()).or_default().push(at),
        PrincipalOrResource::In(e) | PrincipalOrResource::IsIn(e) => {
            d.within.entry(e.clone()).or_default().push(at);
        }
        PrincipalOrResource::Rest => d.rest.push(at),
    }
}

/// The indexable part of a principal or resource constraint.
enum PrincipalOrResource {
    Eq(EntityUid),
    In(EntityUid),
    IsIn(EntityUid),
    Rest,
}

impl From<&PrincipalConstraint> for PrincipalOrResource {
    fn from(c: &PrincipalConstraint) -> Self {
        match c {
            PrincipalConstraint::Eq(e) => PrincipalOrResource::Eq(e.clone()),
            PrincipalConstraint::In(e) => PrincipalOrResource::In(e.clone()),
            PrincipalConstraint::IsIn(_, e) => PrincipalOrResource::IsIn(e.clone()),
            PrincipalConstraint::Any | PrincipalConstraint::Is(_) => PrincipalOrResource::Rest,
        }
    }
}

impl From<&ResourceConstraint> for PrincipalOrResource {
    fn from(c: &ResourceConstraint) -> Self {
        match c {
            ResourceConstraint::Eq(e) => PrincipalOrResource::Eq(e.clone()),
            ResourceConstraint::In(e) => PrincipalOrResource::In(e.clone()),
            ResourceConstraint::IsIn(_, e) => PrincipalOrResource::IsIn(e.clone()),
            ResourceConstraint::Any | ResourceConstraint::Is(_) => PrincipalOrResource::Rest,
        }
    }
}

/// `e` (with ancestors `keys`, `e` first) satisfies a principal constraint.
fn principal_matches(c: &PrincipalConstraint, e: &EntityUid, keys: &[&EntityUid]) -> bool {
    match c {
        PrincipalConstraint::Any => true,
        PrincipalConstraint::Eq(x) => x == e,
        PrincipalConstraint::In(x) => keys.contains(&x),
        PrincipalConstraint::Is(t) => e.type_name() == t,
        PrincipalConstraint::IsIn(t, x) => e.type_name() == t && keys.contains(&x),
    }
}

fn resource_matches(c: &ResourceConstraint, e: &EntityUid, keys: &[&EntityUid]) -> bool {
    match c {
        ResourceConstraint::Any => true,
        ResourceConstraint::Eq(x) => x == e,
        ResourceConstraint::In(x) => keys.contains(&x),
        ResourceConstraint::Is(t) => e.type_name() == t,
        ResourceConstraint::IsIn(t, x) => e.type_name() == t && keys.contains(&x),
    }
}

fn action_matches(c: &ActionConstraint, a: &EntityUid, keys: &[&EntityUid]) -> bool {
    match c {
        ActionConstraint::Any => true,
        ActionConstraint::Eq(x) => x == a,
        ActionConstraint::In(list) => list.iter().any(|x| keys.contains(&x)),
    }
}

/// `e` and its ancestors in `entities` (`e` first).
fn keys<'a>(e: &'a EntityUid, entities: &'a Entities) -> Vec<&'a EntityUid> {
    let mut keys = vec![e];
    if let Some(ancestors) = entities.ancestors(e) {
        keys.extend(ancestors);
    }
    keys
}

impl SlicedPolicies {
    /// Indexes `set`. Template-linked policies cannot be evaluated one by
    /// one; a set that holds them is evaluated whole (still correct, not
    /// sliced).
    pub fn new(set: PolicySet) -> Self {
        let mut sliced = SlicedPolicies {
            policies: Vec::new(),
            scopes: Vec::new(),
            principal: Dimension::default(),
            action: Dimension::default(),
            resource: Dimension::default(),
            authorizer: Authorizer::new(),
            full: PolicySet::new(),
        };
        for (at, policy) in set.policies().enumerate() {
            let at = u32::try_from(at).unwrap_or(u32::MAX);
            let scope = Scope {
                principal: policy.principal_constraint(),
                action: policy.action_constraint(),
                resource: policy.resource_constraint(),
            };
            entity_scope(&(&scope.principal).into(), at, &mut sliced.principal);
            entity_scope(&(&scope.resource).into(), at, &mut sliced.resource);
            match &scope.action {
                ActionConstraint::Any => sliced.action.rest.push(at),
                ActionConstraint::Eq(a) => sliced.action.eq.entry(a.clone()).or_default().push(at),
                ActionConstraint::In(list) => {
                    let distinct: HashSet<&EntityUid> = list.iter().collect();
                    for a in distinct {
                        sliced.action.within.entry(a.clone()).or_default().push(at);
                    }
                }
            }
            sliced.policies.push(policy.clone());
            sliced.scopes.push(scope);
        }
        sliced.full = set;
        sliced
    }

    /// How many policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The whole set.
    pub fn policy_set(&self) -> &PolicySet {
        &self.full
    }

    /// The positions of the policies whose scope matches the request.
    fn slice(&self, p: &EntityUid, a: &EntityUid, r: &EntityUid, entities: &Entities) -> Vec<u32> {
        let (pk, ak, rk) = (keys(p, entities), keys(a, entities), keys(r, entities));
        let mut lists = [Vec::new(), Vec::new(), Vec::new()];
        self.principal.candidates(&pk, &mut lists[0]);
        self.action.candidates(&ak, &mut lists[1]);
        self.resource.candidates(&rk, &mut lists[2]);
        let smallest = lists
            .iter_mut()
            .min_by_key(|l| l.len())
            .map(std::mem::take)
            .unwrap_or_default();
        let mut seen = HashSet::with_capacity(smallest.len());
        smallest
            .into_iter()
            .filter(|at| seen.insert(*at))
            .filter(|at| {
                self.scopes.get(*at as usize).is_some_and(|s| {
                    principal_matches(&s.principal, p, &pk)
                        && action_matches(&s.action, a, &ak)
                        && resource_matches(&s.resource, r, &rk)
                })
            })
            .collect()
    }

    /// The policies a request would evaluate (for explanations and tests).
    pub fn candidates(&self, request: &Request, entities: &Entities) -> Option<Vec<&Policy>> {
        let (Some(p), Some(a), Some(r)) =
            (request.principal(), request.action(), request.resource())
        else {
            return None;
        };
        Some(
            self.slice(p, a, r, entities)
                .into_iter()
                .filter_map(|at| self.policies.get(at as usize))
                .collect(),
        )
    }

    /// Cedar's answer for `request`, evaluating only the policies whose scope
    /// matches it; the same decision, reasons and errors as evaluating the
    /// whole set.
    pub fn is_authorized(&self, request: &Request, entities: &Entities) -> Response {
        let sliced = (|| {
            let candidates = self.candidates(request, entities)?;
            PolicySet::from_policies(candidates.into_iter().cloned()).ok()
        })();
        match sliced {
            Some(set) => self.authorizer.is_authorized(request, &set, entities),
            // A partial request or template links: the whole set.
            None => self.authorizer.is_authorized(request, &self.full, entities),
        }
    }
}
