//! The `UserStore` conformance suite.

use caas_auth::users::{NewUser, SqlUserStore, UserStatus, UserStore, UserUpdate};
use caas_core::ErrorKind;
use caas_core::TenantId;
use caas_core::sql::{Scalar, query};
use caas_core::testkit::Backend;

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        users_are_unique_per_tenant_case_insensitively,
        users_change_and_go,
        confusable_usernames_are_one_account,
        emails_are_one_account_however_spelled,
        users_stored_before_the_rules_are_brought_up_to_date,
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

/// `create` fails with 409 naming `field`.
async fn refused(store: &SqlUserStore, t: &TenantId, user: NewUser, field: &str) {
    let shown = format!("{user:?}");
    let e = store.create(t, &user, None).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Conflict, Some(field)),
        "{shown}: {e}"
    );
}

async fn confusable_usernames_are_one_account(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let store = SqlUserStore::new(b.sql().clone(), b.shared_clock());
    // Cyrillic а (U+0430) in the first one.
    let first = store
        .create(&t, &new(None, Some("p\u{430}ypal")), None)
        .await
        .unwrap();
    for look_alike in [
        "paypal",             // Latin
        "PAYPAL",             // and upper case
        "ｐａｙｐａｌ",       // full-width
        "p\u{430}yp\u{430}l", // more Cyrillic
        "PAYPA\u{399}",       // Greek capital iota for the l
    ] {
        refused(&store, &t, new(None, Some(look_alike)), "username").await;
    }
    // rn and m, 0 and o, I and l.
    store
        .create(&t, &new(None, Some("modern")), None)
        .await
        .unwrap();
    refused(&store, &t, new(None, Some("rnodern")), "username").await;
    store
        .create(&t, &new(None, Some("g00gle")), None)
        .await
        .unwrap();
    refused(&store, &t, new(None, Some("google")), "username").await;
    store
        .create(&t, &new(None, Some("lohn")), None)
        .await
        .unwrap();
    refused(&store, &t, new(None, Some("Iohn")), "username").await;
    // Names that differ are fine; another tenant may take the look-alike.
    store
        .create(&t, &new(None, Some("paypal-support")), None)
        .await
        .unwrap();
    let other = tenant(b, "umbrella").await.id;
    store
        .create(&other, &new(None, Some("paypal")), None)
        .await
        .unwrap();
    // Renaming into a look-alike is refused too; keeping one's own is not.
    let bo = store
        .create(&t, &new(None, Some("bo-rn")), None)
        .await
        .unwrap();
    let e = store
        .update(
            &t,
            bo.id,
            &UserUpdate {
                username: Some("PayPal".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Conflict, Some("username"))
    );
    // A look-alike of one's own name is one's own.
    store
        .update(
            &t,
            bo.id,
            &UserUpdate {
                username: Some("bo-m".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    let renamed = store
        .update(
            &t,
            first.id,
            &UserUpdate {
                username: Some("P\u{430}ypal".into()),
                display_name: Some("Pay".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.username.as_deref(), Some("P\u{430}ypal"));
    // A display-name change keeps the name and its skeleton.
    store
        .update(
            &t,
            first.id,
            &UserUpdate {
                display_name: Some("Pay again".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    refused(&store, &t, new(None, Some("paypal")), "username").await;
    // Logins are exact: the look-alike is not the account.
    let found = store
        .find_by_login(&t, "p\u{430}ypal")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, first.id);
    assert!(store.find_by_login(&t, "paypal").await.unwrap().is_none());
}

async fn emails_are_one_account_however_spelled(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let store = SqlUserStore::new(b.sql().clone(), b.shared_clock());
    // NFD (e + combining acute) then NFC (é): one address, kept as NFC.
    let jose = store
        .create(&t, &new(Some("jose\u{301}@example.com"), None), None)
        .await
        .unwrap();
    assert_eq!(jose.email.as_deref(), Some("jos\u{e9}@example.com"));
    refused(
        &store,
        &t,
        new(Some("JOS\u{c9}@example.com"), None),
        "email",
    )
    .await;
    // An IDN domain in Unicode, then in punycode: one address.
    let ana = store
        .create(&t, &new(Some("ana@bücher.example"), None), None)
        .await
        .unwrap();
    refused(
        &store,
        &t,
        new(Some("ana@xn--bcher-kva.example"), None),
        "email",
    )
    .await;
    refused(&store, &t, new(Some("Ana@BÜCHER.example"), None), "email").await;
    // Logins find them by any spelling.
    for (login, id) in [
        ("jos\u{e9}@example.com", jose.id),
        ("jose\u{301}@EXAMPLE.com", jose.id),
        ("ana@xn--bcher-kva.example", ana.id),
        ("ANA@Bücher.Example", ana.id),
    ] {
        let found = store.find_by_login(&t, login).await.unwrap().unwrap();
        assert_eq!(found.user.id, id, "{login}");
    }
    // Usernames in NFD and NFC are one name too.
    store
        .create(&t, &new(None, Some("Jose\u{301}")), None)
        .await
        .unwrap();
    refused(&store, &t, new(None, Some("jos\u{e9}")), "username").await;
}

/// Writes a user row the way the store did before the 30010 migration: keys
/// only lower-cased, no skeleton, `keys_version` 0.
async fn legacy_user(
    b: &Backend,
    t: &TenantId,
    id: &str,
    email: Option<&str>,
    username: Option<&str>,
) {
    let mut tx = b.sql().tenant_tx(t).await.unwrap();
    query(
        "INSERT INTO auth_users (tenant_id, id, email, email_key, username, username_key, \
         display_name, status, attributes, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'old', 'active', '{}', NULL, 0, 0)",
    )
    .bind(t)
    .bind(id)
    .bind(email)
    .bind(email.map(str::to_lowercase))
    .bind(username)
    .bind(username.map(str::to_lowercase))
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn users_stored_before_the_rules_are_brought_up_to_date(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let store = SqlUserStore::new(b.sql().clone(), b.shared_clock());
    let ids = [
        "0190f1c2-7e4b-7a3d-9c1e-000000000001",
        "0190f1c2-7e4b-7a3d-9c1e-000000000002",
        "0190f1c2-7e4b-7a3d-9c1e-000000000003",
        "0190f1c2-7e4b-7a3d-9c1e-000000000004",
    ];
    // Two look-alikes the old rules told apart, a Unicode domain, an NFD name.
    legacy_user(b, &t, ids[0], None, Some("paypal")).await;
    legacy_user(b, &t, ids[1], None, Some("p\u{430}ypal")).await;
    legacy_user(b, &t, ids[2], Some("Ana@Bücher.example"), None).await;
    legacy_user(b, &t, ids[3], None, Some("Jose\u{301}")).await;
    // A login by the punycode form finds the Unicode-domain account (the
    // miss brings the tenant's keys up to date).
    let found = store
        .find_by_login(&t, "ana@xn--bcher-kva.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id.to_string(), ids[2]);
    // Both old look-alikes still log in, each as itself.
    for (login, id) in [
        ("paypal", ids[0]),
        ("p\u{430}ypal", ids[1]),
        ("jos\u{e9}", ids[3]),
    ] {
        let found = store.find_by_login(&t, login).await.unwrap().unwrap();
        assert_eq!(found.user.id.to_string(), id, "{login}");
    }
    // No new look-alike of them, nor a second spelling of the others.
    refused(&store, &t, new(None, Some("ｐａｙｐａｌ")), "username").await;
    refused(&store, &t, new(None, Some("PAYPAL")), "username").await;
    refused(&store, &t, new(None, Some("jos\u{e9}")), "username").await;
    refused(&store, &t, new(Some("ana@bücher.example"), None), "email").await;
    let mut tx = b.sql().tenant_tx(&t).await.unwrap();
    let left: Vec<Scalar<String>> =
        query("SELECT id FROM auth_users WHERE tenant_id = $1 AND keys_version = 0")
            .bind(t)
            .fetch_all(&mut tx)
            .await
            .unwrap();
    assert!(left.is_empty(), "every row was brought up to date");
    // Erasing a username (as a data-subject erasure does) frees its skeleton.
    query("UPDATE auth_users SET username = NULL, username_key = NULL WHERE tenant_id = $1 AND id = $2")
        .bind(t)
        .bind(ids[0])
        .execute(&mut tx)
        .await
        .unwrap();
    let skeleton: Option<Scalar<Option<String>>> =
        query("SELECT username_skeleton FROM auth_users WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(ids[0])
            .fetch_optional(&mut tx)
            .await
            .unwrap();
    assert_eq!(skeleton.map(|s| s.0), Some(None));
    tx.commit().await.unwrap();
}
