//! The policy store on every SQL backend: publish with strict validation,
//! Cedar's diagnostics with line and column (nothing stored on failure),
//! optimistic concurrency, history, rollback, tenant isolation.

use caas_authz::{PolicyDraft, PolicyStore};
use caas_core::testkit::Backend;
use caas_core::{ErrorKind, NewTenant, SqlTenantStore, Tenant, TenantSlug, TenantStore};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_authz::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [publish_validate_and_roll_back],
}

const SCHEMA: &str = r#"
entity User in [Group] { level: Long };
entity Group;
entity Doc { owner: User };
action read, write appliesTo { principal: User, resource: Doc };
"#;

const POLICIES: &str = r#"permit(principal in Group::"staff", action == Action::"read", resource);
permit(principal, action == Action::"write", resource) when { resource.owner == principal };
"#;

async fn tenant(b: &Backend, slug: &str) -> Tenant {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Authz"))
        .await
        .unwrap()
}

fn draft(policies: &str) -> PolicyDraft {
    PolicyDraft {
        policies: policies.into(),
        schema: SCHEMA.into(),
        note: None,
    }
}

async fn publish_validate_and_roll_back(b: &Backend) {
    let store = PolicyStore::new(b.sql().clone(), b.shared_clock());
    let t = tenant(b, "authz-store").await;
    assert!(store.current(&t.id).await.unwrap().is_none());

    // A syntax error: 400 with the line and column, nothing stored.
    let e = store
        .publish(
            &t.id,
            &draft("permit(principal,\n  action == Action::\"read\",\n  resourse);"),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::InvalidInput, "invalid_policy")
    );
    let details = e.details().unwrap().as_array().unwrap().clone();
    assert!(!details.is_empty());
    assert_eq!(details[0]["line"], 3, "{details:?}");
    assert!(details[0]["message"].as_str().unwrap().len() > 5);
    // Valid syntax, but not against the schema (strict): an unknown attribute.
    let e = store
        .publish(
            &t.id,
            &draft("permit(principal, action == Action::\"read\", resource)\n  when { principal.age > 3 };"),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "policy_validation_failed");
    let details = e.details().unwrap();
    assert_eq!(details[0]["line"], 2, "{details}");
    // A broken schema.
    let e = store
        .publish(
            &t.id,
            &PolicyDraft {
                schema: "entity User in [Nope];".into(),
                ..draft(POLICIES)
            },
            None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_schema", Some("schema")));
    assert!(store.current(&t.id).await.unwrap().is_none());

    // Valid: version 1, then 2; a stale writer is refused.
    let (v1, checked) = store
        .publish(&t.id, &draft(POLICIES), None, Some("admin"))
        .await
        .unwrap();
    assert_eq!((v1.version, v1.policy_count), (1, 2));
    assert_eq!(checked.policies.policies().count(), 2);
    let second =
        format!("{POLICIES}forbid(principal, action, resource) when {{ principal.level < 0 }};\n");
    let (v2, _) = store
        .publish(&t.id, &draft(&second), Some(1), None)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let stale = store
        .publish(&t.id, &draft(POLICIES), Some(1), None)
        .await
        .unwrap_err();
    assert_eq!(
        (stale.kind(), stale.code()),
        (ErrorKind::Conflict, "policy_version_conflict")
    );

    // Rollback publishes version 1's content as version 3.
    let (v3, _) = store.rollback(&t.id, 1, Some("admin")).await.unwrap();
    assert_eq!((v3.version, v3.policies.as_str()), (3, POLICIES));
    assert_eq!(v3.note.as_deref(), Some("rollback to version 1"));
    assert_eq!(store.current(&t.id).await.unwrap().unwrap().version, 3);
    let history: Vec<i64> = store
        .history(&t.id, 10)
        .await
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, [3, 2, 1]);
    assert_eq!(
        store.rollback(&t.id, 9, None).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Another tenant sees nothing of it.
    let other = tenant(b, "authz-store-b").await;
    assert!(store.current(&other.id).await.unwrap().is_none());
    assert!(store.get(&other.id, 1).await.unwrap().is_none());
}
