//! Tickets and lockout, on every key-value backend (memory and Redis).

use std::time::Duration;

use caas_auth::lockout::{Lockout, LockoutPolicy};
use caas_auth::tickets::Tickets;
use caas_core::testkit::{Backend, BackendKind};
use caas_core::{ErrorKind, Principal, PrincipalKind, TenantId};

caas_core::backend_tests! {
    migrations: [],
    backends: [memory, redis],
    tests: [a_ticket_is_redeemed_once, failures_lock_accounts_and_ips_with_backoff],
}

/// Lets `d` pass for the backend: the manual clock for memory, real time
/// for Redis (whose TTLs run on its own clock).
async fn wait(b: &Backend, d: Duration) {
    if b.kind == BackendKind::Redis {
        tokio::time::sleep(d).await;
    } else {
        b.clock.advance(d);
    }
}

async fn a_ticket_is_redeemed_once(b: &Backend) {
    let (t, other) = (
        TenantId::generate(b.clock.as_ref()),
        TenantId::generate(b.clock.as_ref()),
    );
    let tickets = Tickets::new(b.kv.clone(), Duration::from_secs(1));
    let ana = Principal::new("ana", Some(t), PrincipalKind::User).with_role("player");
    let ticket = tickets.issue(&t, &ana).await.unwrap();
    assert!(
        tickets.redeem(&other, ticket.expose()).await.is_err(),
        "another tenant"
    );
    // Two instances race; one wins.
    let elsewhere = Tickets::new(b.kv.clone(), Duration::from_secs(1));
    let (a, b2) = tokio::join!(
        tickets.redeem(&t, ticket.expose()),
        elsewhere.redeem(&t, ticket.expose())
    );
    assert_eq!(u8::from(a.is_ok()) + u8::from(b2.is_ok()), 1);
    assert_eq!(a.or(b2).unwrap(), ana);
    assert_eq!(
        tickets
            .redeem(&t, ticket.expose())
            .await
            .unwrap_err()
            .code(),
        "invalid_token"
    );
    let late = tickets.issue(&t, &ana).await.unwrap();
    wait(b, Duration::from_millis(1100)).await;
    assert!(tickets.redeem(&t, late.expose()).await.is_err(), "expired");
    let stranger = Principal::new("x", Some(other), PrincipalKind::User);
    assert_eq!(
        tickets.issue(&t, &stranger).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
}

async fn failures_lock_accounts_and_ips_with_backoff(b: &Backend) {
    let t = TenantId::generate(b.clock.as_ref());
    let policy = LockoutPolicy {
        base_lock: Duration::from_secs(1),
        max_lock: Duration::from_secs(4),
        ..LockoutPolicy::default()
    };
    let lockout = Lockout::new(b.kv.clone(), policy);
    let ip = Some("203.0.113.9".parse().unwrap());
    for _ in 0..4 {
        lockout.failure(&t, "Ana@example.com", ip).await.unwrap();
        lockout.check(&t, "ana@example.com", ip).await.unwrap();
    }
    lockout.failure(&t, "ana@example.com", ip).await.unwrap();
    let e = lockout
        .check(&t, "ANA@example.com", None)
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::RateLimited, "locked_out"));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    lockout.check(&t, "bo@example.com", None).await.unwrap();
    wait(b, Duration::from_millis(1100)).await;
    lockout.check(&t, "ana@example.com", ip).await.unwrap();
    // The next failure doubles the lock.
    lockout.failure(&t, "ana@example.com", ip).await.unwrap();
    assert_eq!(
        lockout
            .check(&t, "ana@example.com", None)
            .await
            .unwrap_err()
            .retry_after(),
        Some(Duration::from_secs(2))
    );
    // A success forgets the account's failures (after the lock).
    wait(b, Duration::from_millis(2100)).await;
    lockout.success(&t, "ana@example.com").await.unwrap();
    lockout.failure(&t, "ana@example.com", None).await.unwrap();
    lockout.check(&t, "ana@example.com", None).await.unwrap();
    // Twenty failures from one IP lock the IP for every account.
    for i in 0..20 {
        lockout
            .failure(&t, &format!("user{i}@example.com"), ip)
            .await
            .unwrap();
    }
    assert!(lockout.check(&t, "someone@example.com", ip).await.is_err());
    lockout
        .check(
            &t,
            "someone@example.com",
            Some("203.0.113.10".parse().unwrap()),
        )
        .await
        .unwrap();
}
