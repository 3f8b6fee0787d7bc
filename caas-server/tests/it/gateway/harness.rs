//! An in-process server on a random port, on either stack, and a webhook receiver.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use caas_server::{ServeConfig, Server};
use reqwest::{Method, RequestBuilder};
use sqlx::{Connection, Executor, PgConnection};

/// The admin key every in-process server is configured with.
pub(crate) const ADMIN_KEY: &str = "caas_admin_test-key-of-enough-length-0123456789";

/// Which backends a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stack {
    /// SQLite in memory, in-process cache and events: the embedded default.
    Embedded,
    /// PostgreSQL (a fresh schema) and Redis (a fresh prefix).
    Production,
}

/// A running in-process server; stopped (and its schema dropped) by `stop`.
pub(crate) struct Gateway {
    pub(crate) addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<caas_core::Result<()>>>,
    schema: Option<(String, String)>,
    pub(crate) config: ServeConfig,
    /// While set, provisioning a tenant fails.
    pub(crate) provisioning_fails: Arc<AtomicBool>,
    /// The server's database, to look behind the API.
    pub(crate) db: caas_core::Db,
    /// The server's services, to set up what the API refuses to make
    /// (e.g. a credential made before a fix).
    pub(crate) state: caas_server::Services,
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        caas_core::new_id(&caas_core::SystemClock).simple()
    )
}

/// A random slug for a test's tenant.
pub(crate) fn slug() -> String {
    let id = caas_core::new_id(&caas_core::SystemClock)
        .simple()
        .to_string();
    format!("t-{}", &id[id.len() - 14..])
}

impl Gateway {
    /// Starts a server on `stack` with the test defaults changed by `tweak`;
    /// `None` when the stack's backends are not configured (and not required).
    pub(crate) async fn start(
        stack: Stack,
        tweak: impl FnOnce(&mut ServeConfig),
    ) -> Option<Gateway> {
        let mut config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            admin_key: Some(ADMIN_KEY.into()),
            ..ServeConfig::default()
        };
        config.platform.webhooks.allow_private_targets = true;
        let mut schema = None;
        match stack {
            Stack::Embedded => config.platform.database_url = Some("sqlite::memory:".into()),
            Stack::Production => {
                let db = caas_core::testkit::backend_url("CAAS_TEST_DATABASE_URL")?;
                let redis = caas_core::testkit::backend_url("CAAS_TEST_REDIS_URL")?;
                let name = unique("caas_gw_");
                let mut admin = PgConnection::connect(&db).await.unwrap();
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                    .await
                    .unwrap();
                config.platform.database_url = Some(db.clone());
                config.platform.database_schema = Some(name.clone());
                config.platform.redis_url = Some(redis);
                config.platform.master_key = Some(crate::MASTER_KEY.into());
                let id = unique("");
                config.platform.redis_prefix = format!("gw{}", &id[id.len() - 20..]);
                schema = Some((db, name));
            }
        }
        tweak(&mut config);
        Some(Self::run(config, schema).await)
    }

    async fn run(config: ServeConfig, schema: Option<(String, String)>) -> Gateway {
        let mut server = Server::bind(config.clone()).await.unwrap();
        let state = server.state_mut();
        state.authenticators = state.authenticators.clone().with(Arc::new(TenantTokens));
        let provisioning_fails = Arc::new(AtomicBool::new(false));
        let db = state.backends.db.clone();
        state.platform.provisioners = state
            .provisioners
            .clone()
            .with(Arc::new(Switchable(provisioning_fails.clone())));
        let services = server.state_mut().clone();
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        Gateway {
            addr,
            stop: Some(tx),
            task: Some(task),
            schema,
            config,
            provisioning_fails,
            db,
            state: services,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request without credentials.
    pub(crate) fn anon(&self, method: Method, path: &str) -> RequestBuilder {
        super::super::client().request(method, self.url(path))
    }

    /// A request with the admin key.
    pub(crate) fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.anon(method, path).bearer_auth(ADMIN_KEY)
    }

    /// A request with the admin key, in `tenant`.
    pub(crate) fn in_tenant(&self, tenant: &str, method: Method, path: &str) -> RequestBuilder {
        self.admin(method, path).header("x-tenant-id", tenant)
    }

    /// Creates a tenant with `settings`; returns its slug.
    pub(crate) async fn tenant(&self, settings: serde_json::Value) -> String {
        let slug = slug();
        let r = self
            .admin(Method::POST, "/v1/admin/tenants")
            .json(&serde_json::json!({ "slug": slug, "name": "Test tenant", "settings": settings }))
            .go()
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        slug
    }

    /// A request as a user of the tenant with id `tenant_id`, in tenant `slug`.
    pub(crate) fn as_user(
        &self,
        tenant_id: &str,
        slug: &str,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        self.anon(method, path)
            .bearer_auth(format!("{TENANT_TOKEN}{tenant_id}"))
            .header("x-tenant-id", slug)
    }

    /// A request as the user `user` of the tenant with id `tenant_id`, in tenant `slug`.
    pub(crate) fn as_named(
        &self,
        tenant_id: &str,
        slug: &str,
        user: &str,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        self.anon(method, path)
            .bearer_auth(format!("{TENANT_TOKEN}{tenant_id}:{user}"))
            .header("x-tenant-id", slug)
    }

    /// The id of the tenant `slug`.
    pub(crate) async fn tenant_id(&self, slug: &str) -> String {
        let t: serde_json::Value = self
            .admin(Method::GET, &format!("/v1/admin/tenants/{slug}"))
            .value()
            .await;
        t["id"].as_str().unwrap().to_owned()
    }

    /// Stops the server and drops its schema.
    pub(crate) async fn stop(mut self) {
        self.shutdown().await;
        if let Some((db, schema)) = self.schema.take() {
            let mut admin = PgConnection::connect(&db).await.unwrap();
            admin
                .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .await
                .unwrap();
        }
    }

    /// Stops the server, keeping its database for a restart.
    pub(crate) async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// A second instance on the same database, Redis and configuration (it
    /// does not own the schema; stop it before the first).
    pub(crate) async fn another(&self) -> Gateway {
        Self::run(self.config.clone(), None).await
    }

    /// Starts again on the same database and configuration.
    pub(crate) async fn restart(mut self) -> Gateway {
        self.shutdown().await;
        let schema = self.schema.take();
        Self::run(self.config.clone(), schema).await
    }
}

/// Sending a request in a test: a transport error fails the test.
pub(crate) trait Go {
    /// Sends; the response.
    async fn go(self) -> reqwest::Response;
    /// Sends; the response body as JSON.
    async fn value(self) -> serde_json::Value;
}

impl Go for RequestBuilder {
    async fn go(self) -> reqwest::Response {
        self.send().await.unwrap()
    }

    async fn value(self) -> serde_json::Value {
        self.go().await.json().await.unwrap()
    }
}

/// Runs `test` on both stacks, as two tests.
macro_rules! on_both_stacks {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::gateway::harness::Stack::Embedded).await;
                }
            )*
        }
        mod postgres_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::gateway::harness::Stack::Production).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_stacks;

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: bytes::Bytes,
    pub(crate) answered: u16,
}

/// A local webhook receiver that fails its first `fail_first` requests (or
/// all, with `u32::MAX`) with 500 and records every request.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    pub(crate) got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start(fail_first: u32) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: bytes::Bytes| {
                let record = record.clone();
                async move {
                    let mut got = record.lock().unwrap();
                    let n = u32::try_from(got.len()).unwrap();
                    let answered = if n < fail_first { 500 } else { 204 };
                    got.push(Received {
                        headers,
                        body,
                        answered,
                    });
                    axum::http::StatusCode::from_u16(answered).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, got }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// The prefix of the test tokens [`TenantTokens`] accepts.
const TENANT_TOKEN: &str = "test_tenant_user:";

/// A stand-in for the auth issue's token authenticators, plugged into the
/// same seam: `test_tenant_user:<tenant id>[:<user>]` is that user (default
/// `user-1`) of that tenant.
#[derive(Debug)]
struct TenantTokens;

#[async_trait::async_trait]
impl caas_core::Authenticator for TenantTokens {
    fn name(&self) -> &'static str {
        "test_tenant_tokens"
    }

    async fn authenticate(
        &self,
        credential: &caas_core::Credential,
        _: caas_core::AuthContext<'_>,
    ) -> caas_core::Result<Option<caas_core::Principal>> {
        let Some(rest) = credential.secret().strip_prefix(TENANT_TOKEN) else {
            return Ok(None);
        };
        let (id, user) = rest.split_once(':').unwrap_or((rest, "user-1"));
        let tenant = id
            .parse()
            .map_err(|_| caas_core::Error::invalid_token("bad test token"))?;
        Ok(Some(caas_core::Principal::new(
            user,
            Some(tenant),
            caas_core::PrincipalKind::User,
        )))
    }
}

/// A provisioner that fails while its flag is set.
#[derive(Debug)]
struct Switchable(Arc<AtomicBool>);

#[async_trait::async_trait]
impl caas_core::TenantProvisioner for Switchable {
    fn name(&self) -> &'static str {
        "test_switchable"
    }

    async fn provision(&self, _: &caas_core::Tenant) -> caas_core::Result<()> {
        if self.0.load(Ordering::SeqCst) {
            return Err(caas_core::Error::unavailable("the key service is down"));
        }
        Ok(())
    }
}
