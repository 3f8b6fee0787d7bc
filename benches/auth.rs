//! Verifying an EdDSA access token: through CAAS (`TokenService::verify` —
//! signature, the key's algorithm, time with leeway, issuer, audience,
//! tenant, and the revocation lookups in the in-process key-value store)
//! against a bare `jsonwebtoken` decode of the same token with the same key.
//!
//! `cargo bench -p caas-benches --bench auth`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;

use caas_auth::revocation::Revocations;
use caas_auth::tokens::{KeyPolicy, SigningKeys, TokenConfig, TokenRequest, TokenService};
use caas_core::events::MemoryEventBus;
use caas_core::kv::MemoryKvStore;
use caas_core::{
    Db, DbOptions, NewTenant, PrincipalKind, SharedClock, SqlTenantStore, SystemClock, TenantSlug,
    TenantStore,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn verify(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let clock: SharedClock = SystemClock::shared();
    let (svc, tenant, token, jwk) = rt.block_on(async {
        let db = Db::connect("sqlite::memory:", DbOptions::default().max_connections(1))
            .await
            .unwrap();
        db.migrate(&[
            &caas_core::MIGRATIONS,
            &caas_crypto::MIGRATIONS,
            &caas_auth::MIGRATIONS,
        ])
        .await
        .unwrap();
        let tenant = SqlTenantStore::new(db.clone(), clock.clone())
            .create(NewTenant::new(TenantSlug::parse("bench").unwrap(), "Bench"))
            .await
            .unwrap();
        let keys: Arc<dyn KeyManager> = Arc::new(SqlKeyManager::new(
            db.clone(),
            MasterKey::generate(),
            clock.clone(),
            None,
        ));
        let signing = Arc::new(SigningKeys::new(
            db.clone(),
            keys,
            clock.clone(),
            KeyPolicy::default(),
        ));
        let config = TokenConfig::default();
        let revocations = Revocations::new(
            db.clone(),
            Arc::new(MemoryKvStore::new(clock.clone())),
            Arc::new(MemoryEventBus::new()),
            clock.clone(),
            config.overlap(),
        );
        let svc = TokenService::new(signing.clone(), revocations, clock.clone(), config).unwrap();
        let request = TokenRequest {
            session: Some("s-1".into()),
            roles: vec!["player".into()],
            ..TokenRequest::new("user-1", PrincipalKind::User)
        };
        let token = svc.issue(&tenant, &request).await.unwrap().token;
        let jwks = signing.jwks(&tenant.id).await.unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
        (svc, tenant, token, jwk)
    });
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["caas"]);

    let mut group = c.benchmark_group("auth/verify EdDSA access token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("caas TokenService::verify (all checks + revocation)", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                svc.verify(black_box(&token), &tenant, "caas")
                    .await
                    .unwrap(),
            )
        });
    });
    group.bench_function("bare jsonwebtoken::decode", |b| {
        b.iter(|| {
            black_box(
                jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation)
                    .unwrap(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
