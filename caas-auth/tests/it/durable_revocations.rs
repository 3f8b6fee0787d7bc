//! Revocations are recorded in SQL: a fresh cache (a restarted process, a
//! flushed Redis) is warmed from the record and forgets nothing; expired
//! rows are pruned.

use std::sync::Arc;
use std::time::Duration;

use caas_auth::revocation::{Revocations, Revoked};
use caas_auth::tokens::{Audience, Claims};
use caas_core::kv::MemoryKvStore;
use caas_core::sql::{DbOptions, Scalar, query};
use caas_core::testkit::Backend;
use caas_core::{
    Clock, Db, NewTenant, PrincipalKind, SharedKvStore, SqlTenantStore, TenantId, TenantSlug,
    TenantStore,
};

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_file, postgres],
    tests: [
        revocations_survive_a_fresh_cache,
        a_later_revocation_of_a_user_keeps_the_later_watermark,
        expired_revocations_are_pruned,
    ],
}

const HOUR: Duration = Duration::from_secs(3600);

/// A private in-memory SQLite database with two tenants, for tests whose
/// backend has no SQL of its own (memory, Redis).
pub(crate) async fn beside(b: &Backend) -> (Db, TenantId, TenantId) {
    let db = Db::connect("sqlite::memory:", DbOptions::default())
        .await
        .unwrap();
    db.migrate(&[
        &caas_core::MIGRATIONS,
        &caas_crypto::MIGRATIONS,
        &caas_auth::MIGRATIONS,
    ])
    .await
    .unwrap();
    let store = SqlTenantStore::new(db.clone(), b.shared_clock());
    let mut ids = Vec::new();
    for slug in ["rev-one", "rev-two"] {
        let t = store
            .create(NewTenant::new(
                TenantSlug::parse(slug).unwrap(),
                "Revocations",
            ))
            .await
            .unwrap();
        ids.push(t.id);
    }
    (db, ids[0], ids[1])
}

fn claims(tenant: TenantId, sub: &str, sid: &str, jti: &str, iat: i64) -> Claims {
    Claims {
        iss: "https://caas.example/t/acme".into(),
        sub: sub.into(),
        aud: Audience(vec!["caas".into()]),
        exp: iat + 900,
        nbf: iat,
        iat,
        jti: jti.into(),
        tenant_id: tenant,
        sid: Some(sid.into()),
        scope: String::new(),
        roles: vec![],
        kind: PrincipalKind::User,
        amr: vec![],
        auth_time: None,
        client_id: None,
        owner: None,
    }
}

fn on(b: &Backend, db: &Db, kv: SharedKvStore) -> Revocations {
    Revocations::new(db.clone(), kv, b.events.clone(), b.shared_clock(), HOUR)
}

fn fresh_kv(b: &Backend) -> SharedKvStore {
    Arc::new(MemoryKvStore::new(b.shared_clock()))
}

async fn rows(db: &Db, tenant: &TenantId) -> i64 {
    let mut tx = db.tenant_tx(tenant).await.unwrap();
    let n: Scalar<i64> = query("SELECT COUNT(*) FROM auth_revocations WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n.0
}

/// Every kind of revocation, checked by a revocations that is not `rev`.
async fn assert_revoked(rev: &Revocations, t: TenantId, other: TenantId, now: i64) {
    let is = |c: Claims| async move { rev.is_revoked(&c).await.unwrap() };
    assert!(is(claims(t, "u1", "s0", "j1", now)).await, "token");
    assert!(is(claims(t, "u2", "s1", "j2", now)).await, "session");
    assert!(is(claims(t, "u3", "s9", "j4", now)).await, "user");
    assert!(
        !is(claims(t, "u3", "s9", "j5", now + 1)).await,
        "a later token of the user"
    );
    assert!(is(claims(other, "u4", "s8", "j6", now)).await, "tenant");
    assert!(!is(claims(t, "u4", "s8", "j6", now)).await, "per tenant");
}

async fn revocations_survive_a_fresh_cache(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await.id, tenant(b, "other").await.id);
    let db = b.sql();
    let rev = on(b, db, b.kv.clone());
    let now = b.clock.now().as_secs();
    rev.revoke(&t, Revoked::Token("j1")).await.unwrap();
    rev.revoke(&t, Revoked::Session("s1")).await.unwrap();
    rev.revoke(&t, Revoked::User("u3")).await.unwrap();
    rev.revoke(&other, Revoked::Tenant).await.unwrap();
    assert_revoked(&rev, t, other, now).await;
    // A restart: the same database, an empty cache, warmed at start-up.
    let restarted = on(b, db, fresh_kv(b));
    assert_eq!(restarted.load([t, other]).await.unwrap(), 4);
    assert_revoked(&restarted, t, other, now).await;
    // Loading again on a warm cache copies nothing (another instance's
    // start on a shared Redis).
    assert_eq!(restarted.load([t, other]).await.unwrap(), 0);
    // Without the start-up load, the first check warms the tenant itself.
    let cold = on(b, db, fresh_kv(b));
    assert_revoked(&cold, t, other, now).await;
    // Warming is idempotent.
    assert_eq!(cold.warm(&t).await.unwrap(), 3);
    assert_revoked(&cold, t, other, now).await;
    if b.kind == caas_core::testkit::BackendKind::Postgres {
        assert!(
            caas_core::testkit::tenant_tables_without_rls(db)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

async fn a_later_revocation_of_a_user_keeps_the_later_watermark(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let db = b.sql();
    let rev = on(b, db, b.kv.clone());
    let first = b.clock.now().as_secs();
    rev.revoke(&t, Revoked::User("u")).await.unwrap();
    b.clock.advance(Duration::from_secs(10));
    rev.revoke(&t, Revoked::User("u")).await.unwrap();
    assert_eq!(rows(db, &t).await, 1, "one row per user");
    for r in [rev.clone(), on(b, db, fresh_kv(b))] {
        assert!(
            r.is_revoked(&claims(t, "u", "s", "j", first + 5))
                .await
                .unwrap()
        );
        assert!(
            !r.is_revoked(&claims(t, "u", "s", "j", first + 11))
                .await
                .unwrap()
        );
    }
    // An earlier watermark never lowers a cached later one.
    let kv = fresh_kv(b);
    let warmed = on(b, db, kv.clone());
    warmed.warm(&t).await.unwrap();
    let key = caas_core::Namespace::Tenant(t)
        .key("auth:rev:user:u")
        .unwrap();
    kv.set(&key, (first + 100).to_string().as_bytes(), Some(HOUR))
        .await
        .unwrap();
    warmed.warm(&t).await.unwrap();
    assert_eq!(
        kv.get(&key).await.unwrap().unwrap(),
        (first + 100).to_string().into_bytes()
    );
}

async fn expired_revocations_are_pruned(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let db = b.sql();
    let rev = on(b, db, b.kv.clone());
    let now = b.clock.now().as_secs();
    rev.revoke(&t, Revoked::Token("old")).await.unwrap();
    rev.revoke(&t, Revoked::User("u")).await.unwrap();
    assert_eq!(rows(db, &t).await, 2);
    // Past `keep`, no token they stopped can still be valid.
    b.clock.advance(HOUR + Duration::from_secs(1));
    let restarted = on(b, db, fresh_kv(b));
    assert_eq!(restarted.load([t]).await.unwrap(), 0);
    assert_eq!(rows(db, &t).await, 0, "pruned on load");
    assert!(
        !restarted
            .is_revoked(&claims(t, "x", "s", "old", now))
            .await
            .unwrap()
    );
    // A revocation prunes its tenant's expired rows too.
    rev.revoke(&t, Revoked::Token("j1")).await.unwrap();
    b.clock.advance(HOUR + Duration::from_secs(1));
    rev.revoke(&t, Revoked::Token("j2")).await.unwrap();
    assert_eq!(rows(db, &t).await, 1);
    b.clock.advance(HOUR + Duration::from_secs(1));
    assert_eq!(rev.prune(&t).await.unwrap(), 1);
    assert_eq!(rows(db, &t).await, 0);
}

/// The key-value backends alone (memory, Redis), with a private SQLite
/// record: a flushed cache is re-warmed before a check answers.
mod flushed {
    use caas_auth::revocation::Revoked;
    use caas_core::testkit::Backend;
    use caas_core::{Clock, Namespace};

    use super::{beside, on};

    caas_core::backend_tests! {
        migrations: [],
        backends: [memory, redis],
        tests: [a_flushed_cache_is_warmed_again],
    }

    async fn a_flushed_cache_is_warmed_again(b: &Backend) {
        let (db, t, other) = beside(b).await;
        let rev = on(b, &db, b.kv.clone());
        let elsewhere = on(b, &db, b.another_kv().await);
        let now = b.clock.now().as_secs();
        rev.revoke(&t, Revoked::Token("j1")).await.unwrap();
        rev.revoke(&t, Revoked::Session("s1")).await.unwrap();
        rev.revoke(&t, Revoked::User("u3")).await.unwrap();
        rev.revoke(&other, Revoked::Tenant).await.unwrap();
        // Everything in the cache is lost, markers included.
        for tenant in [t, other] {
            b.kv.delete_prefix(&Namespace::Tenant(tenant), "")
                .await
                .unwrap();
        }
        super::assert_revoked(&elsewhere, t, other, now).await;
        super::assert_revoked(&rev, t, other, now).await;
        db.close().await;
    }
}
