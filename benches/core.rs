//! Hot paths of caas-core: rate-limit checks, key-value operations, slug
//! validation and tenant resolution.
//!
//! `cargo bench -p caas-benches --bench core`; set `CAAS_BENCH_REDIS_URL` to
//! add the Redis rows.

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use caas_core::kv::{MemoryKvStore, RedisKvStore};
use caas_core::{
    Db, MIGRATIONS, ManualClock, Namespace, NewTenant, RateLimit, RateLimiter, RedisConfig,
    SharedClock, SharedKvStore, SqlTenantStore, TenantHints, TenantResolver, TenantSlug,
    TenantSource, TenantStore, Timestamp,
};
use criterion::{Criterion, criterion_group, criterion_main};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn stores(rt: &tokio::runtime::Runtime, clock: &SharedClock) -> Vec<(&'static str, SharedKvStore)> {
    let mut v: Vec<(&'static str, SharedKvStore)> =
        vec![("memory", Arc::new(MemoryKvStore::new(clock.clone())))];
    if let Ok(url) = std::env::var("CAAS_BENCH_REDIS_URL") {
        let config = RedisConfig::new(&url)
            .unwrap()
            .with_prefix("caas-bench")
            .unwrap();
        v.push((
            "redis",
            Arc::new(rt.block_on(RedisKvStore::connect(config)).unwrap()),
        ));
    }
    v
}

fn rate_limiter(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock: SharedClock = ManualClock::shared(Timestamp::from_millis(1_795_000_000_000));
    // Generous enough that every check is allowed and writes.
    let limit = RateLimit::new(1_000_000, Duration::from_secs(1)).unwrap();
    let mut group = c.benchmark_group("rate_limit_check");
    for (name, kv) in stores(&rt, &clock) {
        let limiter = RateLimiter::new(kv, clock.clone());
        let keys: Vec<_> = (0..1024)
            .map(|i| {
                Namespace::Platform
                    .key(&format!("rl:ip:10.0.{}.{}", i / 256, i % 256))
                    .unwrap()
            })
            .collect();
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let i = NEXT.fetch_add(1, Ordering::Relaxed) as usize % keys.len();
                black_box(limiter.check(&keys[i], &limit).await.unwrap());
            });
        });
    }
    group.finish();
}

fn kv_ops(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock: SharedClock = ManualClock::shared(Timestamp::from_millis(1_795_000_000_000));
    let mut group = c.benchmark_group("kv_incr_with_ttl");
    for (name, kv) in stores(&rt, &clock) {
        let key = Namespace::Platform.key("bench:counter").unwrap();
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                black_box(
                    kv.incr(&key, 1, Some(Duration::from_secs(60)))
                        .await
                        .unwrap(),
                );
            });
        });
    }
    group.finish();
}

fn slugs(c: &mut Criterion) {
    c.bench_function("tenant_slug_parse", |b| {
        b.iter(|| black_box(TenantSlug::parse(black_box("acme-industries-42")).is_ok()));
    });
}

fn resolution(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let clock: SharedClock = ManualClock::shared(Timestamp::from_millis(1_795_000_000_000));
    let resolver = rt.block_on(async {
        let db = Db::in_memory(&[&MIGRATIONS]).await.unwrap();
        let store = Arc::new(SqlTenantStore::new(db, clock.clone()));
        for i in 0..1000 {
            let slug = TenantSlug::parse(&format!("tenant-{i}")).unwrap();
            store.create(NewTenant::new(slug, "T")).await.unwrap();
        }
        TenantResolver::new(
            store,
            &TenantSource::DEFAULT_ORDER,
            Some("caas.example.com"),
        )
        .unwrap()
    });
    c.bench_function("tenant_resolve/sqlite_subdomain", |b| {
        b.to_async(&rt).iter(|| async {
            let hints = TenantHints {
                host: Some("tenant-500.caas.example.com"),
                ..Default::default()
            };
            black_box(resolver.resolve(&hints).await.unwrap());
        });
    });
}

criterion_group!(benches, rate_limiter, kv_ops, slugs, resolution);
criterion_main!(benches);
