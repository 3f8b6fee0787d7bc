//! `OAuthClients`: validation, hashed secrets, rotation, tenant isolation.

use caas_auth::oauth::{ClientSettings, ClientType, GrantType, OAuthClients};
use caas_core::ErrorKind;
use caas_core::testkit::Backend;

use crate::tenant;

caas_core::backend_tests! {
    migrations: [&caas_core::MIGRATIONS, &caas_crypto::MIGRATIONS, &caas_auth::MIGRATIONS],
    backends: [sqlite_memory, postgres],
    tests: [clients_are_validated_and_their_secrets_hashed],
}

fn web_app() -> ClientSettings {
    ClientSettings {
        name: "Web app".into(),
        client_type: ClientType::Confidential,
        redirect_uris: vec![
            "https://app.example/callback".into(),
            "http://localhost:3000/cb".into(),
        ],
        post_logout_redirect_uris: vec![],
        grant_types: vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ],
        scopes: vec!["game:play".into()],
        first_party: false,
        access_token_ttl_secs: Some(600),
        refresh_token_ttl_secs: None,
        token_endpoint_auth_method: None,
        jwks: None,
        audiences: Vec::new(),
    }
}

async fn clients_are_validated_and_their_secrets_hashed(b: &Backend) {
    let (t, other) = (tenant(b, "acme").await.id, tenant(b, "umbrella").await.id);
    let clients = OAuthClients::new(b.sql().clone(), b.shared_clock());
    let (client, secret) = clients.create(&t, &web_app()).await.unwrap();
    let secret = secret.unwrap();
    assert!(client.id.starts_with("cl_") && secret.expose().starts_with("cs_"));
    assert_eq!(
        clients
            .authenticate(&t, &client.id, secret.expose())
            .await
            .unwrap()
            .id,
        client.id
    );
    for (tenant, id, s) in [
        (t, client.id.as_str(), "cs_wrong"),
        (t, "cl_nobody", secret.expose().as_str()),
        (other, client.id.as_str(), secret.expose().as_str()),
    ] {
        let e = clients.authenticate(&tenant, id, s).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Unauthenticated, "invalid_client")
        );
    }
    // Rotation: the old secret stops working.
    let fresh = clients.rotate_secret(&t, &client.id).await.unwrap();
    assert!(
        clients
            .authenticate(&t, &client.id, secret.expose())
            .await
            .is_err()
    );
    clients
        .authenticate(&t, &client.id, fresh.expose())
        .await
        .unwrap();
    // Public clients: no secret, no client credentials, no type change.
    let spa = ClientSettings {
        client_type: ClientType::Public,
        grant_types: vec![GrantType::AuthorizationCode],
        ..web_app()
    };
    let (public, none) = clients.create(&t, &spa).await.unwrap();
    assert!(none.is_none());
    assert_eq!(
        clients
            .rotate_secret(&t, &public.id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Conflict
    );
    assert!(
        clients
            .authenticate(&t, &public.id, "cs_anything")
            .await
            .is_err()
    );
    let e = clients
        .update(&t, &public.id, &web_app())
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("client_type"));
    // Every rule names its field; nothing is stored.
    let cases: Vec<(ClientSettings, &str)> = vec![
        (
            ClientSettings {
                name: String::new(),
                ..web_app()
            },
            "name",
        ),
        (
            ClientSettings {
                redirect_uris: vec!["http://app.example/cb".into()],
                ..web_app()
            },
            "redirect_uris",
        ),
        (
            ClientSettings {
                redirect_uris: vec!["https://app.example/cb#frag".into()],
                ..web_app()
            },
            "redirect_uris",
        ),
        (
            ClientSettings {
                redirect_uris: vec!["not a url".into()],
                ..web_app()
            },
            "redirect_uris",
        ),
        (
            ClientSettings {
                redirect_uris: vec![],
                ..web_app()
            },
            "redirect_uris",
        ),
        (
            ClientSettings {
                grant_types: vec![],
                ..web_app()
            },
            "grant_types",
        ),
        (
            ClientSettings {
                client_type: ClientType::Public,
                ..web_app()
            },
            "grant_types",
        ),
        (
            ClientSettings {
                grant_types: vec![GrantType::Password],
                ..web_app()
            },
            "grant_types",
        ),
        (
            ClientSettings {
                scopes: vec!["Bad Scope".into()],
                ..web_app()
            },
            "scopes",
        ),
        (
            ClientSettings {
                access_token_ttl_secs: Some(5),
                ..web_app()
            },
            "access_token_ttl_secs",
        ),
    ];
    for (settings, field) in cases {
        let e = clients.create(&t, &settings).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::InvalidInput, Some(field)),
            "{settings:?}"
        );
    }
    let first_party = ClientSettings {
        first_party: true,
        grant_types: vec![GrantType::Password],
        redirect_uris: vec![],
        ..web_app()
    };
    clients.create(&t, &first_party).await.unwrap();
    assert_eq!(clients.list(&t).await.unwrap().len(), 3);
    assert!(clients.list(&other).await.unwrap().is_empty());
    assert!(clients.get(&other, &client.id).await.unwrap().is_none());
    clients.delete(&t, &client.id).await.unwrap();
    assert_eq!(
        clients.delete(&t, &client.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}
