//! The `TenantStore` conformance suite.

use std::time::Duration;

use caas_core::testkit::{Backend, TEST_EPOCH};
use caas_core::{
    ErrorKind, NewTenant, Page, TenantId, TenantSettings, TenantSlug, TenantStatus, TenantUpdate,
};

use crate::tenant_store;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS],
    backends: [memory, sqlite_memory, sqlite_file, postgres],
    tests: [
        creates_and_reads_a_tenant,
        a_taken_slug_is_a_conflict_even_after_deletion,
        invalid_input_changes_nothing,
        lists_tenants_in_pages,
        updates_name_and_settings,
        status_moves_between_active_and_suspended_and_deleted_is_terminal,
        unknown_tenants_are_not_found,
        new_tenants_refuse_uuid_shaped_numeric_and_reserved_slugs,
        tenants_stored_with_old_slugs_still_load,
    ],
}

fn slug(s: &str) -> TenantSlug {
    TenantSlug::parse(s).unwrap()
}

async fn creates_and_reads_a_tenant(b: &Backend) {
    let store = tenant_store(b);
    let settings =
        TenantSettings::from_json(r#"{"plan":"pro","extensions":{"game":{"rounds":7}}}"#).unwrap();
    let created = store
        .create(NewTenant::new(slug("acme"), "  Acme Inc. ").with_settings(settings.clone()))
        .await
        .unwrap();
    assert_eq!(created.slug.as_str(), "acme");
    assert_eq!(created.name, "Acme Inc.", "names are trimmed");
    assert_eq!(created.status, TenantStatus::Active);
    assert_eq!(created.settings, settings);
    assert_eq!(created.created_at, TEST_EPOCH);
    assert_eq!(created.updated_at, TEST_EPOCH);

    assert_eq!(store.get(&created.id).await.unwrap(), Some(created.clone()));
    assert_eq!(
        store.get_by_slug(&slug("acme")).await.unwrap(),
        Some(created)
    );
}

async fn a_taken_slug_is_a_conflict_even_after_deletion(b: &Backend) {
    let store = tenant_store(b);
    let first = store
        .create(NewTenant::new(slug("acme"), "Acme"))
        .await
        .unwrap();
    let e = store
        .create(NewTenant::new(slug("acme"), "Other"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(e.field(), Some("slug"));

    store
        .set_status(&first.id, TenantStatus::Deleted)
        .await
        .unwrap();
    let e = store
        .create(NewTenant::new(slug("acme"), "Squatter"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "deleted slugs stay reserved");
    assert_eq!(store.list(&Page::first(10)).await.unwrap().len(), 1);
}

async fn invalid_input_changes_nothing(b: &Backend) {
    let store = tenant_store(b);
    let e = store
        .create(NewTenant::new(slug("acme"), "   "))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("name"));

    let bad_settings = TenantSettings {
        plan: Some("Not A Plan".into()),
        ..Default::default()
    };
    let e = store
        .create(NewTenant::new(slug("acme"), "Acme").with_settings(bad_settings.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("settings.plan"));
    assert!(store.list(&Page::default()).await.unwrap().is_empty());

    let t = store
        .create(NewTenant::new(slug("acme"), "Acme"))
        .await
        .unwrap();
    let update = TenantUpdate {
        name: Some("Renamed".into()),
        settings: Some(bad_settings),
    };
    assert_eq!(
        store.update(&t.id, &update).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        store.get(&t.id).await.unwrap().unwrap().name,
        "Acme",
        "nothing changed"
    );

    let e = store
        .list(&Page {
            after: None,
            limit: 1001,
        })
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("limit"));
}

async fn lists_tenants_in_pages(b: &Backend) {
    let store = tenant_store(b);
    let mut ids = Vec::new();
    for i in 0..5 {
        b.clock.advance(Duration::from_millis(1));
        ids.push(
            store
                .create(NewTenant::new(slug(&format!("tenant-{i}")), "T"))
                .await
                .unwrap()
                .id,
        );
    }
    let first = store.list(&Page::first(2)).await.unwrap();
    assert_eq!(first.iter().map(|t| t.id).collect::<Vec<_>>(), ids[..2]);
    let second = store
        .list(&Page {
            after: Some(first[1].id),
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(second.iter().map(|t| t.id).collect::<Vec<_>>(), ids[2..4]);
    let rest = store
        .list(&Page {
            after: Some(second[1].id),
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|t| t.id).collect::<Vec<_>>(), ids[4..]);
}

async fn updates_name_and_settings(b: &Backend) {
    let store = tenant_store(b);
    let t = store
        .create(NewTenant::new(slug("acme"), "Acme"))
        .await
        .unwrap();
    b.clock.advance(Duration::from_secs(60));

    let renamed = store
        .update(
            &t.id,
            &TenantUpdate {
                name: Some("Acme Corp".into()),
                settings: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Acme Corp");
    assert_eq!(renamed.created_at, TEST_EPOCH);
    assert_eq!(
        renamed.updated_at,
        TEST_EPOCH.saturating_add(Duration::from_secs(60))
    );

    let settings = TenantSettings {
        plan: Some("enterprise".into()),
        ..Default::default()
    };
    let changed = store
        .update(
            &t.id,
            &TenantUpdate {
                name: None,
                settings: Some(settings.clone()),
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.name, "Acme Corp", "name kept");
    assert_eq!(changed.settings, settings);
    assert_eq!(store.get(&t.id).await.unwrap().unwrap(), changed);
}

async fn status_moves_between_active_and_suspended_and_deleted_is_terminal(b: &Backend) {
    let store = tenant_store(b);
    let t = store
        .create(NewTenant::new(slug("acme"), "Acme"))
        .await
        .unwrap();
    let suspended = store
        .set_status(&t.id, TenantStatus::Suspended)
        .await
        .unwrap();
    assert_eq!(suspended.status, TenantStatus::Suspended);
    assert_eq!(
        suspended.ensure_active().unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    let resumed = store.set_status(&t.id, TenantStatus::Active).await.unwrap();
    assert!(resumed.ensure_active().is_ok());

    let deleted = store
        .set_status(&t.id, TenantStatus::Deleted)
        .await
        .unwrap();
    assert_eq!(
        deleted.ensure_active().unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let e = store
        .set_status(&t.id, TenantStatus::Active)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    let e = store
        .update(
            &t.id,
            &TenantUpdate {
                name: Some("x".into()),
                settings: None,
            },
        )
        .await;
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(
        store.get(&t.id).await.unwrap().unwrap().status,
        TenantStatus::Deleted
    );
}

async fn unknown_tenants_are_not_found(b: &Backend) {
    let store = tenant_store(b);
    let ghost = TenantId::generate(b.clock.as_ref());
    assert_eq!(store.get(&ghost).await.unwrap(), None);
    assert_eq!(store.get_by_slug(&slug("ghost")).await.unwrap(), None);
    let e = store
        .set_status(&ghost, TenantStatus::Suspended)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = store
        .update(&ghost, &TenantUpdate::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

async fn new_tenants_refuse_uuid_shaped_numeric_and_reserved_slugs(b: &Backend) {
    let store = tenant_store(b);
    // However the slug was parsed (a lookup, or a stored form), creating a
    // tenant checks the rules for new slugs.
    for bad in [
        "admin",
        "www",
        "health",
        "openapi",
        "v10",
        "12345",
        "0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e",
        "0190f1c27e4b7a3d9c1e2f3a4b5c6d7e",
    ] {
        let slug = TenantSlug::from_stored(bad).unwrap();
        let e = store
            .create(NewTenant::new(slug.clone(), "Squatter"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert_eq!(e.field(), Some("slug"), "{bad}");
        assert_eq!(store.get_by_slug(&slug).await.unwrap(), None, "{bad}");
    }
    assert!(store.list(&Page::default()).await.unwrap().is_empty());
}

async fn tenants_stored_with_old_slugs_still_load(b: &Backend) {
    let Some(db) = b.db() else {
        return; // only SQL keeps rows from before the rules
    };
    let store = tenant_store(b);
    let old = [
        ("0190f1c2-7e4b-7a3d-9c1e-000000000001", "admin"),
        ("0190f1c2-7e4b-7a3d-9c1e-000000000002", "2024"),
        (
            "0190f1c2-7e4b-7a3d-9c1e-000000000003",
            "0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e",
        ),
    ];
    for (id, s) in old {
        caas_core::sql::query(
            "INSERT INTO tenants (id, slug, name, status, settings, created_at, updated_at) \
             VALUES ($1, $2, 'Old', 'active', '{}', 0, 0)",
        )
        .bind(id)
        .bind(s)
        .execute(db)
        .await
        .unwrap();
    }
    let listed = store.list(&Page::default()).await.unwrap();
    let slugs: Vec<&str> = listed.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(slugs, old.map(|(_, s)| s));
    for (id, s) in old {
        let got = store.get(&id.parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(got.slug.as_str(), s);
    }
    // The reserved and the numeric ones can still be looked up by slug.
    for s in ["admin", "2024"] {
        let got = store.get_by_slug(&slug(s)).await.unwrap().unwrap();
        assert_eq!(got.slug.as_str(), s);
    }
}
