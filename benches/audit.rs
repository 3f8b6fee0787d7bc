//! The audit log on a SQLite file: a tree of 1,000,000 entries is built
//! (batched appends, timed and printed), then criterion measures proof
//! generation at that size — inclusion and consistency — and appends: one
//! event per transaction (without and with a subject, whose personal part
//! is sealed under the subject's key) and 100 events per transaction. The
//! offline verification of an inclusion proof is measured too.
//!
//! `cargo bench -p caas-benches --bench audit`

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use caas_core::{
    AuditEvent, Db, DbOptions, NewTenant, SharedClock, SqlTenantStore, SystemClock, TenantId,
    TenantSlug, TenantStore,
};
use caas_crypto::{MasterKey, SqlKeyManager};
use caas_privacy::AuditLog;
use caas_privacy::audit::merkle::verify_inclusion;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SIZE: u64 = 1_000_000;
const BATCH: usize = 10_000;

struct Setup {
    log: AuditLog,
    tenant: TenantId,
    clock: SharedClock,
}

fn event(clock: &SharedClock, tenant: TenantId, n: u64, subject: Option<&str>) -> AuditEvent {
    let mut e = AuditEvent::new(clock.as_ref(), "auth.login")
        .tenant(tenant)
        .request_id(format!("req-{n}"))
        .details(serde_json::json!({ "ip_prefix": "192.0.2.0/24", "n": n }));
    if let Some(s) = subject {
        e = e.actor(s);
    }
    e
}

async fn setup(path: &std::path::Path) -> Setup {
    let clock: SharedClock = SystemClock::shared();
    let db = Db::connect(
        &format!("sqlite://{}", path.display()),
        DbOptions::default().max_connections(1),
    )
    .await
    .unwrap();
    db.migrate(&[
        &caas_core::MIGRATIONS,
        &caas_crypto::MIGRATIONS,
        &caas_privacy::MIGRATIONS,
    ])
    .await
    .unwrap();
    let tenant = SqlTenantStore::new(db.clone(), clock.clone())
        .create(NewTenant::new(TenantSlug::parse("bench").unwrap(), "Bench"))
        .await
        .unwrap()
        .id;
    let keys = Arc::new(SqlKeyManager::new(
        db.clone(),
        MasterKey::generate(),
        clock.clone(),
        None,
    ));
    let log = AuditLog::new(db, keys, clock.clone());
    let started = Instant::now();
    let mut n = 0;
    while n < SIZE {
        let batch: Vec<AuditEvent> = (0..BATCH as u64)
            .map(|i| event(&clock, tenant, n + i, None))
            .collect();
        n = log.append_all(&tenant, &batch).await.unwrap().end;
    }
    let took = started.elapsed();
    println!(
        "audit: built a tree of {SIZE} entries in {:.1} s ({:.0} appends/s in batches of {BATCH})",
        took.as_secs_f64(),
        SIZE as f64 / took.as_secs_f64()
    );
    let started = Instant::now();
    let v = log.verify(&tenant, None).await.unwrap();
    assert!(v.ok());
    println!(
        "audit: re-verified all {} entries in {:.1} s",
        v.size,
        started.elapsed().as_secs_f64()
    );
    Setup { log, tenant, clock }
}

fn audit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path =
        std::env::temp_dir().join(format!("caas-audit-bench-{}.sqlite3", std::process::id()));
    let s = rt.block_on(setup(&path));
    let (log, tenant, clock) = (&s.log, s.tenant, &s.clock);
    let mut group = c.benchmark_group("audit");
    group.sample_size(50);
    let mut i: u64 = 0;
    group.bench_function("inclusion proof at 1M", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 7_919) % SIZE;
            let index = i;
            async move { black_box(log.inclusion_proof(&tenant, index, SIZE).await.unwrap()) }
        });
    });
    let mut j: u64 = 1;
    group.bench_function("consistency proof to 1M", |b| {
        b.to_async(&rt).iter(|| {
            j = (j + 104_729) % (SIZE - 1) + 1;
            let from = j;
            async move { black_box(log.consistency_proof(&tenant, from, SIZE).await.unwrap()) }
        });
    });
    let proof = rt
        .block_on(log.inclusion_proof(&tenant, 123_456, SIZE))
        .unwrap();
    let root = rt.block_on(log.root_at(&tenant, SIZE)).unwrap();
    let leaf = hex::decode(&proof.leaf_hash).unwrap();
    let hashes: Vec<Vec<u8>> = proof
        .hashes
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect();
    group.bench_function("verify an inclusion proof offline", |b| {
        b.iter(|| verify_inclusion(123_456, SIZE, black_box(&leaf), &hashes, &root).unwrap());
    });
    group.throughput(Throughput::Elements(1));
    let mut n = SIZE;
    group.bench_function("append one event per transaction", |b| {
        b.to_async(&rt).iter(|| {
            n += 1;
            let e = event(clock, tenant, n, None);
            async move { black_box(log.append(&tenant, &e).await.unwrap()) }
        });
    });
    group.bench_function("append one event with a sealed subject part", |b| {
        b.to_async(&rt).iter(|| {
            n += 1;
            let e = event(clock, tenant, n, Some("ana"));
            async move { black_box(log.append(&tenant, &e).await.unwrap()) }
        });
    });
    group.throughput(Throughput::Elements(100));
    group.bench_function("append 100 events per transaction", |b| {
        b.to_async(&rt).iter(|| {
            let batch: Vec<AuditEvent> = (0..100)
                .map(|k| event(clock, tenant, n + k, None))
                .collect();
            n += 100;
            async move { black_box(log.append_all(&tenant, &batch).await.unwrap()) }
        });
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, audit);
criterion_main!(benches);
