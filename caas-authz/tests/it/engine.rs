//! The engine on every SQL backend: built-in roles and their hierarchy,
//! tenant roles, access entries inherited down the resource hierarchy and
//! broken by a resource, a cross-tenant grant (works, is revocable, gives
//! nothing else), tenant policies with `forbid`, the four route checks,
//! audit of denies, and cache invalidation between two instances.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use caas_authz::{
    AuthzRequest, Caller, Decision, Engine, EngineConfig, EngineParts, EntityInput, EntityRef,
    PolicyDraft, PolicyStore, RoleDef, RoleStore, RouteCheck, SqlEntities,
};
use caas_core::testkit::Backend;
use caas_core::{
    MemoryAuditSink, NewTenant, Principal, PrincipalKind, SharedEventBus, SqlTenantStore, Tenant,
    TenantId, TenantSlug, TenantStore,
};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_authz::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        roles_access_and_grants,
        route_checks,
        two_instances_share_invalidation,
        decision_cache_off,
        sharing_has_a_ceiling,
    ],
}

async fn tenant(b: &Backend, slug: &str) -> Tenant {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Authz"))
        .await
        .unwrap()
}

fn engine(b: &Backend, events: SharedEventBus, audit: Option<Arc<MemoryAuditSink>>) -> Engine {
    engine_with(b, events, audit, EngineConfig::default().max_decisions)
}

fn engine_with(
    b: &Backend,
    events: SharedEventBus,
    audit: Option<Arc<MemoryAuditSink>>,
    max_decisions: usize,
) -> Engine {
    let store = SqlEntities::new(b.sql().clone(), b.shared_clock());
    Engine::new(EngineParts {
        policies: PolicyStore::new(b.sql().clone(), b.shared_clock()),
        roles: RoleStore::new(b.sql().clone(), b.shared_clock()),
        provider: Arc::new(store.clone()),
        store,
        events: Some(events),
        audit: audit.map(|a| a as caas_core::SharedAuditSink),
        clock: b.shared_clock(),
        config: EngineConfig {
            audit_allow_every: 0,
            max_decisions,
            ..EngineConfig::default()
        },
    })
}

fn user(id: &str) -> EntityRef {
    EntityRef::new("User", id)
}

fn doc(id: &str) -> EntityRef {
    EntityRef::new("Doc", id)
}

fn folder(id: &str) -> EntityRef {
    EntityRef::new("Folder", id)
}

async fn decide(
    e: &Engine,
    t: &TenantId,
    who: &EntityRef,
    action: &str,
    what: &EntityRef,
) -> Decision {
    e.authorize(
        t,
        &AuthzRequest {
            principal: who.clone(),
            roles: BTreeSet::new(),
            action: action.into(),
            resource: what.clone(),
            context: serde_json::Map::new(),
        },
        Some("req-1"),
    )
    .await
    .unwrap()
}

async fn put(e: &Engine, t: &TenantId, uid: &EntityRef, parents: &[EntityRef], inherit: bool) {
    e.admin()
        .put_entity(
            t,
            uid,
            &EntityInput {
                attrs: serde_json::Map::new(),
                parents: parents.to_vec(),
                inherit,
            },
        )
        .await
        .unwrap();
}

async fn roles_access_and_grants(b: &Backend) {
    let audit = Arc::new(MemoryAuditSink::new());
    let e = engine(b, b.events.clone(), Some(audit.clone()));
    let a = tenant(b, "authz-a").await;
    let other = tenant(b, "authz-b").await;
    let (t, ann, bob, cid) = (&a.id, user("ann"), user("bob"), user("cid"));

    // Nothing is allowed by default; the deny is audited with the request id.
    let d = decide(&e, t, &ann, "read", &doc("d1")).await;
    assert!(!d.allow && d.reasons.is_empty());
    let denies = audit.events_with_action("authz.decision").unwrap();
    assert_eq!(denies.len(), 1);
    assert_eq!(denies[0].request_id.as_deref(), Some("req-1"));
    assert_eq!(denies[0].details["decision"], "deny");

    // Built-in roles and their hierarchy: an editor reads (viewer's), an
    // admin edits (editor's), but an editor does not share (admin's).
    e.admin().assign_role(t, "editor", &ann).await.unwrap();
    let d = decide(&e, t, &ann, "read", &doc("d1")).await;
    assert!(d.allow);
    assert_eq!(d.reasons, ["caas.role.viewer"]);
    assert_eq!(d.roles, ["editor", "viewer"]);
    assert!(!decide(&e, t, &ann, "share", &doc("d1")).await.allow);
    let actions = e
        .actions(
            t,
            &ann,
            &BTreeSet::new(),
            &doc("d1"),
            &serde_json::Map::new(),
        )
        .await
        .unwrap();
    assert_eq!(actions, ["create", "delete", "list", "read", "update"]);
    e.admin().unassign_role(t, "editor", &ann).await.unwrap();
    assert!(!decide(&e, t, &ann, "read", &doc("d1")).await.allow);
    assert!(e.admin().unassign_role(t, "editor", &ann).await.is_err());

    // A tenant role inheriting a built-in one, held through a group.
    e.admin()
        .put_role(
            t,
            RoleDef {
                name: "auditor".into(),
                description: None,
                permissions: vec!["export".into()],
                inherits: vec!["viewer".into()],
                builtin: false,
            },
        )
        .await
        .unwrap();
    let staff = EntityRef::new("Group", "staff");
    put(&e, t, &staff, &[], true).await;
    e.admin().assign_role(t, "auditor", &staff).await.unwrap();
    put(&e, t, &cid, std::slice::from_ref(&staff), true).await;
    assert!(decide(&e, t, &cid, "export", &doc("d1")).await.allow);
    assert!(decide(&e, t, &cid, "read", &doc("d1")).await.allow);
    assert!(!decide(&e, t, &cid, "update", &doc("d1")).await.allow);
    let cycle = RoleDef {
        name: "auditor".into(),
        description: None,
        permissions: vec![],
        inherits: vec!["auditor".into()],
        builtin: false,
    };
    assert_eq!(
        e.admin().put_role(t, cycle).await.unwrap_err().code(),
        "role_cycle"
    );

    // Access entries inherit down the hierarchy until a resource breaks it.
    put(&e, t, &folder("root"), &[], true).await;
    put(&e, t, &folder("team"), &[folder("root")], true).await;
    put(&e, t, &folder("private"), &[folder("team")], false).await;
    put(&e, t, &doc("plan"), &[folder("team")], true).await;
    put(&e, t, &doc("salaries"), &[folder("private")], true).await;
    let entry = e
        .admin()
        .add_access(t, &folder("root"), &bob, "editor", Some("ann"))
        .await
        .unwrap();
    let d = decide(&e, t, &bob, "update", &doc("plan")).await;
    assert!(d.allow, "{d:?}");
    assert_eq!(d.access.len(), 1);
    assert_eq!(d.access[0].resource, folder("root"));
    assert!(!decide(&e, t, &bob, "read", &doc("salaries")).await.allow);
    assert!(!decide(&e, t, &bob, "read", &folder("private")).await.allow);
    assert!(!decide(&e, t, &bob, "read", &doc("elsewhere")).await.allow);
    // An entry on the breaking folder itself applies below it.
    e.admin()
        .add_access(t, &folder("private"), &bob, "viewer", None)
        .await
        .unwrap();
    assert!(decide(&e, t, &bob, "read", &doc("salaries")).await.allow);
    assert!(!decide(&e, t, &bob, "update", &doc("salaries")).await.allow);
    let dup = e
        .admin()
        .add_access(t, &folder("root"), &bob, "editor", None)
        .await;
    assert_eq!(dup.unwrap_err().code(), "access_exists");
    // A cycle in the resource hierarchy is refused, nothing changes.
    let err = e
        .admin()
        .put_entity(
            t,
            &folder("root"),
            &EntityInput {
                parents: vec![doc("plan")],
                ..EntityInput::default()
            },
        )
        .await;
    assert_eq!(err.unwrap_err().code(), "entity_cycle");
    e.admin().remove_access(t, &entry.id).await.unwrap();
    assert!(!decide(&e, t, &bob, "update", &doc("plan")).await.allow);

    // A tenant policy: forbid overrides the role policies, named by @id.
    let schema = "entity Folder in [Folder]; entity Doc in [Folder]; \
                  action read, update, export appliesTo { principal: [User], resource: [Doc, Folder] };";
    e.admin().publish_policies(
        t,
        &PolicyDraft {
            policies: "@id(\"no-salaries\")\nforbid(principal, action, resource in Folder::\"private\") unless { principal == User::\"ann\" };".into(),
            schema: schema.into(),
            note: None,
        },
        None,
        None,
    )
    .await
    .unwrap();
    let d = decide(&e, t, &bob, "read", &doc("salaries")).await;
    assert!(!d.allow);
    assert_eq!(d.reasons, ["no-salaries"]);
    assert_eq!(d.policy_version, 1);

    // A cross-tenant grant: B's user may read A's team folder, nothing else.
    let dan = EntityRef::foreign(&other.id, "dan");
    let grant = e
        .admin()
        .grant(t, &other.id, "dan", "viewer", &folder("team"), Some("ann"))
        .await
        .unwrap();
    assert!(decide(&e, t, &dan, "read", &doc("plan")).await.allow);
    assert!(!decide(&e, t, &dan, "update", &doc("plan")).await.allow);
    assert!(!decide(&e, t, &dan, "read", &folder("root")).await.allow);
    // Roles claimed by a foreign principal's credentials count for nothing.
    let claimed = e
        .authorize(
            t,
            &AuthzRequest {
                principal: dan.clone(),
                roles: ["owner".to_owned()].into(),
                action: "read".into(),
                resource: folder("root"),
                context: serde_json::Map::new(),
            },
            None,
        )
        .await
        .unwrap();
    assert!(!claimed.allow);
    assert_eq!(e.admin().grants(t).await.unwrap().len(), 1);
    assert!(e.admin().grants(&other.id).await.unwrap().is_empty());
    assert!(
        e.admin()
            .grant(t, t, "dan", "viewer", &folder("team"), None)
            .await
            .is_err()
    );
    e.admin().revoke_grant(t, &grant.id).await.unwrap();
    assert!(!decide(&e, t, &dan, "read", &doc("plan")).await.allow);
    assert!(e.admin().revoke_grant(t, &grant.id).await.is_err());

    // Tenant B sees none of it.
    assert!(
        !decide(&e, &other.id, &bob, "read", &doc("salaries"))
            .await
            .allow
    );
    assert!(
        e.admin()
            .get_entity(&other.id, &doc("plan"))
            .await
            .unwrap()
            .is_none()
    );
}

fn principal(t: &TenantId, sub: &str, kind: PrincipalKind) -> Principal {
    Principal::new(sub, Some(*t), kind)
}

async fn route_checks(b: &Backend) {
    let e = engine(b, b.events.clone(), None);
    let a = tenant(b, "authz-checks").await;
    let t = &a.id;
    let caller = |p: Option<&'static Principal>| Caller {
        tenant: Some(t),
        principal: p,
        platform_admin: false,
        resource: None,
        request_id: None,
    };
    let code = |r: caas_core::Result<()>| r.err().map(|e| e.code());
    let nobody = e
        .check_route(RouteCheck::Role("viewer"), caller(None))
        .await;
    assert_eq!(code(nobody), Some("missing_token"));
    assert_eq!(
        code(e.check_route(RouteCheck::Public, caller(None)).await),
        None
    );

    let key: &'static Principal = Box::leak(Box::new(
        principal(t, "apikey:1", PrincipalKind::Service).with_scope("docs:read"),
    ));
    let ann: &'static Principal = Box::leak(Box::new(principal(t, "ann", PrincipalKind::User)));
    let boss: &'static Principal = Box::leak(Box::new(
        principal(t, "boss", PrincipalKind::User).with_role("admin"),
    ));
    assert_eq!(
        code(
            e.check_route(RouteCheck::Scope(&["docs:read"]), caller(Some(key)))
                .await
        ),
        None
    );
    assert_eq!(
        code(
            e.check_route(RouteCheck::Scope(&["docs:write"]), caller(Some(key)))
                .await
        ),
        Some("insufficient_scope")
    );
    assert_eq!(
        code(
            e.check_route(RouteCheck::Role("viewer"), caller(Some(ann)))
                .await
        ),
        Some("insufficient_role")
    );
    // Roles from credentials, with the hierarchy.
    assert_eq!(
        code(
            e.check_route(RouteCheck::Role("viewer"), caller(Some(boss)))
                .await
        ),
        None
    );
    assert_eq!(
        code(
            e.check_route(RouteCheck::Role("owner"), caller(Some(boss)))
                .await
        ),
        Some("insufficient_role")
    );
    assert_eq!(
        code(
            e.check_route(
                RouteCheck::ScopeOrRole("docs:read", "admin"),
                caller(Some(key))
            )
            .await
        ),
        None
    );
    assert_eq!(
        code(
            e.check_route(
                RouteCheck::ScopeOrRole("docs:read", "admin"),
                caller(Some(ann))
            )
            .await
        ),
        Some("insufficient_scope_or_role")
    );
    assert_eq!(
        code(
            e.check_route(RouteCheck::PlatformAdmin, caller(Some(boss)))
                .await
        ),
        Some("insufficient_role")
    );

    // resource(viewer, share): base role first, then the decision.
    let check = RouteCheck::Resource {
        base_role: "viewer",
        action: "share",
    };
    let res = doc("shared");
    let on = |p: &'static Principal| Caller {
        resource: Some(&res),
        ..caller(Some(p))
    };
    assert_eq!(
        code(e.check_route(check, on(ann)).await),
        Some("base_role_missing")
    );
    e.admin()
        .assign_role(t, "viewer", &user("ann"))
        .await
        .unwrap();
    assert_eq!(
        code(e.check_route(check, on(ann)).await),
        Some("resource_access_denied")
    );
    e.admin()
        .add_access(t, &res, &user("ann"), "admin", None)
        .await
        .unwrap();
    assert_eq!(code(e.check_route(check, on(ann)).await), None);
    assert_eq!(code(e.check_route(check, on(boss)).await), None);
}

async fn two_instances_share_invalidation(b: &Backend) {
    // Two engines on one database, as two servers: each with its own bus
    // connection when Redis is configured, else one in-process bus.
    let (bus1, bus2): (SharedEventBus, SharedEventBus) =
        match caas_core::testkit::backend_url("CAAS_TEST_REDIS_URL") {
            Some(url) => {
                let config = caas_core::RedisConfig::new(&url)
                    .and_then(|c| {
                        c.with_prefix(&format!(
                            "authz-{}",
                            &caas_core::new_id(&caas_core::SystemClock)
                                .simple()
                                .to_string()[..24]
                        ))
                    })
                    .unwrap();
                (
                    Arc::new(
                        caas_core::events::RedisEventBus::connect(config.clone())
                            .await
                            .unwrap(),
                    ),
                    Arc::new(
                        caas_core::events::RedisEventBus::connect(config)
                            .await
                            .unwrap(),
                    ),
                )
            }
            None => (b.events.clone(), b.events.clone()),
        };
    let one = engine(b, bus1, None);
    let two = engine(b, bus2, None);
    let _l1 = one.listen().await.unwrap();
    let _l2 = two.listen().await.unwrap();
    let a = tenant(b, "authz-two").await;
    let t = &a.id;
    let ann = user("ann");
    // Both instances cache a deny.
    for e in [&one, &two] {
        assert!(!decide(e, t, &ann, "read", &doc("d")).await.allow);
        assert!(!decide(e, t, &ann, "read", &doc("d")).await.allow);
    }
    assert!(two.cache_hits() >= 1);
    // A change on one is seen by the other.
    one.admin().assign_role(t, "viewer", &ann).await.unwrap();
    assert!(decide(&one, t, &ann, "read", &doc("d")).await.allow);
    let mut seen = false;
    for _ in 0..100 {
        if decide(&two, t, &ann, "read", &doc("d")).await.allow {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "instance two still serves the cached deny");
    // And a policy publish on two is seen by one.
    two.admin()
        .publish_policies(
            t,
            &PolicyDraft {
                policies: "forbid(principal, action, resource);".into(),
                schema: "entity Doc;".into(),
                note: None,
            },
            None,
            None,
        )
        .await
        .unwrap();
    let mut seen = false;
    for _ in 0..100 {
        if !decide(&one, t, &ann, "read", &doc("d")).await.allow {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "instance one still serves the cached allow");
}

/// With `max_decisions: 0` every request is evaluated (no decision is
/// served from the cache), and changes are still seen at once; with the
/// default a repeated request is a cache hit.
async fn decision_cache_off(b: &Backend) {
    let a = tenant(b, "authz-nocache").await;
    let t = &a.id;
    let ann = user("ann");
    let off = engine_with(b, b.events.clone(), None, 0);
    let on = engine(b, b.events.clone(), None);
    for e in [&off, &on] {
        assert!(!decide(e, t, &ann, "read", &doc("d")).await.allow);
        assert!(!decide(e, t, &ann, "read", &doc("d")).await.allow);
    }
    assert_eq!(off.cache_hits(), 0);
    assert_eq!(on.cache_hits(), 1);
    off.admin().assign_role(t, "viewer", &ann).await.unwrap();
    let d = decide(&off, t, &ann, "read", &doc("d")).await;
    assert!(d.allow);
    assert_eq!(d.reasons, ["caas.role.viewer"]);
    off.admin().unassign_role(t, "viewer", &ann).await.unwrap();
    assert!(!decide(&off, t, &ann, "read", &doc("d")).await.allow);
    assert_eq!(off.cache_hits(), 0);
}

async fn sharing_has_a_ceiling(b: &Backend) {
    let e = engine(b, b.events.clone(), None);
    let tenant = tenant(b, "authz-share").await;
    let t = &tenant.id;
    let p = |sub: &str| Principal::new(sub, Some(*t), PrincipalKind::User);
    put(&e, t, &folder("root"), &[], true).await;
    put(&e, t, &folder("team"), &[folder("root")], true).await;
    let owner = e
        .admin()
        .add_access(t, &folder("team"), &user("olga"), "owner", None)
        .await
        .unwrap();
    e.admin()
        .add_access(t, &folder("root"), &user("adam"), "admin", None)
        .await
        .unwrap();
    // An admin of the folder (inherited from above) shares up to admin…
    let ed = e
        .share(t, &folder("team"), &user("eve"), "editor", Some(&p("adam")))
        .await
        .unwrap();
    e.share(t, &folder("team"), &user("ed"), "admin", Some(&p("adam")))
        .await
        .unwrap();
    // …but not owner, and cannot remove the owner's entry.
    let above = e
        .share(t, &folder("team"), &user("mal"), "owner", Some(&p("adam")))
        .await
        .unwrap_err();
    assert_eq!(above.code(), "share_above_own_role");
    let remove = e
        .unshare(t, &folder("team"), &owner.id, Some(&p("adam")))
        .await
        .unwrap_err();
    assert_eq!(remove.code(), "share_above_own_role");
    assert!(
        e.admin()
            .access_on(t, &folder("team"))
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == owner.id),
        "the owner's entry stays"
    );
    // An editor shares nothing above editor; a stranger shares nothing.
    let e_up = e
        .share(t, &folder("team"), &user("x"), "admin", Some(&p("eve")))
        .await
        .unwrap_err();
    assert_eq!(e_up.code(), "share_above_own_role");
    assert!(
        e.share(t, &folder("team"), &user("x"), "viewer", Some(&p("nobody")))
            .await
            .is_err()
    );
    // The owner shares owner; a tenant admin and the platform do anything.
    e.share(t, &folder("team"), &user("co"), "owner", Some(&p("olga")))
        .await
        .unwrap();
    let boss = p("boss").with_role("admin");
    e.unshare(t, &folder("team"), &owner.id, Some(&boss))
        .await
        .unwrap();
    e.unshare(t, &folder("team"), &ed.id, None).await.unwrap();
    // An entry on another resource is not found through this one.
    let elsewhere = e
        .admin()
        .add_access(t, &folder("root"), &user("y"), "viewer", None)
        .await
        .unwrap();
    let missing = e
        .unshare(t, &folder("team"), &elsewhere.id, Some(&boss))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), caas_core::ErrorKind::NotFound);
}
