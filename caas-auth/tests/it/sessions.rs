//! Sessions (timeouts, termination, eviction, the hot copy) and refresh
//! tokens (rotation, reuse detection, grace period).

use std::sync::Arc;
use std::time::Duration;

use caas_auth::refresh::{RefreshPolicy, RefreshTokens};
use caas_auth::revocation::Revocations;
use caas_auth::sessions::{EndReason, Fingerprint, NewSession, SessionPolicy, SessionStore};
use caas_auth::tokens::{Audience, Claims};
use caas_core::kv::MemoryKvStore;
use caas_core::testkit::Backend;
use caas_core::{Clock, PrincipalKind, SharedKvStore, TenantId, TopicFilter};

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, sqlite_file, postgres],
    tests: [
        sessions_time_out_end_and_evict,
        refresh_tokens_rotate_and_reuse_kills_the_family,
        a_grace_period_tolerates_a_concurrent_refresh,
    ],
}

const HOUR: Duration = Duration::from_secs(3600);

fn store(b: &Backend, kv: SharedKvStore, policy: SessionPolicy) -> SessionStore {
    let revocations = Revocations::new(
        b.sql().clone(),
        kv.clone(),
        b.events.clone(),
        b.shared_clock(),
        HOUR,
    );
    SessionStore::new(b.sql().clone(), kv, b.shared_clock(), revocations, policy)
}

fn login(user: &str) -> NewSession {
    NewSession {
        user_id: user.into(),
        kind: PrincipalKind::User,
        fingerprint: Fingerprint::new(
            Some("test-agent"),
            [],
            Some("198.51.100.7".parse().unwrap()),
        ),
        metadata: serde_json::Map::new(),
        amr: vec!["pwd".into()],
    }
}

fn claims_of(tenant: TenantId, sid: &str, iat: i64) -> Claims {
    Claims {
        iss: "i".into(),
        sub: "ana".into(),
        aud: Audience(vec!["caas".into()]),
        exp: iat + 60,
        nbf: iat,
        iat,
        jti: "j".into(),
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

async fn sessions_time_out_end_and_evict(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let policy = SessionPolicy {
        idle: HOUR,
        absolute: 2 * HOUR,
        max_per_user: 2,
    };
    let sessions = store(b, b.kv.clone(), policy);
    let s1 = sessions.create(&t, &login("ana")).await.unwrap();
    assert_eq!(s1.fingerprint.ip_prefix, "198.51.100.0/24");
    assert!(sessions.is_active(&t, s1.id).await.unwrap());
    // Used within the idle timeout it lives on, up to the absolute one.
    for _ in 0..2 {
        b.clock.advance(HOUR - Duration::from_secs(60));
        assert!(sessions.touch(&t, s1.id).await.unwrap().is_some());
    }
    b.clock.advance(HOUR - Duration::from_secs(60));
    assert!(
        sessions.touch(&t, s1.id).await.unwrap().is_none(),
        "absolute timeout"
    );
    assert!(!sessions.is_active(&t, s1.id).await.unwrap());
    // Idle timeout.
    let s2 = sessions.create(&t, &login("ana")).await.unwrap();
    b.clock.advance(HOUR + Duration::from_secs(1));
    assert!(!sessions.is_active(&t, s2.id).await.unwrap());
    assert!(sessions.list(&t, "ana").await.unwrap().is_empty());
    // The record answers when the hot copy is gone (a flushed cache).
    let s3 = sessions.create(&t, &login("ana")).await.unwrap();
    let cold = store(b, Arc::new(MemoryKvStore::new(b.shared_clock())), policy);
    assert!(cold.is_active(&t, s3.id).await.unwrap());
    // A third session evicts the oldest; ending one revokes its tokens.
    let s4 = sessions.create(&t, &login("ana")).await.unwrap();
    let s5 = sessions.create(&t, &login("ana")).await.unwrap();
    let listed: Vec<_> = sessions
        .list(&t, "ana")
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, [s5.id, s4.id]);
    assert_eq!(
        sessions
            .get(&t, s3.id)
            .await
            .unwrap()
            .unwrap()
            .ended_reason
            .as_deref(),
        Some("evicted")
    );
    let now = b.clock.now().as_secs();
    let revocations = Revocations::new(
        b.sql().clone(),
        b.kv.clone(),
        b.events.clone(),
        b.shared_clock(),
        HOUR,
    );
    assert!(
        !revocations
            .is_revoked(&claims_of(t, &s4.id.to_string(), now))
            .await
            .unwrap()
    );
    assert!(sessions.end(&t, s4.id, EndReason::Logout).await.unwrap());
    assert!(
        !sessions.end(&t, s4.id, EndReason::Logout).await.unwrap(),
        "once"
    );
    assert!(
        revocations
            .is_revoked(&claims_of(t, &s4.id.to_string(), now))
            .await
            .unwrap()
    );
    // All but the current one.
    let s6 = sessions.create(&t, &login("ana")).await.unwrap();
    assert_eq!(
        sessions
            .end_all(&t, "ana", Some(s6.id), EndReason::Terminated)
            .await
            .unwrap(),
        1
    );
    let listed: Vec<_> = sessions
        .list(&t, "ana")
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, [s6.id]);
    assert!(sessions.list(&t, "bo").await.unwrap().is_empty());
}

async fn refresh_tokens_rotate_and_reuse_kills_the_family(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let sessions = store(b, b.kv.clone(), SessionPolicy::default());
    let refresh = RefreshTokens::new(
        b.sql().clone(),
        b.shared_clock(),
        b.events.clone(),
        sessions.clone(),
        RefreshPolicy::default(),
    );
    let mut reuse_events = b
        .events
        .subscribe(TopicFilter::any_tenant("auth.refresh_token_reused").unwrap())
        .await
        .unwrap();
    let session = sessions.create(&t, &login("ana")).await.unwrap();
    let r1 = refresh.issue(&t, &session).await.unwrap();
    assert!(r1.token.expose().starts_with("caas_rt_") && r1.token.expose().len() >= 8 + 43);
    let r2 = refresh.rotate(&t, r1.token.expose()).await.unwrap();
    assert_eq!(r2.session.id, session.id);
    assert_eq!(r2.refresh.family_id, r1.family_id);
    // R1 again: refused, and R2 and the session are dead.
    let e = refresh.rotate(&t, r1.token.expose()).await.unwrap_err();
    assert_eq!(e.code(), "invalid_token");
    assert!(e.to_string().contains("already used"), "{e}");
    let e = refresh
        .rotate(&t, r2.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("revoked"), "{e}");
    assert!(!sessions.is_active(&t, session.id).await.unwrap());
    let event = reuse_events.recv().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!(body["data"]["session_id"], session.id.to_string());
    // Unknown, malformed, another tenant's, expired, or of an ended session.
    for bad in ["caas_rt_nope", "not-a-token", &"caas_rt_x".repeat(20)] {
        assert_eq!(
            refresh.rotate(&t, bad).await.unwrap_err().code(),
            "invalid_token"
        );
    }
    let other = tenant(b, "umbrella").await.id;
    let s2 = sessions.create(&t, &login("ana")).await.unwrap();
    let r = refresh.issue(&t, &s2).await.unwrap();
    assert!(refresh.rotate(&other, r.token.expose()).await.is_err());
    sessions.end(&t, s2.id, EndReason::Logout).await.unwrap();
    let e = refresh.rotate(&t, r.token.expose()).await.unwrap_err();
    assert!(e.to_string().contains("session"), "{e}");
    let s3 = sessions.create(&t, &login("ana")).await.unwrap();
    let r = refresh.issue(&t, &s3).await.unwrap();
    b.clock.advance(Duration::from_secs(31 * 24 * 3600));
    let e = refresh.rotate(&t, r.token.expose()).await.unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
}

async fn a_grace_period_tolerates_a_concurrent_refresh(b: &Backend) {
    let t = tenant(b, "acme").await.id;
    let sessions = store(b, b.kv.clone(), SessionPolicy::default());
    let refresh = RefreshTokens::new(
        b.sql().clone(),
        b.shared_clock(),
        b.events.clone(),
        sessions.clone(),
        RefreshPolicy {
            reuse_grace: Duration::from_secs(10),
            ..RefreshPolicy::default()
        },
    );
    let session = sessions.create(&t, &login("ana")).await.unwrap();
    let r1 = refresh.issue(&t, &session).await.unwrap();
    let a = refresh.rotate(&t, r1.token.expose()).await.unwrap();
    b.clock.advance(Duration::from_secs(5));
    let sibling = refresh.rotate(&t, r1.token.expose()).await.unwrap();
    assert_ne!(a.refresh.token.expose(), sibling.refresh.token.expose());
    refresh.rotate(&t, a.refresh.token.expose()).await.unwrap();
    // After the grace period a second use is reuse again.
    b.clock.advance(Duration::from_secs(10));
    assert!(refresh.rotate(&t, r1.token.expose()).await.is_err());
    assert!(!sessions.is_active(&t, session.id).await.unwrap());
}
