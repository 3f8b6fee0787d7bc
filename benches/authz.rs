//! Authorization decisions at growing policy counts, shaped like issue 7's
//! measurement: every policy grants a role an action on a folder's
//! documents under an attribute condition (`principal.level >=
//! resource.level`); the request is a user in one role reading one document.
//!
//! Five rows per size, all in one run:
//! - `cedar is_authorized (full set)`: plain `cedar-policy`, every policy
//!   evaluated;
//! - `caas sliced`: `caas_authz::SlicedPolicies` on the same entities, only
//!   the policies whose scope matches evaluated;
//! - `casbin enforce (rbac + abac)`: casbin's RBAC model on equivalent data
//!   (`g` user → role, `g2` document → folder, the same level condition in
//!   the matcher);
//! - `caas engine (decision cached)` and `caas engine (entities cached)`:
//!   `caas_authz::Engine::authorize` on SQLite, the whole path (compiled
//!   policies, entity loading, role expansion, caches): with the decision
//!   in its cache, and with the decision cache off (`max_decisions: 0`) so
//!   that every request is evaluated, its entities coming from the cache.
//!
//! `cargo bench -p caas-benches --bench authz`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::collections::BTreeSet;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;

use caas_authz::{
    AuthzRequest, Engine, EngineConfig, EngineParts, EntityInput, EntityRef, PolicyDraft,
    PolicyStore, RoleStore, SlicedPolicies, SqlEntities,
};
use caas_core::{
    Db, DbOptions, NewTenant, SharedClock, SqlTenantStore, SystemClock, TenantId, TenantSlug,
    TenantStore,
};
use casbin::prelude::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use cedar_policy::{Authorizer, Context, Entities, EntityUid, PolicySet, Request};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use serde::Serialize;
use serde_json::{Map, json};
use tokio::runtime::Runtime;

const SIZES: [usize; 4] = [11, 101, 1_001, 10_001];

fn policy_text(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "permit(principal in Role::\"r{i}\", action == Action::\"a{}\", resource in Folder::\"f{i}\") \
             when {{ principal.level >= resource.level }};\n",
            i % 4
        ));
    }
    text
}

fn world(n: usize) -> (Entities, Request) {
    let target = n / 2;
    let json = json!([
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

// ---- casbin -------------------------------------------------------------

const CASBIN_MODEL: &str = "
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub.name, p.sub) && g2(r.obj.name, p.obj) && r.act == p.act && r.sub.level >= r.obj.level
";

/// A request's subject or object, with its attribute.
#[derive(Serialize, Hash)]
struct Attributed {
    name: &'static str,
    level: i32,
}

fn casbin(rt: &Runtime, n: usize) -> Enforcer {
    let target = n / 2;
    let mut lines = String::new();
    for i in 0..n {
        lines.push_str(&format!("p, r{i}, f{i}, a{}\n", i % 4));
    }
    lines.push_str(&format!("g, ana, r{target}\ng2, report, f{target}\n"));
    rt.block_on(async {
        let model = DefaultModel::from_str(CASBIN_MODEL).await.unwrap();
        Enforcer::new(model, StringAdapter::new(lines))
            .await
            .unwrap()
    })
}

fn casbin_request(n: usize) -> (Attributed, Attributed, String) {
    (
        Attributed {
            name: "ana",
            level: 3,
        },
        Attributed {
            name: "report",
            level: 2,
        },
        format!("a{}", (n / 2) % 4),
    )
}

// ---- the engine ---------------------------------------------------------

const SCHEMA: &str = "entity User in [Role] { level: Long };\n\
                      entity Folder { level: Long };\n\
                      entity Doc in [Folder] { level: Long };\n\
                      action a0, a1, a2, a3 appliesTo { principal: [User], resource: [Doc, Folder] };";

fn attrs(value: serde_json::Value) -> Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

async fn engines(n: usize) -> (Engine, Engine, TenantId, AuthzRequest) {
    let target = n / 2;
    let clock: SharedClock = SystemClock::shared();
    let db = Db::connect("sqlite::memory:", DbOptions::default().max_connections(1))
        .await
        .unwrap();
    db.migrate(&[&caas_core::MIGRATIONS, &caas_authz::MIGRATIONS])
        .await
        .unwrap();
    let tenant = SqlTenantStore::new(db.clone(), clock.clone())
        .create(NewTenant::new(TenantSlug::parse("bench").unwrap(), "Bench"))
        .await
        .unwrap()
        .id;
    let engine = |max_decisions| {
        let store = SqlEntities::new(db.clone(), clock.clone());
        Engine::new(EngineParts {
            policies: PolicyStore::new(db.clone(), clock.clone()),
            roles: RoleStore::new(db.clone(), clock.clone()),
            provider: Arc::new(store.clone()),
            store,
            events: None,
            audit: None,
            clock: clock.clone(),
            config: EngineConfig {
                audit_allow_every: 0,
                max_decisions,
                ..EngineConfig::default()
            },
        })
    };
    let (engine, uncached) = (engine(EngineConfig::default().max_decisions), engine(0));
    engine
        .admin()
        .publish_policies(
            &tenant,
            &PolicyDraft {
                policies: policy_text(n),
                schema: SCHEMA.into(),
                note: None,
            },
            None,
            None,
        )
        .await
        .unwrap();
    let put = |uid: EntityRef, attrs, parents: Vec<EntityRef>| {
        let engine = engine.clone();
        async move {
            engine
                .admin()
                .put_entity(
                    &tenant,
                    &uid,
                    &EntityInput {
                        attrs,
                        parents,
                        inherit: true,
                    },
                )
                .await
                .unwrap();
        }
    };
    let folder = EntityRef::new("Folder", format!("f{target}"));
    put(
        EntityRef::new("User", "ana"),
        attrs(json!({ "level": 3 })),
        vec![EntityRef::role(&format!("r{target}"))],
    )
    .await;
    put(folder.clone(), attrs(json!({ "level": 1 })), Vec::new()).await;
    put(
        EntityRef::new("Doc", "report"),
        attrs(json!({ "level": 2 })),
        vec![folder],
    )
    .await;
    let request = AuthzRequest {
        principal: EntityRef::new("User", "ana"),
        roles: BTreeSet::new(),
        action: format!("a{}", target % 4),
        resource: EntityRef::new("Doc", "report"),
        context: Map::new(),
    };
    (engine, uncached, tenant, request)
}

// ---- the run ------------------------------------------------------------

fn decisions(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("authz");
    let authorizer = Authorizer::new();
    for n in SIZES {
        if n >= 1_001 {
            // casbin and full Cedar take milliseconds here.
            group.sample_size(20).sampling_mode(SamplingMode::Flat);
        }
        let set = PolicySet::from_str(&policy_text(n)).unwrap();
        let sliced = SlicedPolicies::new(set.clone());
        let (entities, request) = world(n);
        let enforcer = casbin(&rt, n);
        let (sub, obj, act) = casbin_request(n);
        let (engine, uncached, tenant, authz) = rt.block_on(engines(n));

        // Every contender allows the request, and denies it one level lower.
        let allow = cedar_policy::Decision::Allow;
        assert_eq!(
            authorizer
                .is_authorized(&request, &set, &entities)
                .decision(),
            allow
        );
        assert_eq!(sliced.is_authorized(&request, &entities).decision(), allow);
        assert!(enforcer.enforce((&sub, &obj, act.as_str())).unwrap());
        let low = Attributed {
            name: "ana",
            level: 1,
        };
        assert!(!enforcer.enforce((&low, &obj, act.as_str())).unwrap());
        for e in [&engine, &uncached] {
            let decided = rt.block_on(e.authorize(&tenant, &authz, None)).unwrap();
            assert!(decided.allow, "{decided:?}");
            assert_eq!(decided.reasons.len(), 1, "{decided:?}");
        }

        group.bench_with_input(
            BenchmarkId::new("cedar is_authorized (full set)", n),
            &n,
            |b, _| b.iter(|| black_box(authorizer.is_authorized(&request, &set, &entities))),
        );
        group.bench_with_input(BenchmarkId::new("caas sliced", n), &n, |b, _| {
            b.iter(|| black_box(sliced.is_authorized(&request, &entities)));
        });
        group.bench_with_input(
            BenchmarkId::new("casbin enforce (rbac + abac)", n),
            &n,
            |b, _| b.iter(|| black_box(enforcer.enforce((&sub, &obj, act.as_str())).unwrap())),
        );
        group.bench_with_input(
            BenchmarkId::new("caas engine (decision cached)", n),
            &n,
            |b, _| {
                b.to_async(&rt).iter(|| async {
                    black_box(engine.authorize(&tenant, &authz, None).await.unwrap())
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("caas engine (entities cached)", n),
            &n,
            |b, _| {
                b.to_async(&rt).iter(|| async {
                    black_box(uncached.authorize(&tenant, &authz, None).await.unwrap())
                });
            },
        );
        assert!(engine.cache_hits() > 0 && uncached.cache_hits() == 0);
    }
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
