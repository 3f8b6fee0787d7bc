//! Revocations on every key-value backend (memory and Redis).

use std::time::Duration;

use caas_auth::revocation::{Revocations, Revoked};
use caas_auth::tokens::{Audience, Claims};
use caas_core::testkit::Backend;
use caas_core::{Clock, PrincipalKind, TenantId, TopicFilter};

caas_core::backend_tests! {
    migrations: [],
    backends: [memory, redis],
    tests: [revocations_are_shared_scoped_and_announced],
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

async fn revocations_are_shared_scoped_and_announced(b: &Backend) {
    let (db, t, other) = crate::durable_revocations::beside(b).await;
    let rev = Revocations::new(
        db.clone(),
        b.kv.clone(),
        b.events.clone(),
        b.shared_clock(),
        Duration::from_secs(3600),
    );
    // A second instance on the same store sees every revocation.
    let elsewhere = Revocations::new(
        db.clone(),
        b.kv.clone(),
        b.events.clone(),
        b.shared_clock(),
        Duration::from_secs(3600),
    );
    let mut announced = b
        .events
        .subscribe(TopicFilter::any_tenant("auth.revoked").unwrap())
        .await
        .unwrap();
    let now = b.clock.now().as_secs();
    let c = claims(t, "u1", "s1", "j1", now);
    assert!(!rev.is_revoked(&c).await.unwrap());
    rev.revoke(&t, Revoked::Token("j1")).await.unwrap();
    assert!(elsewhere.is_revoked(&c).await.unwrap());
    assert!(
        !elsewhere
            .is_revoked(&claims(t, "u1", "s1", "j2", now))
            .await
            .unwrap()
    );
    assert!(
        !elsewhere
            .is_revoked(&claims(other, "u1", "s1", "j1", now))
            .await
            .unwrap(),
        "per tenant"
    );
    let event = announced.recv().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&event.payload).unwrap();
    assert_eq!(
        body["data"],
        serde_json::json!({ "kind": "token", "id": "j1" })
    );
    rev.revoke(&t, Revoked::Session("s1")).await.unwrap();
    assert!(
        elsewhere
            .is_revoked(&claims(t, "u2", "s1", "j3", now))
            .await
            .unwrap()
    );
    // Users and tenants: tokens issued until the revocation's second.
    rev.revoke(&t, Revoked::User("u3")).await.unwrap();
    assert!(
        elsewhere
            .is_revoked(&claims(t, "u3", "s9", "j4", now))
            .await
            .unwrap()
    );
    assert!(
        !elsewhere
            .is_revoked(&claims(t, "u3", "s9", "j5", now + 1))
            .await
            .unwrap()
    );
    rev.revoke(&other, Revoked::Tenant).await.unwrap();
    assert!(
        elsewhere
            .is_revoked(&claims(other, "u4", "s8", "j6", now))
            .await
            .unwrap()
    );
    assert!(
        !elsewhere
            .is_revoked(&claims(t, "u4", "s8", "j6", now))
            .await
            .unwrap()
    );
}
