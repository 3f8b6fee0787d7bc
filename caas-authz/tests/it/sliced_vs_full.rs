//! Slicing never changes a decision: random policy sets (scopes over a small
//! entity hierarchy with `==`, `in`, `is`, action lists, and conditions that
//! are true, false, attribute tests or errors) evaluated sliced and whole
//! on random requests give the same decision, reasons and errors.

use std::collections::BTreeSet;
use std::str::FromStr;

use caas_authz::SlicedPolicies;
use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request, Response};
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::StdRng;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const GROUPS: [&str; 3] = ["staff", "admins", "guests"];
const DOCS: [&str; 4] = ["d1", "d2", "d3", "d4"];
const FOLDERS: [&str; 2] = ["f1", "f2"];
const ACTIONS: [&str; 4] = ["read", "write", "delete", "share"];

fn entities() -> Entities {
    let json = serde_json::json!([
        { "uid": { "type": "User", "id": "alice" }, "attrs": { "level": 3 }, "parents": [{ "type": "Group", "id": "staff" }, { "type": "Group", "id": "admins" }] },
        { "uid": { "type": "User", "id": "bob" }, "attrs": { "level": 1 }, "parents": [{ "type": "Group", "id": "staff" }] },
        { "uid": { "type": "User", "id": "carol" }, "attrs": {}, "parents": [{ "type": "Group", "id": "guests" }] },
        { "uid": { "type": "User", "id": "dave" }, "attrs": { "level": 2 }, "parents": [] },
        { "uid": { "type": "Group", "id": "admins" }, "attrs": {}, "parents": [{ "type": "Group", "id": "staff" }] },
        { "uid": { "type": "Group", "id": "staff" }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Group", "id": "guests" }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Folder", "id": "f1" }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Folder", "id": "f2" }, "attrs": {}, "parents": [{ "type": "Folder", "id": "f1" }] },
        { "uid": { "type": "Doc", "id": "d1" }, "attrs": { "public": true }, "parents": [{ "type": "Folder", "id": "f1" }] },
        { "uid": { "type": "Doc", "id": "d2" }, "attrs": { "public": false }, "parents": [{ "type": "Folder", "id": "f2" }] },
        { "uid": { "type": "Doc", "id": "d3" }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Doc", "id": "d4" }, "attrs": { "public": true }, "parents": [{ "type": "Folder", "id": "f2" }] },
        { "uid": { "type": "Action", "id": "edit" }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Action", "id": "write" }, "attrs": {}, "parents": [{ "type": "Action", "id": "edit" }] },
        { "uid": { "type": "Action", "id": "delete" }, "attrs": {}, "parents": [{ "type": "Action", "id": "edit" }] },
    ]);
    Entities::from_json_value(json, None).unwrap()
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn principal_scope(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0 => "principal".into(),
        1 => format!("principal == User::\"{}\"", pick(rng, &USERS)),
        2 => format!("principal in Group::\"{}\"", pick(rng, &GROUPS)),
        3 => "principal is User".into(),
        4 => format!("principal is User in Group::\"{}\"", pick(rng, &GROUPS)),
        _ => format!("principal in User::\"{}\"", pick(rng, &USERS)),
    }
}

fn action_scope(rng: &mut StdRng) -> String {
    match rng.random_range(0..4) {
        0 => "action".into(),
        1 => format!("action == Action::\"{}\"", pick(rng, &ACTIONS)),
        2 => "action in Action::\"edit\"".into(),
        _ => format!(
            "action in [Action::\"{}\", Action::\"{}\"]",
            pick(rng, &ACTIONS),
            pick(rng, &ACTIONS)
        ),
    }
}

fn resource_scope(rng: &mut StdRng) -> String {
    match rng.random_range(0..5) {
        0 => "resource".into(),
        1 => format!("resource == Doc::\"{}\"", pick(rng, &DOCS)),
        2 => format!("resource in Folder::\"{}\"", pick(rng, &FOLDERS)),
        3 => "resource is Doc".into(),
        _ => format!("resource is Doc in Folder::\"{}\"", pick(rng, &FOLDERS)),
    }
}

fn condition(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0 => String::new(),
        1 => " when { true }".into(),
        2 => " unless { true }".into(),
        // Errors when the attribute is missing.
        3 => format!(" when {{ principal.level > {} }}", rng.random_range(0..4)),
        4 => " when { resource.public }".into(),
        _ => " when { context.mfa == true }".into(),
    }
}

fn policy_set(rng: &mut StdRng, n: usize) -> PolicySet {
    let mut text = String::new();
    for i in 0..n {
        let effect = if rng.random_bool(0.7) {
            "permit"
        } else {
            "forbid"
        };
        text.push_str(&format!(
            "@id(\"p{i}\") {effect}({}, {}, {}){};\n",
            principal_scope(rng),
            action_scope(rng),
            resource_scope(rng),
            condition(rng)
        ));
    }
    PolicySet::from_str(&text).unwrap()
}

fn summary(r: &Response) -> (cedar_policy::Decision, BTreeSet<String>, BTreeSet<String>) {
    (
        r.decision(),
        r.diagnostics().reason().map(ToString::to_string).collect(),
        r.diagnostics()
            .errors()
            .map(|e| match e {
                cedar_policy::AuthorizationError::PolicyEvaluationError(e) => {
                    e.policy_id().to_string()
                }
            })
            .collect(),
    )
}

#[test]
fn sliced_and_full_evaluation_agree_on_random_sets() {
    let entities = entities();
    let authorizer = Authorizer::new();
    let mut rng = StdRng::seed_from_u64(0x6361_6173);
    let mut compared = 0;
    let mut pruned = 0usize;
    let mut total = 0usize;
    for round in 0..300 {
        let n = rng.random_range(1..40);
        let set = policy_set(&mut rng, n);
        let sliced = SlicedPolicies::new(set.clone());
        for _ in 0..20 {
            let p = EntityUid::from_str(&format!("User::\"{}\"", pick(&mut rng, &USERS))).unwrap();
            let a =
                EntityUid::from_str(&format!("Action::\"{}\"", pick(&mut rng, &ACTIONS))).unwrap();
            let r = if rng.random_bool(0.8) {
                format!("Doc::\"{}\"", pick(&mut rng, &DOCS))
            } else {
                format!("Folder::\"{}\"", pick(&mut rng, &FOLDERS))
            };
            let r = EntityUid::from_str(&r).unwrap();
            let context = Context::from_json_value(
                if rng.random_bool(0.5) {
                    serde_json::json!({ "mfa": rng.random_bool(0.5) })
                } else {
                    serde_json::json!({})
                },
                None,
            )
            .unwrap();
            let request = Request::new(p, a, r, context, None).unwrap();
            let whole = authorizer.is_authorized(&request, &set, &entities);
            let cut = sliced.is_authorized(&request, &entities);
            assert_eq!(
                summary(&whole),
                summary(&cut),
                "round {round}: {request:?}\n{set}"
            );
            total += sliced.len();
            pruned += sliced.len() - sliced.candidates(&request, &entities).unwrap().len();
            compared += 1;
        }
    }
    // The comparison means something only if slicing actually cut.
    assert!(
        pruned * 3 > total,
        "slicing pruned only {pruned} of {total}"
    );
    println!("{compared} requests agreed; slicing skipped {pruned} of {total} policy evaluations");
}
