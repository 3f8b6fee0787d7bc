//! Authorization decisions at growing policy counts, shaped like issue 7's
//! measurement: every policy grants a role an action on a folder's
//! documents under an attribute condition (`principal.level >=
//! resource.level`); the request is a user in one role reading one document.
//! Plain `cedar-policy` evaluates every policy; `caas_authz::SlicedPolicies`
//! evaluates the ones whose scope matches.
//!
//! `cargo bench -p caas-benches --bench authz`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::str::FromStr;

use caas_authz::SlicedPolicies;
use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn policies(n: usize) -> PolicySet {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "permit(principal in Role::\"r{i}\", action == Action::\"a{}\", resource in Folder::\"f{i}\") \
             when {{ principal.level >= resource.level }};\n",
            i % 4
        ));
    }
    PolicySet::from_str(&text).unwrap()
}

fn world(n: usize) -> (Entities, Request) {
    let target = n / 2;
    let json = serde_json::json!([
        { "uid": { "type": "User", "id": "ana" }, "attrs": { "level": 3 },
          "parents": [{ "type": "Role", "id": format!("r{target}") }] },
        { "uid": { "type": "Role", "id": format!("r{target}") }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Folder", "id": format!("f{target}") }, "attrs": {}, "parents": [] },
        { "uid": { "type": "Doc", "id": "report" }, "attrs": { "level": 2 },
          "parents": [{ "type": "Folder", "id": format!("f{target}") }] },
    ]);
    let entities = Entities::from_json_value(json, None).unwrap();
    let request = Request::new(
        EntityUid::from_str("User::\"ana\"").unwrap(),
        EntityUid::from_str(&format!("Action::\"a{}\"", target % 4)).unwrap(),
        EntityUid::from_str("Doc::\"report\"").unwrap(),
        Context::empty(),
        None,
    )
    .unwrap();
    (entities, request)
}

fn decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("authz");
    let authorizer = Authorizer::new();
    for n in [11, 101, 1_001, 10_001] {
        let set = policies(n);
        let sliced = SlicedPolicies::new(set.clone());
        let (entities, request) = world(n);
        assert_eq!(
            authorizer
                .is_authorized(&request, &set, &entities)
                .decision(),
            cedar_policy::Decision::Allow
        );
        assert_eq!(
            sliced.is_authorized(&request, &entities).decision(),
            cedar_policy::Decision::Allow
        );
        group.bench_with_input(
            BenchmarkId::new("cedar is_authorized (full set)", n),
            &n,
            |b, _| {
                b.iter(|| black_box(authorizer.is_authorized(&request, &set, &entities)));
            },
        );
        group.bench_with_input(BenchmarkId::new("caas sliced", n), &n, |b, _| {
            b.iter(|| black_box(sliced.is_authorized(&request, &entities)));
        });
    }
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
