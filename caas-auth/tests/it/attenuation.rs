//! A derived credential is an attenuation of its owner: API keys, tokens
//! exchanged for them, tickets and OAuth tokens issued for a user carry at
//! most what the owner may do when they are used, and die with the owner.

use caas_auth::api_keys::ApiKeyInput;
use caas_auth::oauth::{
    ClientCredentials, ClientSettings, ClientType, GrantType, Provider, TokenParams,
};
use caas_auth::users::{NewUser, User, UserStatus, UserUpdate};
use caas_auth::{ApiKeyAuthenticator, Attenuation, Auth, TokenAuthenticator};
use caas_core::testkit::Backend;
use caas_core::{
    AuthContext, Authenticator, Credential, ErrorKind, Principal, PrincipalKind, SecretString,
    SqlTenantStore, Tenant,
};
use serde_json::json;
use std::sync::Arc;

use crate::flows::{CHEAP, PASSWORD, auth, tenant_with};

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [
        keys_carry_no_platform_scope_their_owner_lacks,
        keys_and_their_tokens_die_with_their_owner,
        oauth_tokens_for_a_user_carry_only_what_the_user_holds,
        clients_introspect_only_their_own_tokens_unless_allowed,
    ],
}

fn input(scopes: &[&str]) -> ApiKeyInput {
    ApiKeyInput {
        name: "ci".into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        expires_in: None,
    }
}

async fn user(auth: &Auth, t: &Tenant, name: &str, roles: &[&str]) -> User {
    let mut attributes = serde_json::Map::new();
    attributes.insert("roles".into(), json!(roles));
    auth.create_user(
        t,
        &NewUser {
            username: Some(name.into()),
            attributes,
            ..NewUser::default()
        },
        Some(&SecretString::new(PASSWORD.into())),
    )
    .await
    .unwrap()
}

fn principal_of(u: &User) -> Principal {
    Attenuation::user_principal(u)
}

async fn set_roles(auth: &Auth, t: &Tenant, u: &User, roles: &[&str]) {
    let mut attributes = serde_json::Map::new();
    attributes.insert("roles".into(), json!(roles));
    auth.parts()
        .users
        .update(
            &t.id,
            u.id,
            &UserUpdate {
                attributes: Some(attributes),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
}

async fn as_key(auth: &Auth, t: &Tenant, key: &str) -> caas_core::Result<Option<Principal>> {
    ApiKeyAuthenticator::new(auth.parts().api_keys.clone(), auth.attenuation().clone())
        .authenticate(
            &Credential::Bearer(SecretString::new(key.to_owned())),
            AuthContext { tenant: Some(t) },
        )
        .await
}

async fn keys_carry_no_platform_scope_their_owner_lacks(b: &Backend) {
    let auth = auth(b, CHEAP);
    let t = tenant_with(b, "attenuation-keys", json!({ "allow_guests": true })).await;
    let plain = user(&auth, &t, "plain", &[]).await;
    let admin = user(&auth, &t, "boss", &["admin"]).await;

    // Guests and services make no keys at all.
    let guest = Principal::new("guest:1", Some(t.id), PrincipalKind::Guest);
    let e = auth
        .create_api_key(&t, &guest, &input(&[]))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Forbidden, "credential_not_allowed")
    );
    let service = Principal::new("apikey:x", Some(t.id), PrincipalKind::Service);
    assert!(
        auth.create_api_key(&t, &service, &input(&[]))
            .await
            .is_err()
    );

    // A platform scope beyond the owner is refused, named; app scopes pass.
    let e = auth
        .create_api_key(
            &t,
            &principal_of(&plain),
            &input(&["orders:read", "authz:write"]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Forbidden, "insufficient_scope")
    );
    assert!(e.message().contains("`authz:write`"), "{}", e.message());
    assert!(
        auth.parts()
            .api_keys
            .list(&t.id, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing made"
    );
    let (mine, _) = auth
        .create_api_key(&t, &principal_of(&plain), &input(&["orders:read"]))
        .await
        .unwrap();
    let e = auth
        .update_api_key(
            &t,
            &principal_of(&plain),
            mine.id,
            &input(&["tenant:write"]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "insufficient_scope");
    // Another's key is not found.
    assert_eq!(
        auth.rotate_api_key(&t, &principal_of(&admin), mine.id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // An admin's key carries the scope while the admin is one.
    let (key, secret) = auth
        .create_api_key(
            &t,
            &principal_of(&admin),
            &input(&["authz:write", "orders:read"]),
        )
        .await
        .unwrap();
    let p = as_key(&auth, &t, secret.expose()).await.unwrap().unwrap();
    assert!(p.has_scope("authz:write") && p.has_scope("orders:read"));
    assert_eq!(p.owner.as_deref(), Some(admin.id.to_string().as_str()));
    let exchanged = auth.exchange_api_key(&t, secret.expose()).await.unwrap();

    // Demoted: the key (and the token exchanged before) shrink at once.
    set_roles(&auth, &t, &admin, &[]).await;
    let p = as_key(&auth, &t, secret.expose()).await.unwrap().unwrap();
    assert!(!p.has_scope("authz:write") && p.has_scope("orders:read"));
    let tenants = Arc::new(SqlTenantStore::new(b.sql().clone(), b.shared_clock()));
    let jwt = TokenAuthenticator::new(
        auth.parts().tokens.clone(),
        tenants,
        auth.attenuation().clone(),
    );
    let p = jwt
        .authenticate(
            &Credential::Bearer(SecretString::new(exchanged.access_token.clone())),
            AuthContext { tenant: Some(&t) },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!p.has_scope("authz:write") && p.has_scope("orders:read"));
    // Rotating a key whose scope the owner lost is refused, named.
    let e = auth
        .rotate_api_key(&t, &principal_of(&admin), key.id)
        .await
        .unwrap_err();
    assert!(e.message().contains("`authz:write`"), "{}", e.message());
    // A key made before these checks (straight in the store) is capped too.
    let (_, legacy) = auth
        .parts()
        .api_keys
        .create(&t.id, &plain.id.to_string(), &input(&["authz:write"]))
        .await
        .unwrap();
    let p = as_key(&auth, &t, legacy.expose()).await.unwrap().unwrap();
    assert!(p.scopes.is_empty(), "{:?}", p.scopes);
}

async fn keys_and_their_tokens_die_with_their_owner(b: &Backend) {
    let auth = auth(b, CHEAP);
    let t = tenant_with(b, "attenuation-death", json!({})).await;
    let owner = user(&auth, &t, "leaver", &[]).await;
    let (_, secret) = auth
        .create_api_key(&t, &principal_of(&owner), &input(&["orders:read"]))
        .await
        .unwrap();
    let exchanged = auth.exchange_api_key(&t, secret.expose()).await.unwrap();
    let mut key_principal = as_key(&auth, &t, secret.expose()).await.unwrap().unwrap();
    key_principal.attributes.clear();
    let ticket = auth
        .parts()
        .tickets
        .issue(&t.id, &key_principal)
        .await
        .unwrap();
    let user_ticket = auth
        .parts()
        .tickets
        .issue(&t.id, &principal_of(&owner))
        .await
        .unwrap();

    // Disabled: the key is 401 even before it is cut off…
    auth.parts()
        .users
        .update(
            &t.id,
            owner.id,
            &UserUpdate {
                status: Some(UserStatus::Disabled),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    let e = as_key(&auth, &t, secret.expose()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert!(auth.exchange_api_key(&t, secret.expose()).await.is_err());
    assert!(
        auth.redeem_ticket(&t, ticket.expose()).await.is_err(),
        "a key's ticket"
    );
    assert!(
        auth.redeem_ticket(&t, user_ticket.expose()).await.is_err(),
        "the user's ticket"
    );
    let tenants = Arc::new(SqlTenantStore::new(b.sql().clone(), b.shared_clock()));
    let jwt = TokenAuthenticator::new(
        auth.parts().tokens.clone(),
        tenants,
        auth.attenuation().clone(),
    );
    assert!(
        jwt.authenticate(
            &Credential::Bearer(SecretString::new(exchanged.access_token.clone())),
            AuthContext { tenant: Some(&t) }
        )
        .await
        .is_err(),
        "a token exchanged for the key"
    );
    // …and cutting the owner off deletes every key they had.
    auth.cut_off(&t, &owner.id.to_string()).await.unwrap();
    assert!(
        auth.parts()
            .api_keys
            .list(&t.id, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn scope_of(auth: &Auth, t: &Tenant, token: &str) -> String {
    auth.parts()
        .tokens
        .verify(token, t, "caas")
        .await
        .unwrap()
        .scope
}

fn client(scopes: &[&str]) -> ClientSettings {
    ClientSettings {
        name: "Console".into(),
        client_type: ClientType::Confidential,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec![
            GrantType::Password,
            GrantType::ClientCredentials,
            GrantType::RefreshToken,
        ],
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        first_party: true,
        access_token_ttl_secs: None,
        refresh_token_ttl_secs: None,
        token_endpoint_auth_method: None,
        jwks: None,
        audiences: vec!["caas".into()],
    }
}

async fn oauth_tokens_for_a_user_carry_only_what_the_user_holds(b: &Backend) {
    let auth = auth(b, CHEAP);
    let provider = Provider::new(auth.clone(), b.kv.clone(), b.sql().clone());
    let t = tenant_with(
        b,
        "attenuation-oauth",
        json!({ "allow_password_grant": true }),
    )
    .await;
    user(&auth, &t, "plain", &[]).await;
    user(&auth, &t, "boss", &["admin"]).await;
    let (c, secret) = auth
        .parts()
        .clients
        .create(&t.id, &client(&["authz:write", "orders:read"]))
        .await
        .unwrap();
    let creds = ClientCredentials {
        client_id: Some(c.id.clone()),
        client_secret: Some(secret.unwrap().expose().clone()),
        ..ClientCredentials::default()
    };
    let grant = |who: &str| TokenParams {
        grant_type: Some("password".into()),
        username: Some(who.into()),
        password: Some(PASSWORD.into()),
        scope: Some("authz:write orders:read".into()),
        ..TokenParams::default()
    };
    let plain = provider.token(&t, &creds, &grant("plain")).await.unwrap();
    assert_eq!(
        plain.scope, "orders:read",
        "the ordinary user's token lacks authz:write"
    );
    assert_eq!(
        scope_of(&auth, &t, &plain.access_token).await,
        "orders:read"
    );
    let boss = provider.token(&t, &creds, &grant("boss")).await.unwrap();
    assert_eq!(
        scope_of(&auth, &t, &boss.access_token).await,
        "authz:write orders:read"
    );
    // The tenant's own service, registered by an admin, acts on its scopes.
    let cc = TokenParams {
        grant_type: Some("client_credentials".into()),
        scope: Some("authz:write".into()),
        ..TokenParams::default()
    };
    let service = provider.token(&t, &creds, &cc).await.unwrap();
    assert_eq!(
        scope_of(&auth, &t, &service.access_token).await,
        "authz:write"
    );
}

async fn clients_introspect_only_their_own_tokens_unless_allowed(b: &Backend) {
    let auth = auth(b, CHEAP);
    let provider = Provider::new(auth.clone(), b.kv.clone(), b.sql().clone());
    let t = tenant_with(
        b,
        "attenuation-introspect",
        json!({ "allow_password_grant": true }),
    )
    .await;
    user(&auth, &t, "plain", &[]).await;
    let make = |scopes: &'static [&'static str]| {
        let auth = auth.clone();
        let t = t.clone();
        async move {
            let (c, secret) = auth
                .parts()
                .clients
                .create(&t.id, &client(scopes))
                .await
                .unwrap();
            ClientCredentials {
                client_id: Some(c.id.clone()),
                client_secret: Some(secret.unwrap().expose().clone()),
                ..ClientCredentials::default()
            }
        }
    };
    let issuer = make(&["orders:read"]).await;
    let nosy = make(&["orders:read"]).await;
    let auditor = make(&[caas_auth::oauth::INTROSPECT_SCOPE]).await;
    let token = provider
        .token(
            &t,
            &issuer,
            &TokenParams {
                grant_type: Some("password".into()),
                username: Some("plain".into()),
                password: Some(PASSWORD.into()),
                scope: Some("orders:read".into()),
                ..TokenParams::default()
            },
        )
        .await
        .unwrap();
    for refresh in [false, true] {
        let presented = if refresh {
            token.refresh_token.clone().unwrap()
        } else {
            token.access_token.clone()
        };
        let active = |creds: &ClientCredentials| {
            let provider = provider.clone();
            let t = t.clone();
            let creds = creds.clone();
            let presented = presented.clone();
            async move {
                provider
                    .introspect(&t, &creds, Some(&presented))
                    .await
                    .unwrap()["active"]
                    .as_bool()
                    .unwrap()
            }
        };
        assert!(
            active(&issuer).await,
            "the client it was issued to (refresh: {refresh})"
        );
        assert!(!active(&nosy).await, "another client (refresh: {refresh})");
        assert!(
            active(&auditor).await,
            "a client allowed to (refresh: {refresh})"
        );
    }
}
