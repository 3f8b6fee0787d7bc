//! The `EventBus` conformance suite, and Redis reconnection.

use std::time::Duration;

use bytes::Bytes;
use caas_core::testkit::Backend;
use caas_core::{ErrorKind, Event, Namespace, Subscription, TenantId, Topic, TopicFilter};

caas_core::backend_tests! {
    migrations: [],
    backends: [memory, redis],
    tests: [
        subscribers_receive_what_is_published,
        tenants_topics_are_separate,
        any_tenant_filters_see_every_tenant_but_not_the_platform,
        overlapping_subscriptions_each_get_one_copy,
        dropping_a_subscription_leaves_the_others,
        oversized_payloads_are_refused,
    ],
}

pub(crate) async fn recv_within(sub: &mut Subscription, limit: Duration) -> Option<Event> {
    tokio::time::timeout(limit, sub.recv()).await.ok().flatten()
}

async fn next(sub: &mut Subscription) -> Event {
    recv_within(sub, Duration::from_secs(5))
        .await
        .expect("an event within 5 s")
}

async fn nothing_more(sub: &mut Subscription) {
    if let Some(e) = recv_within(sub, Duration::from_millis(300)).await {
        panic!("unexpected event {e:?}");
    }
}

fn topic(ns: Namespace, name: &str) -> Topic {
    Topic::new(ns, name).unwrap()
}

async fn subscribers_receive_what_is_published(b: &Backend) {
    let t = topic(Namespace::Platform, "cache.flush");
    let mut sub = b.events.subscribe(t.clone().into()).await.unwrap();
    b.events
        .publish(&t, Bytes::from_static(b"{\"n\":1}"))
        .await
        .unwrap();
    b.events
        .publish(&t, Bytes::from_static(b"{\"n\":2}"))
        .await
        .unwrap();
    let first = next(&mut sub).await;
    assert_eq!(first.topic, t);
    assert_eq!(&first.payload[..], b"{\"n\":1}");
    assert_eq!(&next(&mut sub).await.payload[..], b"{\"n\":2}", "in order");
    nothing_more(&mut sub).await;
}

async fn tenants_topics_are_separate(b: &Backend) {
    let a = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let other = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let mut sub = b
        .events
        .subscribe(topic(a, "auth.revoked").into())
        .await
        .unwrap();
    b.events
        .publish(&topic(other, "auth.revoked"), Bytes::from_static(b"b"))
        .await
        .unwrap();
    b.events
        .publish(
            &topic(Namespace::Platform, "auth.revoked"),
            Bytes::from_static(b"p"),
        )
        .await
        .unwrap();
    b.events
        .publish(&topic(a, "auth.other"), Bytes::from_static(b"x"))
        .await
        .unwrap();
    b.events
        .publish(&topic(a, "auth.revoked"), Bytes::from_static(b"a"))
        .await
        .unwrap();
    assert_eq!(&next(&mut sub).await.payload[..], b"a");
    nothing_more(&mut sub).await;
}

async fn any_tenant_filters_see_every_tenant_but_not_the_platform(b: &Backend) {
    let a = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let other = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let mut sub = b
        .events
        .subscribe(TopicFilter::any_tenant("webhook.event").unwrap())
        .await
        .unwrap();
    b.events
        .publish(&topic(a, "webhook.event"), Bytes::from_static(b"a"))
        .await
        .unwrap();
    b.events
        .publish(
            &topic(Namespace::Platform, "webhook.event"),
            Bytes::from_static(b"p"),
        )
        .await
        .unwrap();
    b.events
        .publish(&topic(other, "webhook.event"), Bytes::from_static(b"b"))
        .await
        .unwrap();
    let first = next(&mut sub).await;
    assert_eq!(first.topic.namespace(), &a);
    assert_eq!(next(&mut sub).await.topic.namespace(), &other);
    nothing_more(&mut sub).await;
}

async fn overlapping_subscriptions_each_get_one_copy(b: &Backend) {
    let a = Namespace::Tenant(TenantId::generate(b.clock.as_ref()));
    let t = topic(a, "game.moved");
    let mut exact = b.events.subscribe(t.clone().into()).await.unwrap();
    let mut exact_too = b.events.subscribe(t.clone().into()).await.unwrap();
    let mut any = b
        .events
        .subscribe(TopicFilter::any_tenant("game.moved").unwrap())
        .await
        .unwrap();
    b.events
        .publish(&t, Bytes::from_static(b"m"))
        .await
        .unwrap();
    for sub in [&mut exact, &mut exact_too, &mut any] {
        assert_eq!(&next(sub).await.payload[..], b"m");
        nothing_more(sub).await;
    }
}

async fn dropping_a_subscription_leaves_the_others(b: &Backend) {
    let t = topic(Namespace::Platform, "shared");
    let first = b.events.subscribe(t.clone().into()).await.unwrap();
    let mut second = b.events.subscribe(t.clone().into()).await.unwrap();
    drop(first);
    // Give an unsubscribe time to reach the backend before publishing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    b.events
        .publish(&t, Bytes::from_static(b"still here"))
        .await
        .unwrap();
    assert_eq!(&next(&mut second).await.payload[..], b"still here");
}

async fn oversized_payloads_are_refused(b: &Backend) {
    let t = topic(Namespace::Platform, "big");
    let payload = Bytes::from(vec![0u8; caas_core::events::MAX_PAYLOAD + 1]);
    let e = b.events.publish(&t, payload).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

mod redis_only {
    use std::sync::Arc;

    use super::*;
    use crate::kv::eventually;
    use caas_core::events::RedisEventBus;
    use caas_core::testkit::RedisServer;
    use caas_core::{EventBus, RedisConfig};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_cross_between_buses_on_one_redis() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let config = RedisConfig::new(&server.url()).unwrap();
        let one = RedisEventBus::connect(config.clone()).await.unwrap();
        let two = RedisEventBus::connect(config).await.unwrap();
        let t = topic(Namespace::Platform, "auth.revoked");
        let mut sub = two.subscribe(t.clone().into()).await.unwrap();
        one.publish(&t, Bytes::from_static(b"token-family-9"))
            .await
            .unwrap();
        assert_eq!(&next(&mut sub).await.payload[..], b"token-family-9");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriptions_survive_a_redis_restart() {
        let Some(mut server) = RedisServer::start() else {
            return;
        };
        let bus = Arc::new(
            RedisEventBus::connect(RedisConfig::new(&server.url()).unwrap())
                .await
                .unwrap(),
        );
        let t = topic(Namespace::Platform, "cache.flush");
        let mut sub = bus.subscribe(t.clone().into()).await.unwrap();

        server.stop();
        let down = eventually(Duration::from_secs(5), || {
            let bus = bus.clone();
            async move {
                match bus.ping().await {
                    Err(e) if e.kind() == ErrorKind::Unavailable => Ok(()),
                    _ => Err(caas_core::Error::internal("still up")),
                }
            }
        })
        .await;
        assert!(down.is_some(), "ping reports the outage");
        let e = bus.subscribe(t.clone().into()).await.unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Unavailable,
            "new subscriptions fail fast while down"
        );

        server.resume();
        assert!(
            eventually(Duration::from_secs(10), || bus.ping())
                .await
                .is_some(),
            "reconnected"
        );
        bus.publish(&t, Bytes::from_static(b"after restart"))
            .await
            .unwrap();
        assert_eq!(&next(&mut sub).await.payload[..], b"after restart");
    }
}
