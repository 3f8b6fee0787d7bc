//! The `Auth` flows: login, refresh, logout, uniform failures, lockout,
//! rehash, MFA with trusted devices, guests, sign-up, API-key exchange.

use std::sync::Arc;

use caas_auth::api_keys::{ApiKeyInput, ApiKeys};
use caas_auth::lockout::{Lockout, LockoutPolicy};
use caas_auth::mfa::{Challenges, MfaStore, Totp, TotpAlgorithm, TrustedDevices};
use caas_auth::password::{HashParams, PasswordHasher, PasswordPolicy};
use caas_auth::refresh::{RefreshPolicy, RefreshTokens};
use caas_auth::revocation::Revocations;
use caas_auth::sessions::{Fingerprint, SessionPolicy, SessionStore};
use caas_auth::tickets::Tickets;
use caas_auth::tokens::{KeyPolicy, SigningKeys, TokenConfig, TokenService};
use caas_auth::users::{NewUser, SqlUserStore, User, UserStatus, UserUpdate};
use caas_auth::{Auth, AuthParts, Login, LoginOutcome};
use caas_core::testkit::Backend;
use caas_core::{
    Clock, ErrorKind, NewTenant, PrincipalKind, SecretString, SqlTenantStore, Tenant,
    TenantSettings, TenantSlug, TenantStore,
};
use caas_crypto::{KeyManager, MasterKey, SqlKeyManager};
use zeroize::Zeroizing;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        login_refresh_and_logout,
        failures_are_uniform_and_lock_out,
        mfa_with_a_trusted_device,
        guests_sign_up_and_api_keys,
    ],
}

pub(crate) const CHEAP: HashParams = HashParams {
    memory_kib: 256,
    iterations: 1,
    parallelism: 1,
};
pub(crate) const PASSWORD: &str = "kamen-skarje-papir-1";

pub(crate) fn auth(b: &Backend, params: HashParams) -> Auth {
    let clock = b.shared_clock();
    let keys: Arc<dyn KeyManager> = Arc::new(SqlKeyManager::new(
        b.sql().clone(),
        MasterKey::generate(),
        clock.clone(),
        None,
    ));
    let config = TokenConfig::default();
    let revocations = Revocations::new(
        b.sql().clone(),
        b.kv.clone(),
        b.events.clone(),
        clock.clone(),
        config.overlap(),
    );
    let signing = Arc::new(SigningKeys::new(
        b.sql().clone(),
        keys.clone(),
        clock.clone(),
        KeyPolicy::default(),
    ));
    let sessions = SessionStore::new(
        b.sql().clone(),
        b.kv.clone(),
        clock.clone(),
        revocations.clone(),
        SessionPolicy::default(),
    );
    Auth::new(AuthParts {
        users: Arc::new(SqlUserStore::new(b.sql().clone(), clock.clone())),
        hasher: PasswordHasher::new(params).unwrap(),
        policy: PasswordPolicy::default(),
        lockout: Lockout::new(b.kv.clone(), LockoutPolicy::default()),
        refresh: RefreshTokens::new(
            b.sql().clone(),
            clock.clone(),
            b.events.clone(),
            sessions.clone(),
            RefreshPolicy::default(),
        ),
        sessions,
        tokens: TokenService::new(signing, revocations, clock.clone(), config).unwrap(),
        mfa: MfaStore::new(b.sql().clone(), keys, clock.clone()),
        challenges: Challenges::new(b.kv.clone()),
        trusted: TrustedDevices::new(b.kv.clone()),
        api_keys: ApiKeys::new(b.sql().clone(), clock.clone()),
        tickets: Tickets::new(b.kv.clone(), std::time::Duration::from_secs(60)),
        clients: caas_auth::oauth::OAuthClients::new(b.sql().clone(), clock.clone()),
        clock,
    })
}

pub(crate) async fn tenant_with(
    b: &Backend,
    slug: &str,
    auth_settings: serde_json::Value,
) -> Tenant {
    let mut settings = TenantSettings::default();
    settings.extensions.insert("auth".into(), auth_settings);
    SqlTenantStore::new(b.sql().clone(), b.shared_clock())
        .create(NewTenant {
            settings,
            ..NewTenant::new(TenantSlug::parse(slug).unwrap(), "Flows")
        })
        .await
        .unwrap()
}

pub(crate) async fn ana(auth: &Auth, t: &Tenant) -> User {
    let new = NewUser {
        email: Some("ana@example.com".into()),
        ..NewUser::default()
    };
    auth.create_user(t, &new, Some(&SecretString::new(PASSWORD.into())))
        .await
        .unwrap()
}

pub(crate) fn login(who: &str, password: &str) -> Login {
    Login {
        login: who.into(),
        password: SecretString::new(password.into()),
        fingerprint: Fingerprint::new(Some("flows"), [], None),
        ip: Some("192.0.2.1".parse().unwrap()),
        trusted_device: None,
    }
}

async fn tokens(auth: &Auth, t: &Tenant, l: &Login) -> caas_auth::TokenPair {
    match auth.login(t, l).await.unwrap() {
        LoginOutcome::Tokens(pair) => pair,
        LoginOutcome::MfaRequired { .. } => panic!("unexpected MFA step"),
    }
}

async fn login_refresh_and_logout(b: &Backend) {
    let auth = auth(b, CHEAP);
    let t = tenant_with(b, "acme", serde_json::json!({})).await;
    let user = ana(&auth, &t).await;
    let pair = tokens(&auth, &t, &login("ANA@example.com", PASSWORD)).await;
    let tokens_svc = &auth.parts().tokens;
    let claims = tokens_svc
        .verify(&pair.access_token, &t, "caas")
        .await
        .unwrap();
    assert_eq!(
        (claims.sub.clone(), claims.kind, claims.amr.clone()),
        (
            user.id.to_string(),
            PrincipalKind::User,
            vec!["pwd".to_owned()]
        )
    );
    assert_eq!(claims.sid, pair.session_id.map(|s| s.to_string()));
    // Refresh rotates; the old refresh token is then reuse.
    let r1 = pair.refresh_token.clone().unwrap();
    let next = auth.refresh(&t, &r1).await.unwrap();
    assert_ne!(next.refresh_token.as_deref(), Some(r1.as_str()));
    tokens_svc
        .verify(&next.access_token, &t, "caas")
        .await
        .unwrap();
    assert_eq!(
        auth.refresh(&t, &r1).await.unwrap_err().code(),
        "invalid_token"
    );
    assert!(
        auth.refresh(&t, next.refresh_token.as_deref().unwrap())
            .await
            .is_err()
    );
    assert!(
        tokens_svc
            .verify(&next.access_token, &t, "caas")
            .await
            .is_err(),
        "the session's tokens die with it"
    );
    // Logout ends the session: the access token and the refresh token die.
    let pair = tokens(&auth, &t, &login("ana@example.com", PASSWORD)).await;
    let claims = tokens_svc
        .verify(&pair.access_token, &t, "caas")
        .await
        .unwrap();
    auth.logout(&t, &claims.jti, claims.sid.as_deref())
        .await
        .unwrap();
    assert!(
        tokens_svc
            .verify(&pair.access_token, &t, "caas")
            .await
            .is_err()
    );
    assert!(
        auth.refresh(&t, pair.refresh_token.as_deref().unwrap())
            .await
            .is_err()
    );
    // A changed password ends every session.
    let pair = tokens(&auth, &t, &login("ana@example.com", PASSWORD)).await;
    auth.set_password(
        &t,
        &user,
        &SecretString::new("a-new-long-passphrase".into()),
    )
    .await
    .unwrap();
    assert!(
        auth.refresh(&t, pair.refresh_token.as_deref().unwrap())
            .await
            .is_err()
    );
    let e = auth
        .set_password(&t, &user, &SecretString::new("password1".into()))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("password"));
}

async fn failures_are_uniform_and_lock_out(b: &Backend) {
    let old = auth(b, CHEAP);
    let t = tenant_with(b, "acme", serde_json::json!({})).await;
    let user = ana(&old, &t).await;
    // New hashing parameters: the next login rehashes.
    let auth = auth(
        b,
        HashParams {
            memory_kib: 512,
            ..CHEAP
        },
    );
    tokens(&auth, &t, &login("ana@example.com", PASSWORD)).await;
    let stored = auth
        .parts()
        .users
        .find_by_login(&t.id, "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.unwrap().contains("m=512"), "rehashed");
    // Unknown login and wrong password: the same answer.
    let unknown = auth
        .login(&t, &login("nobody@example.com", PASSWORD))
        .await
        .unwrap_err();
    let wrong = auth
        .login(&t, &login("ana@example.com", "wrong-password-1"))
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.kind(), unknown.code(), unknown.to_string()),
        (wrong.kind(), wrong.code(), wrong.to_string())
    );
    assert_eq!(wrong.code(), "invalid_credentials");
    // Four more failures lock the account: even the right password waits.
    for _ in 0..4 {
        auth.login(&t, &login("ana@example.com", "wrong-password-1"))
            .await
            .unwrap_err();
    }
    let e = auth
        .login(&t, &login("ana@example.com", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::RateLimited, "locked_out"));
    b.clock.advance(std::time::Duration::from_secs(31));
    tokens(&auth, &t, &login("ana@example.com", PASSWORD)).await;
    // A disabled account is told apart only after the right password.
    auth.parts()
        .users
        .update(
            &t.id,
            user.id,
            &UserUpdate {
                status: Some(UserStatus::Disabled),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    let e = auth
        .login(&t, &login("ana@example.com", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "account_disabled");
    let e = auth
        .login(&t, &login("ana@example.com", "wrong-password-1"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_credentials");
}

async fn mfa_with_a_trusted_device(b: &Backend) {
    let auth = auth(b, CHEAP);
    let t = tenant_with(b, "acme", serde_json::json!({})).await;
    let user = ana(&auth, &t).await;
    let uid = user.id.to_string();
    let mfa = &auth.parts().mfa;
    let enrolled = mfa.enroll(&t.id, &uid).await.unwrap();
    let app = Totp::new(
        Zeroizing::new(enrolled.secret().to_vec()),
        TotpAlgorithm::Sha1,
        6,
        30,
    );
    let now = || b.clock.now().as_secs();
    mfa.confirm(&t.id, &uid, &app.code_at(now()).unwrap())
        .await
        .unwrap();
    let step = || async {
        match auth
            .login(&t, &login("ana@example.com", PASSWORD))
            .await
            .unwrap()
        {
            LoginOutcome::MfaRequired {
                challenge_id,
                methods,
            } => (challenge_id, methods),
            LoginOutcome::Tokens(_) => panic!("MFA was skipped"),
        }
    };
    let (challenge, methods) = step().await;
    assert_eq!(methods, ["totp", "backup_code"]);
    let e = auth
        .verify_mfa(&t, &challenge, "000000", false, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_code");
    b.clock.advance(std::time::Duration::from_secs(30));
    let pair = auth
        .verify_mfa(&t, &challenge, &app.code_at(now()).unwrap(), true, None)
        .await
        .unwrap();
    let claims = auth
        .parts()
        .tokens
        .verify(&pair.access_token, &t, "caas")
        .await
        .unwrap();
    assert_eq!(claims.amr, ["pwd", "otp", "mfa"]);
    // The challenge is spent; the trusted device skips MFA next time.
    assert!(
        auth.verify_mfa(&t, &challenge, &app.code_at(now()).unwrap(), false, None)
            .await
            .is_err()
    );
    let trusted = pair.trusted_device_token.unwrap();
    let mut again = login("ana@example.com", PASSWORD);
    again.trusted_device = Some(trusted);
    tokens(&auth, &t, &again).await;
    // Five wrong codes close a challenge.
    let (challenge, _) = step().await;
    for _ in 0..5 {
        auth.verify_mfa(&t, &challenge, "000000", false, None)
            .await
            .unwrap_err();
    }
    let e = auth
        .verify_mfa(&t, &challenge, "000000", false, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e.code(), "too_many_attempts" | "locked_out"),
        "{e}"
    );
    assert!(
        auth.verify_mfa(&t, "x".repeat(43).as_str(), "000000", false, None)
            .await
            .is_err()
    );
}

async fn guests_sign_up_and_api_keys(b: &Backend) {
    let auth = auth(b, CHEAP);
    let closed = tenant_with(b, "closed", serde_json::json!({})).await;
    let open = tenant_with(b, "open", serde_json::json!({ "allow_registration": true, "allow_guests": true, "guest_ttl_secs": 600 })).await;
    let new = NewUser {
        username: Some("bojan".into()),
        ..NewUser::default()
    };
    let pw = SecretString::new(PASSWORD.into());
    assert_eq!(
        auth.register(&closed, &new, &pw).await.unwrap_err().code(),
        "registration_closed"
    );
    let bojan_user = auth.register(&open, &new, &pw).await.unwrap();
    tokens(&auth, &open, &login("bojan", PASSWORD)).await;
    assert_eq!(
        auth.guest(&closed).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    let guest = auth.guest(&open).await.unwrap();
    assert_eq!(guest.expires_in, 600);
    let claims = auth
        .parts()
        .tokens
        .verify(&guest.access_token, &open, "caas")
        .await
        .unwrap();
    assert_eq!(claims.kind, PrincipalKind::Guest);
    assert!(claims.sub.starts_with("guest:") && guest.refresh_token.is_none());
    let (_, key) = auth
        .parts()
        .api_keys
        .create(
            &open.id,
            &bojan_user.id.to_string(),
            &ApiKeyInput {
                name: "sdk".into(),
                scopes: vec!["game:play".into()],
                expires_in: None,
            },
        )
        .await
        .unwrap();
    let sdk = auth.exchange_api_key(&open, key.expose()).await.unwrap();
    let claims = auth
        .parts()
        .tokens
        .verify(&sdk.access_token, &open, "caas")
        .await
        .unwrap();
    assert_eq!(
        (claims.kind, claims.scope.as_str()),
        (PrincipalKind::Service, "game:play")
    );
    assert_eq!(
        claims.owner,
        Some(bojan_user.id.to_string()),
        "the owner is named"
    );
    assert!(auth.exchange_api_key(&closed, key.expose()).await.is_err());
    // A ticket hands the login over once.
    let bojan = tokens(&auth, &open, &login("bojan", PASSWORD)).await;
    let claims = auth
        .parts()
        .tokens
        .verify(&bojan.access_token, &open, "caas")
        .await
        .unwrap();
    let ticket = auth
        .parts()
        .tickets
        .issue(&open.id, &claims.principal())
        .await
        .unwrap();
    let handed = auth.redeem_ticket(&open, ticket.expose()).await.unwrap();
    let again = auth
        .parts()
        .tokens
        .verify(&handed.access_token, &open, "caas")
        .await
        .unwrap();
    assert_eq!(
        (again.sub, again.sid, again.amr),
        (claims.sub, claims.sid, claims.amr)
    );
    assert!(
        auth.redeem_ticket(&open, ticket.expose()).await.is_err(),
        "once"
    );
}
