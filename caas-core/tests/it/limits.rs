//! Rate limiting and quotas, on every key-value backend.

use std::time::Duration;

use caas_core::testkit::Backend;
use caas_core::{
    ErrorKind, Namespace, Period, Quota, RateLimit, RateLimiter, TenantId, UsageMeter,
};

use crate::kv::pass_time;

caas_core::backend_tests! {
    migrations: [],
    backends: [memory, redis],
    tests: [
        a_burst_is_allowed_then_the_sustained_rate,
        refused_requests_are_not_counted,
        keys_are_limited_independently,
        two_instances_share_one_limit,
        request_costs_are_validated,
        quotas_refuse_past_the_limit_and_count_nothing_then,
        quota_windows_roll_over_with_the_calendar,
        usage_is_counted_per_tenant,
    ],
}

fn limiter(b: &Backend) -> RateLimiter {
    RateLimiter::new(b.kv.clone(), b.shared_clock())
}

async fn a_burst_is_allowed_then_the_sustained_rate(b: &Backend) {
    let limit: RateLimit = "3/s".parse().unwrap();
    let key = Namespace::Platform.key("rl:ip:10.0.0.1").unwrap();
    let l = limiter(b);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let d = l.check(&key, &limit).await.unwrap();
        assert!(d.allowed);
        remaining.push(d.remaining);
    }
    assert_eq!(remaining, [2, 1, 0]);
    let refused = l.check(&key, &limit).await.unwrap();
    assert!(!refused.allowed);
    let retry = refused.retry_after.unwrap();
    assert!(
        retry > Duration::from_millis(300) && retry <= Duration::from_millis(334),
        "{retry:?}"
    );
    let e = refused.into_result().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(retry));

    pass_time(b, Duration::from_millis(334)).await;
    assert!(
        l.check(&key, &limit).await.unwrap().allowed,
        "one more after 1/3 s"
    );
    assert!(!l.check(&key, &limit).await.unwrap().allowed);
}

async fn refused_requests_are_not_counted(b: &Backend) {
    let limit = RateLimit::new(2, Duration::from_secs(1)).unwrap();
    let key = Namespace::Platform.key("rl:k").unwrap();
    let l = limiter(b);
    assert!(l.check(&key, &limit).await.unwrap().allowed);
    assert!(l.check(&key, &limit).await.unwrap().allowed);
    for _ in 0..10 {
        assert!(!l.check(&key, &limit).await.unwrap().allowed);
    }
    pass_time(b, Duration::from_millis(500)).await;
    assert!(
        l.check(&key, &limit).await.unwrap().allowed,
        "hammering did not push the window out"
    );
}

async fn keys_are_limited_independently(b: &Backend) {
    let limit = RateLimit::new(1, Duration::from_secs(60)).unwrap();
    let a = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let other = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let l = limiter(b);
    assert!(
        l.check(&a.key("rl:login").unwrap(), &limit)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !l.check(&a.key("rl:login").unwrap(), &limit)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        l.check(&other.key("rl:login").unwrap(), &limit)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        l.check(&a.key("rl:other").unwrap(), &limit)
            .await
            .unwrap()
            .allowed
    );
}

async fn two_instances_share_one_limit(b: &Backend) {
    let limit = RateLimit::new(10, Duration::from_secs(60)).unwrap();
    let key = Namespace::Platform.key("rl:shared").unwrap();
    let first = limiter(b);
    let second = RateLimiter::new(b.another_kv().await, b.shared_clock());
    // Both instances hammer the same key concurrently: exactly 10 get through.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let l = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            l.check(&key, &limit).await.unwrap().allowed
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.unwrap());
    }
    assert_eq!(allowed, 10);
    assert!(!second.check(&key, &limit).await.unwrap().allowed);
}

async fn request_costs_are_validated(b: &Backend) {
    let limit = RateLimit::new(5, Duration::from_secs(1)).unwrap();
    let key = Namespace::Platform.key("rl:cost").unwrap();
    let l = limiter(b);
    assert_eq!(
        l.check_n(&key, &limit, 0).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        l.check_n(&key, &limit, 6).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let d = l.check_n(&key, &limit, 4).await.unwrap();
    assert!(d.allowed);
    assert_eq!(d.remaining, 1);
    assert!(!l.check_n(&key, &limit, 2).await.unwrap().allowed);
}

async fn quotas_refuse_past_the_limit_and_count_nothing_then(b: &Backend) {
    let meter = UsageMeter::new(b.kv.clone(), b.shared_clock());
    let t = TenantId::generate(b.clock.as_ref());
    let quota = Quota {
        limit: 5,
        period: Period::Day,
    };
    let usage = meter.consume(&t, "games", 3, &[quota]).await.unwrap();
    assert_eq!((usage[0].used, usage[0].remaining), (3, 2));
    meter.consume(&t, "games", 2, &[quota]).await.unwrap();
    let e = meter.consume(&t, "games", 1, &[quota]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
    // TEST_EPOCH is midnight, so the day's window ends 24 h later.
    assert_eq!(e.retry_after(), Some(Duration::from_secs(86_400)));
    assert_eq!(
        meter.usage(&t, "games", Period::Day).await.unwrap(),
        5,
        "refusal counted nothing"
    );
    assert_eq!(meter.usage(&t, "games", Period::Month).await.unwrap(), 5);
}

async fn quota_windows_roll_over_with_the_calendar(b: &Backend) {
    let meter = UsageMeter::new(b.kv.clone(), b.shared_clock());
    let t = TenantId::generate(b.clock.as_ref());
    let daily = Quota {
        limit: 1,
        period: Period::Day,
    };
    meter.consume(&t, "exports", 1, &[daily]).await.unwrap();
    assert!(meter.consume(&t, "exports", 1, &[daily]).await.is_err());
    b.clock.advance(Duration::from_secs(86_400));
    meter.consume(&t, "exports", 1, &[daily]).await.unwrap();
    assert_eq!(meter.usage(&t, "exports", Period::Day).await.unwrap(), 1);
    assert_eq!(
        meter.usage(&t, "exports", Period::Month).await.unwrap(),
        2,
        "same month"
    );
}

async fn usage_is_counted_per_tenant(b: &Backend) {
    let meter = UsageMeter::new(b.kv.clone(), b.shared_clock());
    let (a, other) = (
        TenantId::generate(b.clock.as_ref()),
        TenantId::generate(b.clock.as_ref()),
    );
    for _ in 0..4 {
        meter.record(&a, "requests", 1).await.unwrap();
    }
    meter.record(&other, "requests", 10).await.unwrap();
    assert_eq!(meter.usage(&a, "requests", Period::Day).await.unwrap(), 4);
    assert_eq!(
        meter.usage(&other, "requests", Period::Day).await.unwrap(),
        10
    );
    assert_eq!(
        meter.usage(&a, "requests", Period::Hour).await.unwrap(),
        0,
        "hours are not recorded"
    );
    assert_eq!(
        meter.record(&a, "Bad Metric", 1).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}
