//! `TenantResolver` behaviour, over the memory and SQL tenant stores.

use caas_core::testkit::Backend;
use caas_core::{
    ErrorKind, NewTenant, SharedTenantStore, Tenant, TenantHints, TenantResolver, TenantSlug,
    TenantSource, TenantStatus,
};

use crate::tenant_store;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS],
    backends: [memory, sqlite_memory, postgres],
    tests: [
        each_source_names_a_tenant,
        sources_outside_the_order_are_ignored,
        agreeing_sources_resolve_together,
        disagreeing_sources_are_invalid_input,
        unknown_tenants_are_not_found,
        suspended_tenants_are_forbidden_and_deleted_ones_gone,
        no_source_means_no_tenant,
        malformed_values_are_invalid_input,
    ],
}

const BASE: &str = "caas.example.com";

async fn setup(b: &Backend) -> (TenantResolver, Tenant, Tenant, SharedTenantStore) {
    let store = tenant_store(b);
    let acme = store
        .create(NewTenant::new(TenantSlug::parse("acme").unwrap(), "Acme"))
        .await
        .unwrap();
    let globex = store
        .create(NewTenant::new(
            TenantSlug::parse("globex").unwrap(),
            "Globex",
        ))
        .await
        .unwrap();
    let resolver =
        TenantResolver::new(store.clone(), &TenantSource::DEFAULT_ORDER, Some(BASE)).unwrap();
    (resolver, acme, globex, store)
}

async fn resolve(r: &TenantResolver, hints: TenantHints<'_>) -> caas_core::Result<Option<Tenant>> {
    r.resolve(&hints).await.map(|o| o.map(|res| res.tenant))
}

async fn each_source_names_a_tenant(b: &Backend) {
    let (r, acme, ..) = setup(b).await;
    let id = acme.id.to_string();
    let cases = [
        TenantHints {
            header: Some("acme"),
            ..Default::default()
        },
        TenantHints {
            header: Some(&id),
            ..Default::default()
        },
        TenantHints {
            claim: Some(&id),
            ..Default::default()
        },
        TenantHints {
            host: Some("acme.caas.example.com:443"),
            ..Default::default()
        },
        TenantHints {
            path: Some("/t/acme/v1/games"),
            ..Default::default()
        },
    ];
    for hints in cases {
        let found = resolve(&r, hints).await.unwrap();
        assert_eq!(found.map(|t| t.id), Some(acme.id), "{hints:?}");
    }
}

async fn sources_outside_the_order_are_ignored(b: &Backend) {
    let (_, acme, _, store) = setup(b).await;
    let r = TenantResolver::new(store, &[TenantSource::PathPrefix], None).unwrap();
    let hints = TenantHints {
        header: Some("globex"),
        path: Some("/t/acme/x"),
        ..Default::default()
    };
    let found = r.resolve(&hints).await.unwrap().unwrap();
    assert_eq!(found.tenant.id, acme.id);
    assert_eq!(found.sources, [TenantSource::PathPrefix]);
}

async fn agreeing_sources_resolve_together(b: &Backend) {
    let (r, acme, ..) = setup(b).await;
    let id = acme.id.to_string();
    let hints = TenantHints {
        header: Some(&id),
        host: Some("acme.caas.example.com"),
        path: Some("/t/acme/"),
        ..Default::default()
    };
    let found = r.resolve(&hints).await.unwrap().unwrap();
    assert_eq!(found.tenant.id, acme.id);
    assert_eq!(
        found.sources,
        [
            TenantSource::Header,
            TenantSource::Subdomain,
            TenantSource::PathPrefix
        ]
    );
}

async fn disagreeing_sources_are_invalid_input(b: &Backend) {
    let (r, ..) = setup(b).await;
    let hints = TenantHints {
        header: Some("acme"),
        host: Some("globex.caas.example.com"),
        ..Default::default()
    };
    let e = r.resolve(&hints).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.message().contains("`acme`") && e.message().contains("`globex`"),
        "{e}"
    );

    // A known tenant and an unknown one disagree too.
    let hints = TenantHints {
        header: Some("acme"),
        path: Some("/t/nobody"),
        ..Default::default()
    };
    assert_eq!(
        r.resolve(&hints).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

async fn unknown_tenants_are_not_found(b: &Backend) {
    let (r, ..) = setup(b).await;
    for hints in [
        TenantHints {
            header: Some("nobody"),
            ..Default::default()
        },
        TenantHints {
            claim: Some("0190f1c2-7e4b-7a3d-9c1e-2f3a4b5c6d7e"),
            ..Default::default()
        },
        TenantHints {
            host: Some("nobody.caas.example.com"),
            ..Default::default()
        },
    ] {
        let e = resolve(&r, hints).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{hints:?}");
    }
}

async fn suspended_tenants_are_forbidden_and_deleted_ones_gone(b: &Backend) {
    let (r, acme, globex, store) = setup(b).await;
    store
        .set_status(&acme.id, TenantStatus::Suspended)
        .await
        .unwrap();
    store
        .set_status(&globex.id, TenantStatus::Deleted)
        .await
        .unwrap();
    let e = resolve(
        &r,
        TenantHints {
            header: Some("acme"),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert!(e.message().contains("suspended"));
    let e = resolve(
        &r,
        TenantHints {
            header: Some("globex"),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

async fn no_source_means_no_tenant(b: &Backend) {
    let (r, ..) = setup(b).await;
    let hints = TenantHints {
        host: Some("caas.example.com"),
        path: Some("/health"),
        ..Default::default()
    };
    assert!(r.resolve(&hints).await.unwrap().is_none());
    let e = r.resolve_required(&hints).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("X-Tenant-ID"), "{e}");
}

async fn malformed_values_are_invalid_input(b: &Backend) {
    let (r, _, _, store) = setup(b).await;
    for hints in [
        TenantHints {
            header: Some("Not A Slug!"),
            ..Default::default()
        },
        TenantHints {
            host: Some("a.b.caas.example.com"),
            ..Default::default()
        },
        TenantHints {
            path: Some("/t/x/"),
            ..Default::default()
        },
    ] {
        let e = resolve(&r, hints).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{hints:?}");
    }
    let e = TenantResolver::new(store.clone(), &[TenantSource::Subdomain], None).unwrap_err();
    assert_eq!(e.field(), Some("base_domain"));
    let e = TenantResolver::new(store, &[TenantSource::Header, TenantSource::Header], None);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::InvalidInput);
}
