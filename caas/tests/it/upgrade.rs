//! A database migrated by a wave-1 binary, where caas-server owned the
//! webhook and admin-key tables (migration 90001), upgrades in place: the
//! tables move to caas-webhooks (70001) and caas-auth (30011), 90001 is
//! retired, and the rows written before the upgrade are still there.

use caas::auth::admin_key::AdminKeyAuthenticator;
use caas::core::sql::{Migration, Migrations};
use caas::core::testkit::{Backend, BackendKind};
use caas::core::{NewTenant, SqlTenantStore, TenantStore};
use caas::webhooks::model::WebhookInput;
use caas::webhooks::store::WebhookStore;

static GATEWAY_90001: Migrations = Migrations {
    component: "caas-server (wave 1)",
    sqlite: &[Migration {
        version: 90_001,
        description: "gateway: admin keys, webhooks",
        sql: include_str!("../fixtures/sqlite/90001_gateway.sql"),
    }],
    postgres: &[Migration {
        version: 90_001,
        description: "gateway: admin keys, webhooks",
        sql: include_str!("../fixtures/postgres/90001_gateway.sql"),
    }],
    retired: &[],
};

/// The migration sets as the wave-1 binary had them: today's, without the
/// two versions that took over 90001's tables, plus 90001 itself.
fn wave_one() -> Vec<&'static Migrations> {
    const MOVED: [i64; 2] = [30_011, 70_001];
    let mut sets: Vec<&'static Migrations> = caas::backends::migrations()
        .into_iter()
        .map(|set| {
            let keep = |list: &'static [Migration]| -> &'static [Migration] {
                let kept: Vec<Migration> = list
                    .iter()
                    .filter(|m| !MOVED.contains(&m.version))
                    .cloned()
                    .collect();
                Vec::leak(kept)
            };
            let old: &'static Migrations = Box::leak(Box::new(Migrations {
                component: set.component,
                sqlite: keep(set.sqlite),
                postgres: keep(set.postgres),
                retired: &[],
            }));
            old
        })
        .collect();
    sets.push(&GATEWAY_90001);
    sets
}

async fn upgrades_in_place(kind: BackendKind) {
    let Some(b) = Backend::open(kind, &wave_one()).await else {
        return;
    };
    let db = b.sql().clone();
    let clock = b.shared_clock();
    let tenant = SqlTenantStore::new(db.clone(), clock.clone())
        .create(NewTenant::new("acme-upgrade".parse().unwrap(), "Acme"))
        .await
        .unwrap();
    let hooks = WebhookStore::new(db.clone(), clock.clone());
    let input = WebhookInput {
        url: "https://hooks.example.com/in".into(),
        description: "before the upgrade".into(),
        event_types: vec!["tenant.*".into()],
        enabled: true,
    };
    hooks.create(&tenant.id, &input, &input.url).await.unwrap();
    let (_, key) = AdminKeyAuthenticator::bootstrap(&db, &clock, None)
        .await
        .unwrap();
    assert!(key.is_some(), "a fresh wave-1 database generates its key");

    let now = caas::backends::migrations();
    assert_eq!(db.pending_migrations(&now).await.unwrap(), [30_011, 70_001]);
    assert_eq!(db.migrate(&now).await.unwrap(), [30_011, 70_001]);
    assert!(db.pending_migrations(&now).await.unwrap().is_empty());

    let kept = hooks.list(&tenant.id, None, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].description, "before the upgrade");
    let (_, key) = AdminKeyAuthenticator::bootstrap(&db, &clock, None)
        .await
        .unwrap();
    assert!(key.is_none(), "the stored admin key survives the upgrade");
    // The moved tables work as before: a second webhook can be added.
    hooks.create(&tenant.id, &input, &input.url).await.unwrap();
}

#[tokio::test]
async fn a_wave_one_sqlite_database_upgrades_in_place() {
    upgrades_in_place(BackendKind::SqliteFile).await;
}

#[tokio::test]
async fn a_wave_one_postgres_database_upgrades_in_place() {
    upgrades_in_place(BackendKind::Postgres).await;
}
