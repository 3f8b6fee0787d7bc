//! What attenuation costs an API key: authenticating a key alone (the
//! prefix lookup and the constant-time hash compare) beside the gateway's
//! `ApiKeyAuthenticator`, which also loads the owner and, for a key with a
//! platform scope, asks the authorization engine for the owner's roles —
//! the price of "a key carries at most what its owner may do now".
//!
//! `cargo bench -p caas-benches --bench api_keys`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;

use caas_auth::api_keys::{ApiKeyInput, ApiKeys};
use caas_auth::users::{NewUser, SqlUserStore, UserStore};
use caas_auth::{ApiKeyAuthenticator, Attenuation};
use caas_authz::{Engine, EngineConfig, EngineParts, PolicyStore, RoleStore, SqlEntities};
use caas_core::{
    AuthContext, Authenticator, Credential, Db, DbOptions, NewTenant, SecretString, SharedClock,
    SqlTenantStore, SystemClock, TenantSlug, TenantStore,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn keys(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let clock: SharedClock = SystemClock::shared();
    let (keys, authn, tenant, app_key, admin_key) = rt.block_on(async {
        let db = Db::connect("sqlite::memory:", DbOptions::default().max_connections(1))
            .await
            .unwrap();
        db.migrate(&[
            &caas_core::MIGRATIONS,
            &caas_crypto::MIGRATIONS,
            &caas_auth::MIGRATIONS,
            &caas_authz::MIGRATIONS,
        ])
        .await
        .unwrap();
        let tenant = SqlTenantStore::new(db.clone(), clock.clone())
            .create(NewTenant::new(TenantSlug::parse("bench").unwrap(), "Bench"))
            .await
            .unwrap();
        let users: Arc<dyn UserStore> = Arc::new(SqlUserStore::new(db.clone(), clock.clone()));
        let mut attributes = serde_json::Map::new();
        attributes.insert("roles".into(), serde_json::json!(["admin"]));
        let owner = users
            .create(
                &tenant.id,
                &NewUser {
                    username: Some("owner".into()),
                    attributes,
                    ..NewUser::default()
                },
                None,
            )
            .await
            .unwrap();
        let store = SqlEntities::new(db.clone(), clock.clone());
        let engine = Engine::new(EngineParts {
            policies: PolicyStore::new(db.clone(), clock.clone()),
            roles: RoleStore::new(db.clone(), clock.clone()),
            provider: Arc::new(store.clone()),
            store,
            events: None,
            audit: None,
            clock: clock.clone(),
            config: EngineConfig::default(),
        });
        let keys = ApiKeys::new(db.clone(), clock.clone());
        let make = |scope: &str| ApiKeyInput {
            name: "bench".into(),
            scopes: vec![scope.to_owned()],
            expires_in: None,
        };
        let owner_id = owner.id.to_string();
        let (_, app_key) = keys
            .create(&tenant.id, &owner_id, &make("orders:read"))
            .await
            .unwrap();
        let (_, admin_key) = keys
            .create(&tenant.id, &owner_id, &make("authz:write"))
            .await
            .unwrap();
        let authn =
            ApiKeyAuthenticator::new(keys.clone(), Attenuation::new(users, Arc::new(engine)));
        (keys, authn, tenant, app_key, admin_key)
    });

    let mut group = c.benchmark_group("auth/API key authentication");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ApiKeys::authenticate (lookup + compare)", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                keys.authenticate(&tenant.id, black_box(app_key.expose()))
                    .await
                    .unwrap(),
            )
        });
    });
    for (name, key) in [
        ("authenticator, app scope (+ owner)", &app_key),
        (
            "authenticator, platform scope (+ owner + roles)",
            &admin_key,
        ),
    ] {
        let credential = Credential::Bearer(SecretString::new(key.expose().clone()));
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let p = authn
                    .authenticate(
                        black_box(&credential),
                        AuthContext {
                            tenant: Some(&tenant),
                        },
                    )
                    .await
                    .unwrap()
                    .unwrap();
                black_box(p)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, keys);
criterion_main!(benches);
