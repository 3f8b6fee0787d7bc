//! The audit log on SQLite and PostgreSQL: appends, signed checkpoints,
//! inclusion and consistency proofs checked by the offline verifier,
//! erasure by crypto-shredding (the tree still verifies), tampering found by
//! `verify`, tenant isolation, and 100,000 appends.

use std::sync::Arc;

use caas_core::sql::query;
use caas_core::testkit::Backend;
use caas_core::{
    AuditEvent, AuditSink, ErrorKind, NewTenant, Outcome, SqlTenantStore, TenantId, TenantSlug,
    TenantStore,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use caas_privacy::AuditLog;
use caas_privacy::audit::checkpoint::verify_signed;
use caas_privacy::audit::merkle::{verify_consistency, verify_inclusion};
use caas_privacy::audit::{ConsistencyProof, InclusionProof};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_privacy::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        appends_prove_and_verify,
        erasure_shreds_the_personal_part_and_the_tree_still_verifies,
        tampering_is_detected,
        hundred_thousand_appends,
    ],
}

async fn tenant(b: &Backend, slug: &str) -> TenantId {
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant::new(TenantSlug::parse(slug).unwrap(), "Audit"))
        .await
        .unwrap()
        .id
}

fn keys(b: &Backend) -> Arc<SqlKeyManager> {
    Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        b.shared_clock(),
        None,
    ))
}

fn log(b: &Backend, keys: Arc<SqlKeyManager>) -> AuditLog {
    AuditLog::new(b.sql().clone(), keys, b.shared_clock())
}

fn event(b: &Backend, t: &TenantId, action: &str, actor: Option<&str>) -> AuditEvent {
    let mut e = AuditEvent::new(b.clock.as_ref(), action)
        .tenant(*t)
        .details(serde_json::json!({ "ip": "192.0.2.7" }));
    if let Some(a) = actor {
        e = e.actor(a).target(format!("{a}-device"));
    }
    e
}

fn hex32(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn check_inclusion(p: &InclusionProof, root: &[u8]) -> Result<(), caas_privacy::audit::ProofError> {
    let hashes: Vec<Vec<u8>> = p.hashes.iter().map(|h| hex32(h)).collect();
    verify_inclusion(p.index, p.size, &hex32(&p.leaf_hash), &hashes, root)
}

fn check_consistency(
    p: &ConsistencyProof,
    root1: &[u8],
    root2: &[u8],
) -> Result<(), caas_privacy::audit::ProofError> {
    let hashes: Vec<Vec<u8>> = p.hashes.iter().map(|h| hex32(h)).collect();
    verify_consistency(p.from, p.to, &hashes, root1, root2)
}

async fn appends_prove_and_verify(b: &Backend) {
    let t = tenant(b, "audit-a").await;
    let other = tenant(b, "audit-b").await;
    let log = log(b, keys(b));
    assert_eq!(log.size(&t).await.unwrap(), 0);
    for i in 0..7u64 {
        let actor = (i % 2 == 0).then_some("alice");
        assert_eq!(
            log.append(&t, &event(b, &t, "auth.login", actor))
                .await
                .unwrap(),
            i
        );
    }
    let seven = log.checkpoint(&t).await.unwrap();
    assert_eq!(seven.checkpoint.size, 7);
    // The sink appends too; events without a tenant are not in a tenant log.
    for _ in 7..20 {
        log.record(event(b, &t, "authz.decision", Some("bob")))
            .await
            .unwrap();
    }
    log.record(AuditEvent::new(b.clock.as_ref(), "tenant.created"))
        .await
        .unwrap();
    let twenty = log.checkpoint(&t).await.unwrap();
    assert_eq!(twenty.checkpoint.size, 20);

    // The offline verifier: the signed note, then every proof against it.
    let cp = verify_signed(&twenty.note, &twenty.verifier_key).unwrap();
    assert_eq!(cp, twenty.checkpoint);
    assert_eq!(cp.origin, format!("caas/audit/{t}"));
    for index in 0..20 {
        let p = log.inclusion_proof(&t, index, 20).await.unwrap();
        check_inclusion(&p, &cp.root).unwrap();
        assert!(check_inclusion(&p, &seven.checkpoint.root).is_err());
    }
    let p = log.inclusion_proof(&t, 3, 7).await.unwrap();
    check_inclusion(&p, &seven.checkpoint.root).unwrap();
    let c = log.consistency_proof(&t, 7, 20).await.unwrap();
    check_consistency(&c, &seven.checkpoint.root, &cp.root).unwrap();
    assert!(check_consistency(&c, &cp.root, &cp.root).is_err());

    // The entries read back, personal parts opened.
    let entries = log.entries(&t, 0, 100).await.unwrap();
    assert_eq!(entries.len(), 20);
    assert_eq!(entries[0].actor.as_deref(), Some("alice"));
    assert_eq!(entries[0].target.as_deref(), Some("alice-device"));
    assert_eq!(entries[0].details["ip"], "192.0.2.7");
    assert_eq!(entries[1].actor, None);
    assert_eq!(entries[1].details["ip"], "192.0.2.7");
    assert_eq!(entries[19].action, "authz.decision");
    assert_eq!(entries[19].outcome, Outcome::Success);
    assert!(entries.iter().all(|e| !e.erased));
    assert_eq!(log.entries(&t, 18, 100).await.unwrap().len(), 2);
    assert_eq!(log.subject_entries(&t, "alice").await.unwrap().len(), 4);
    assert!(
        log.verify(&t, Some(&twenty.verifier_key))
            .await
            .unwrap()
            .ok()
    );

    // Bad requests change nothing and say what is wrong.
    let e = log.inclusion_proof(&t, 20, 20).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("index"))
    );
    let e = log.inclusion_proof(&t, 0, 21).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("size"))
    );
    let e = log.consistency_proof(&t, 0, 20).await.unwrap_err();
    assert_eq!(e.field(), Some("from"));
    let e = log.consistency_proof(&t, 9, 8).await.unwrap_err();
    assert_eq!(e.field(), Some("from"));
    assert_eq!(
        log.consistency_proof(&t, 20, 20)
            .await
            .unwrap()
            .hashes
            .len(),
        0
    );

    // Another tenant sees none of it; verifying its (empty) log creates
    // nothing; it has its own key.
    let empty = log.verify(&other, None).await.unwrap();
    assert!(empty.ok() && empty.size == 0);
    let heads: Vec<caas_core::sql::Scalar<i64>> =
        query("SELECT size FROM audit_heads WHERE tenant_id = $1")
            .bind(other)
            .fetch_all(&mut b.sql().tenant_tx(&other).await.unwrap())
            .await
            .unwrap();
    assert!(heads.is_empty());
    assert_eq!(log.size(&other).await.unwrap(), 0);
    assert!(log.entries(&other, 0, 100).await.unwrap().is_empty());
    assert!(log.inclusion_proof(&other, 0, 1).await.is_err());
    assert_ne!(log.verifier_key(&other).await.unwrap(), twenty.verifier_key);
    assert!(verify_signed(&twenty.note, &log.verifier_key(&other).await.unwrap()).is_err());
}

async fn erasure_shreds_the_personal_part_and_the_tree_still_verifies(b: &Backend) {
    let t = tenant(b, "audit-erase").await;
    let keys = keys(b);
    let log = log(b, keys.clone());
    for actor in ["alice", "bob", "alice", "carol"] {
        log.append(&t, &event(b, &t, "auth.login", Some(actor)))
            .await
            .unwrap();
    }
    let before = log.checkpoint(&t).await.unwrap();
    let raw_before: Vec<String> = log
        .entries(&t, 0, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.leaf_hash.clone())
        .collect();

    keys.shred(&t, "alice").await.unwrap();
    assert_eq!(log.forget_subject(&t, "alice").await.unwrap(), 2);
    assert!(log.subject_entries(&t, "alice").await.unwrap().is_empty());
    let entries = log.entries(&t, 0, 10).await.unwrap();
    for i in [0, 2] {
        assert!(entries[i].erased);
        assert_eq!(entries[i].actor, None);
        assert_eq!(entries[i].details, serde_json::Value::Null);
        assert_eq!(entries[i].action, "auth.login");
    }
    assert_eq!(entries[1].actor.as_deref(), Some("bob"));
    assert!(!entries[1].erased);
    // Nothing hashed changed: same leaves, same root, and the log grows on.
    let raw_after: Vec<String> = entries.iter().map(|e| e.leaf_hash.clone()).collect();
    assert_eq!(raw_before, raw_after);
    log.append(&t, &event(b, &t, "privacy.erased", None))
        .await
        .unwrap();
    let after = log.checkpoint(&t).await.unwrap();
    let c = log.consistency_proof(&t, 4, 5).await.unwrap();
    check_consistency(&c, &before.checkpoint.root, &after.checkpoint.root).unwrap();
    assert!(
        log.verify(&t, Some(&after.verifier_key))
            .await
            .unwrap()
            .ok()
    );
    // Alice's name is nowhere in the stored leaves.
    let rows: Vec<caas_core::sql::Scalar<Vec<u8>>> =
        query("SELECT entry FROM audit_entries WHERE tenant_id = $1")
            .bind(t)
            .fetch_all(&mut b.sql().tenant_tx(&t).await.unwrap())
            .await
            .unwrap();
    assert!(
        rows.iter()
            .all(|r| !String::from_utf8_lossy(&r.0).contains("alice"))
    );
}

/// Changes entry `idx`'s stored bytes directly in the database, replacing
/// `from` by `to`.
async fn tamper(b: &Backend, t: &TenantId, idx: i64, from: &str, to: &str) {
    let mut tx = b.sql().tenant_tx(t).await.unwrap();
    let caas_core::sql::Scalar(entry): caas_core::sql::Scalar<Vec<u8>> =
        query("SELECT entry FROM audit_entries WHERE tenant_id = $1 AND idx = $2")
            .bind(t)
            .bind(idx)
            .fetch_one(&mut tx)
            .await
            .unwrap();
    let changed = String::from_utf8(entry).unwrap().replacen(from, to, 1);
    let n = query("UPDATE audit_entries SET entry = $3 WHERE tenant_id = $1 AND idx = $2")
        .bind(t)
        .bind(idx)
        .bind(changed.into_bytes())
        .execute(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 1);
    tx.commit().await.unwrap();
}

async fn tampering_is_detected(b: &Backend) {
    let t = tenant(b, "audit-tamper").await;
    let log = log(b, keys(b));
    for i in 0..50 {
        let actor = (i % 3 == 0).then_some("dora");
        log.append(&t, &event(b, &t, "auth.login", actor))
            .await
            .unwrap();
    }
    let cp = log.checkpoint(&t).await.unwrap();
    assert!(log.verify(&t, None).await.unwrap().ok());

    // A stranger's key does not verify the checkpoints.
    let stranger = AuditLog::new(b.sql().clone(), keys(b), b.shared_clock());
    let other = tenant(b, "audit-stranger").await;
    let wrong = stranger.verifier_key(&other).await.unwrap();
    let v = log.verify(&t, Some(&wrong)).await.unwrap();
    assert!(!v.ok(), "{v:?}");

    // An entry's bytes changed in the database.
    tamper(b, &t, 11, "auth.login", "auth.logon").await;
    let v = log.verify(&t, Some(&cp.verifier_key)).await.unwrap();
    assert!(!v.ok());
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("checkpoint at size 50")),
        "{v:?}"
    );
}

async fn hundred_thousand_appends(b: &Backend) {
    const N: u64 = 100_000;
    let t = tenant(b, "audit-big").await;
    let log = log(b, keys(b));
    let mut mid = None;
    let mut at = 0;
    while at < N {
        let batch: Vec<AuditEvent> = (0..2_000)
            .map(|i| {
                event(b, &t, "auth.token_issued", None).details(serde_json::json!({ "n": at + i }))
            })
            .collect();
        let range = log.append_all(&t, &batch).await.unwrap();
        assert_eq!(range, at..at + 2_000);
        at = range.end;
        if at == 40_000 {
            mid = Some(log.checkpoint(&t).await.unwrap());
        }
    }
    let mid = mid.unwrap();
    let head = log.checkpoint(&t).await.unwrap();
    let root = verify_signed(&head.note, &head.verifier_key).unwrap().root;
    assert_eq!(head.checkpoint.size, N);
    for index in [0, 1, 2_047, 39_999, 65_535, 65_536, 77_777, N - 1] {
        let p = log.inclusion_proof(&t, index, N).await.unwrap();
        check_inclusion(&p, &root).unwrap();
        assert!(p.hashes.len() <= 17);
    }
    let c = log.consistency_proof(&t, 40_000, N).await.unwrap();
    check_consistency(&c, &mid.checkpoint.root, &root).unwrap();
    for from in [1, 65_536, 99_999] {
        let old = log.root_at(&t, from).await.unwrap();
        let c = log.consistency_proof(&t, from, N).await.unwrap();
        check_consistency(&c, &old, &root).unwrap();
    }
    let v = log.verify(&t, Some(&head.verifier_key)).await.unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!((v.size, v.checkpoints), (N, 2));

    // One row changed directly in the database is found.
    tamper(b, &t, 54_321, "token_issued", "token_issueD").await;
    let v = log.verify(&t, Some(&head.verifier_key)).await.unwrap();
    assert!(!v.ok());
    assert!(
        v.problems.iter().any(|p| p.contains("size 100000")),
        "{v:?}"
    );
}
