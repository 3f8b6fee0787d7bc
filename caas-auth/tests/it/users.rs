//! The `UserStore` conformance suite.

use caas_auth::users::{NewUser, SqlUserStore, UserStatus, UserStore, UserUpdate};
use caas_core::ErrorKind;
use caas_core::testkit::Backend;

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        users_are_unique_per_tenant_case_insensitively,
        users_change_and_go,
    ],
}

fn new(email: Option<&str>, username: Option<&str>) -> NewUser {
    NewUser {
        email: email.map(str::to_owned),
        username: username.map(str::to_owned),
        ..NewUser::default()
    }
}

async fn users_are_unique_per_tenant_case_insensitively(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await.id, tenant(b, "umbrella").await.id);
    let store = SqlUserStore::new(b.sql().clone(), b.shared_clock());
    let ana = store
        .create(
            &t,
            &new(Some("Ana@Example.com"), Some("Ana.K")),
            Some("$argon2id$stub"),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            ana.email.as_deref(),
            ana.username.as_deref(),
            ana.display_name.as_str()
        ),
        (Some("Ana@Example.com"), Some("Ana.K"), "Ana.K")
    );
    assert_eq!((ana.status, ana.has_password), (UserStatus::Active, true));
    for (email, username, field) in [
        (Some("ana@example.COM"), None, "email"),
        (Some("bo@example.com"), Some("ana.k"), "username"),
    ] {
        let e = store
            .create(&t, &new(email, username), None)
            .await
            .unwrap_err();
        assert_eq!((e.kind(), e.field()), (ErrorKind::Conflict, Some(field)));
    }
    // Another tenant may have the same email.
    store
        .create(&other, &new(Some("ana@example.com"), None), None)
        .await
        .unwrap();
    // Login by either identifier, any case; the hash comes along.
    for login in ["ANA@example.com", "ana.k", " Ana.K "] {
        let found = store.find_by_login(&t, login).await.unwrap().unwrap();
        assert_eq!(found.user.id, ana.id);
        assert_eq!(found.password_hash.as_deref(), Some("$argon2id$stub"));
    }
    assert!(store.find_by_login(&t, "nobody").await.unwrap().is_none());
    assert!(
        store.get(&other, ana.id).await.unwrap().is_none(),
        "tenants are isolated"
    );
    // Bad input: nothing stored.
    for (user, field) in [
        (new(None, None), "email"),
        (new(Some("not-an-email"), None), "email"),
        (new(None, Some("a b")), "username"),
    ] {
        let e = store.create(&t, &user, None).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidInput, Some(field))
        );
    }
    assert_eq!(store.list(&t, None, 100).await.unwrap().len(), 1);
    if let Some(db) = b.db()
        && db.dialect() == caas_core::Dialect::Postgres
    {
        assert_eq!(
            caas_core::testkit::tenant_tables_without_rls(db)
                .await
                .unwrap(),
            Vec::<String>::new()
        );
    }
}

async fn users_change_and_go(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let store = SqlUserStore::new(b.sql().clone(), b.shared_clock());
    let ana = store
        .create(&t, &new(Some("ana@example.com"), None), None)
        .await
        .unwrap();
    let bo = store
        .create(&t, &new(Some("bo@example.com"), None), None)
        .await
        .unwrap();
    assert_eq!(
        (ana.display_name.as_str(), ana.has_password),
        ("ana", false)
    );
    let mut attributes = serde_json::Map::new();
    attributes.insert("team".into(), serde_json::json!("red"));
    let changed = store
        .update(
            &t,
            ana.id,
            &UserUpdate {
                username: Some("ana".into()),
                display_name: Some("Ana Kovač".into()),
                status: Some(UserStatus::Locked),
                attributes: Some(attributes),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.email.as_deref(), Some("ana@example.com"), "kept");
    assert_eq!(changed.status, UserStatus::Locked);
    assert_eq!(changed.attributes["team"], "red");
    // Taking another user's email is a conflict; keeping one's own is not.
    let e = store
        .update(
            &t,
            ana.id,
            &UserUpdate {
                email: Some("BO@example.com".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("email"));
    store
        .update(
            &t,
            ana.id,
            &UserUpdate {
                email: Some("ANA@example.com".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    store
        .set_password_hash(&t, ana.id, Some("$argon2id$x"))
        .await
        .unwrap();
    assert!(store.get(&t, ana.id).await.unwrap().unwrap().has_password);
    let page = store.list(&t, None, 1).await.unwrap();
    let rest = store.list(&t, Some(page[0].id), 10).await.unwrap();
    assert_eq!((page[0].id, rest[0].id), (ana.id, bo.id));
    store.delete(&t, ana.id).await.unwrap();
    assert_eq!(
        store.delete(&t, ana.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        store
            .set_password_hash(&t, ana.id, None)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}
