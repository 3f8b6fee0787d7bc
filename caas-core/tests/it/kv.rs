//! The `KvStore` conformance suite, and Redis reconnection.

use std::sync::Arc;
use std::time::Duration;

use caas_core::testkit::{Backend, BackendKind};
use caas_core::{ErrorKind, KvStore, Namespace, TenantId};

caas_core::backend_tests! {
    migrations: [],
    backends: [memory, redis],
    tests: [
        sets_gets_and_deletes,
        values_expire_after_their_ttl,
        set_if_absent_sets_once,
        compare_and_set_is_conditional,
        counters_count_and_keep_their_first_window,
        concurrent_increments_are_all_counted,
        delete_prefix_stays_in_its_namespace,
        tenant_keys_are_unreachable_through_another_namespace,
        bad_ttls_and_values_are_invalid_input,
    ],
}

/// Lets `d` pass: on the manual clock for memory, in real time for Redis.
pub(crate) async fn pass_time(b: &Backend, d: Duration) {
    b.clock.advance(d);
    if b.kind == BackendKind::Redis {
        tokio::time::sleep(d).await;
    }
}

fn tenants(b: &Backend) -> (Namespace, Namespace) {
    (
        Namespace::Tenant(TenantId::generate(b.clock.as_ref())),
        Namespace::Tenant(TenantId::generate(b.clock.as_ref())),
    )
}

async fn sets_gets_and_deletes(b: &Backend) {
    let key = Namespace::Platform.key("greeting").unwrap();
    assert_eq!(b.kv.get(&key).await.unwrap(), None);
    b.kv.set(&key, b"hello", None).await.unwrap();
    assert_eq!(
        b.kv.get(&key).await.unwrap().as_deref(),
        Some(&b"hello"[..])
    );
    b.kv.set(&key, &[0, 159, 255], None).await.unwrap();
    assert_eq!(
        b.kv.get(&key).await.unwrap(),
        Some(vec![0, 159, 255]),
        "binary safe"
    );
    assert!(b.kv.delete(&key).await.unwrap());
    assert!(!b.kv.delete(&key).await.unwrap());
    assert_eq!(b.kv.get(&key).await.unwrap(), None);
}

async fn values_expire_after_their_ttl(b: &Backend) {
    let key = Namespace::Platform.key("short").unwrap();
    let kept = Namespace::Platform.key("kept").unwrap();
    b.kv.set(&key, b"v", Some(Duration::from_millis(150)))
        .await
        .unwrap();
    b.kv.set(&kept, b"v", None).await.unwrap();
    assert!(b.kv.get(&key).await.unwrap().is_some());
    pass_time(b, Duration::from_millis(300)).await;
    assert_eq!(b.kv.get(&key).await.unwrap(), None);
    assert!(b.kv.get(&kept).await.unwrap().is_some());
    // An expired key counts as absent everywhere.
    assert!(b.kv.set_if_absent(&key, b"again", None).await.unwrap());
}

async fn set_if_absent_sets_once(b: &Backend) {
    let key = Namespace::Platform.key("once").unwrap();
    assert!(b.kv.set_if_absent(&key, b"first", None).await.unwrap());
    assert!(!b.kv.set_if_absent(&key, b"second", None).await.unwrap());
    assert_eq!(
        b.kv.get(&key).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
}

async fn compare_and_set_is_conditional(b: &Backend) {
    let key = Namespace::Platform.key("cas").unwrap();
    assert!(
        !b.kv
            .compare_and_set(&key, Some(b"x"), b"y", None)
            .await
            .unwrap(),
        "absent is not `x`"
    );
    assert!(b.kv.compare_and_set(&key, None, b"1", None).await.unwrap());
    assert!(
        !b.kv.compare_and_set(&key, None, b"2", None).await.unwrap(),
        "no longer absent"
    );
    assert!(
        !b.kv
            .compare_and_set(&key, Some(b"0"), b"2", None)
            .await
            .unwrap()
    );
    assert!(
        b.kv.compare_and_set(&key, Some(b"1"), b"2", Some(Duration::from_millis(150)))
            .await
            .unwrap()
    );
    assert_eq!(b.kv.get(&key).await.unwrap().as_deref(), Some(&b"2"[..]));
    pass_time(b, Duration::from_millis(300)).await;
    assert_eq!(b.kv.get(&key).await.unwrap(), None, "the new ttl applies");
}

async fn counters_count_and_keep_their_first_window(b: &Backend) {
    let key = Namespace::Platform.key("counter").unwrap();
    let window = Some(Duration::from_millis(400));
    assert_eq!(b.kv.incr(&key, 1, window).await.unwrap(), 1);
    pass_time(b, Duration::from_millis(250)).await;
    assert_eq!(b.kv.incr(&key, 5, window).await.unwrap(), 6);
    assert_eq!(b.kv.incr(&key, -2, window).await.unwrap(), 4);
    assert_eq!(b.kv.get(&key).await.unwrap().as_deref(), Some(&b"4"[..]));
    // Later increments did not extend the window opened by the first.
    pass_time(b, Duration::from_millis(250)).await;
    assert_eq!(b.kv.get(&key).await.unwrap(), None);
    assert_eq!(b.kv.incr(&key, 1, None).await.unwrap(), 1);

    let text = Namespace::Platform.key("text").unwrap();
    b.kv.set(&text, b"abc", None).await.unwrap();
    assert_eq!(
        b.kv.incr(&text, 1, None).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        b.kv.get(&text).await.unwrap().as_deref(),
        Some(&b"abc"[..]),
        "unchanged"
    );
}

async fn concurrent_increments_are_all_counted(b: &Backend) {
    let key = Namespace::Platform.key("hits").unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let kv = Arc::clone(&b.kv);
            let key = key.clone();
            tokio::spawn(async move { kv.incr(&key, 1, None).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=50).collect::<Vec<i64>>(),
        "every increment saw a distinct total"
    );
}

async fn delete_prefix_stays_in_its_namespace(b: &Backend) {
    let (a, other) = tenants(b);
    for name in ["game:1", "game:2", "game*weird", "session:1"] {
        b.kv.set(&a.key(name).unwrap(), b"v", None).await.unwrap();
        b.kv.set(&other.key(name).unwrap(), b"v", None)
            .await
            .unwrap();
    }
    assert_eq!(b.kv.delete_prefix(&a, "game:").await.unwrap(), 2);
    assert_eq!(
        b.kv.get(&a.key("game*weird").unwrap())
            .await
            .unwrap()
            .as_deref(),
        Some(&b"v"[..]),
        "glob characters in names are literal"
    );
    assert!(
        b.kv.get(&a.key("session:1").unwrap())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        b.kv.get(&other.key("game:1").unwrap())
            .await
            .unwrap()
            .is_some(),
        "other tenant untouched"
    );
    assert_eq!(
        b.kv.delete_prefix(&a, "").await.unwrap(),
        2,
        "empty prefix clears the namespace"
    );
    assert_eq!(b.kv.delete_prefix(&other, "").await.unwrap(), 4);
}

async fn tenant_keys_are_unreachable_through_another_namespace(b: &Backend) {
    let (a, other) = tenants(b);
    let Namespace::Tenant(a_id) = a else {
        unreachable!()
    };
    b.kv.set(&a.key("secret").unwrap(), b"a's data", None)
        .await
        .unwrap();

    // The same name, and names that spell out A's namespace, from B's side.
    let forged = [
        "secret".to_owned(),
        format!("}}:{{t:{a_id}}}:secret"),
        format!("../{{t:{a_id}}}:secret"),
        format!("{{t:{a_id}}}:secret"),
    ];
    for name in &forged {
        let key = other.key(name).unwrap();
        assert_eq!(b.kv.get(&key).await.unwrap(), None, "{name}");
        assert!(!b.kv.delete(&key).await.unwrap(), "{name}");
        assert!(
            !b.kv
                .compare_and_set(&key, Some(b"a's data"), b"stolen", None)
                .await
                .unwrap()
        );
    }
    assert_eq!(b.kv.delete_prefix(&other, "").await.unwrap(), 0);
    assert_eq!(
        b.kv.get(&a.key("secret").unwrap())
            .await
            .unwrap()
            .as_deref(),
        Some(&b"a's data"[..])
    );
}

async fn bad_ttls_and_values_are_invalid_input(b: &Backend) {
    let key = Namespace::Platform.key("k").unwrap();
    let e =
        b.kv.set(&key, b"v", Some(Duration::ZERO))
            .await
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(b.kv.get(&key).await.unwrap(), None, "nothing written");
    let e =
        b.kv.incr(&key, 1, Some(Duration::from_micros(10)))
            .await
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let max = Namespace::Platform.key("max").unwrap();
    b.kv.set(&max, i64::MAX.to_string().as_bytes(), None)
        .await
        .unwrap();
    assert_eq!(
        b.kv.incr(&max, 1, None).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

mod redis_only {
    use super::*;
    use caas_core::RedisConfig;
    use caas_core::kv::RedisKvStore;
    use caas_core::testkit::RedisServer;

    /// Polls `f` until it succeeds or `limit` passes.
    pub(crate) async fn eventually<F, Fut, T>(limit: Duration, mut f: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = caas_core::Result<T>>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            if let Ok(v) = f().await {
                return Some(v);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_kv_reconnects_by_itself_after_redis_restarts() {
        let Some(mut server) = RedisServer::start() else {
            return;
        };
        let kv = RedisKvStore::connect(RedisConfig::new(&server.url()).unwrap())
            .await
            .unwrap();
        let key = Namespace::Platform.key("k").unwrap();
        kv.set(&key, b"before", None).await.unwrap();

        server.stop();
        let started = tokio::time::Instant::now();
        let e = kv.set(&key, b"during", None).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "fails fast while Redis is down"
        );
        assert_eq!(kv.ping().await.unwrap_err().kind(), ErrorKind::Unavailable);

        server.resume();
        let back = eventually(Duration::from_secs(10), || kv.set(&key, b"after", None)).await;
        assert!(
            back.is_some(),
            "the store reconnected without being recreated"
        );
        assert_eq!(kv.get(&key).await.unwrap().as_deref(), Some(&b"after"[..]));
        kv.ping().await.unwrap();
    }

    #[tokio::test]
    async fn redis_keys_carry_the_tenant_as_a_hash_tag() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let kv = RedisKvStore::connect(RedisConfig::new(&server.url()).unwrap())
            .await
            .unwrap();
        let clock = caas_core::ManualClock::new(caas_core::Timestamp::EPOCH);
        let t = TenantId::generate(&clock);
        let key = Namespace::Tenant(t).key("session:1").unwrap();
        assert_eq!(kv.redis_key(&key), format!("caas:{{t:{t}}}:session:1"));
    }

    #[tokio::test]
    async fn unreachable_redis_is_unavailable_at_connect() {
        let config = RedisConfig::new("redis://127.0.0.1:1").unwrap();
        let e = RedisKvStore::connect(config).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
    }
}

pub(crate) use redis_only::eventually;
