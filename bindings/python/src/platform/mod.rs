//! `caas.Platform`: the embedded CAAS — the same composition `caas-server`
//! serves ([`caas::Platform`]) — with one namespace per capability. Every
//! method has a sync form, which blocks with the GIL released, and an
//! `a`-prefixed awaitable form; both are generated from one body by
//! [`methods!`], so they cannot drift.

mod auth;
mod authz;
mod games;
mod keys;
mod privacy;
mod tenants;
mod tokens;

use std::path::PathBuf;
use std::time::Duration;

use caas::core::SecretString;
use caas::{Platform as Inner, PlatformConfig};
use pyo3::prelude::*;

use crate::runtime;

pub(crate) use self::tenants::Tenant;

/// Declares a `#[pymethods]` block in which each method exists twice: `name`
/// blocks on the runtime with the GIL released, `aname` returns an asyncio
/// awaitable. The body is an async block's body over the owned arguments
/// and `$this` (a clone of the platform), returning `caas::core::Result`.
macro_rules! methods {
    ($ty:ty { $(
        $(#[doc = $doc:literal])*
        [$($sig:tt)*]
        fn $name:ident / $aname:ident ($this:ident $(, $arg:ident : $argty:ty)* $(,)?) -> $ret:ty $body:block
    )* }) => {
        #[pyo3::pymethods]
        impl $ty {
            $(
                $(#[doc = $doc])*
                #[pyo3(signature = ($($sig)*))]
                #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
                fn $name(&self, py: pyo3::Python<'_>, $($arg: $argty),*) -> pyo3::PyResult<$ret> {
                    let $this = self.platform.clone();
                    crate::runtime::block(py, move || async move $body)
                }

                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = "Awaitable."]
                #[pyo3(signature = ($($sig)*))]
                #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
                fn $aname<'py>(&self, py: pyo3::Python<'py>, $($arg: $argty),*) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    let $this = self.platform.clone();
                    crate::runtime::awaitable(py, async move $body)
                }
            )*
        }
    };
}
pub(crate) use methods;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Platform>()?;
    m.add_class::<Tenant>()?;
    m.add_class::<tenants::Tenants>()?;
    m.add_class::<auth::Auth>()?;
    m.add_class::<tokens::Tokens>()?;
    m.add_class::<authz::Authz>()?;
    m.add_class::<authz::RouteCheck>()?;
    m.add_class::<keys::Keys>()?;
    m.add_class::<games::Games>()?;
    m.add_class::<privacy::Privacy>()?;
    m.add_function(wrap_pyfunction!(privacy::verify_audit_consistency, m)?)?;
    Ok(())
}

/// Every CAAS capability over one database, cache and event bus.
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct Platform {
    platform: Inner,
}

#[allow(
    clippy::too_many_arguments,
    reason = "Python keyword arguments, one per setting"
)]
fn config(
    database_url: Option<String>,
    database_schema: Option<String>,
    redis_url: Option<String>,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    production: bool,
    migrate: bool,
    redis_prefix: Option<String>,
    ticket_ttl: Option<f64>,
    federation_allow_private_issuers: bool,
) -> PyResult<PlatformConfig> {
    let mut config = PlatformConfig {
        database_url,
        database_schema,
        redis_url,
        master_key: master_key.map(SecretString::from),
        master_key_file,
        production,
        migrate,
        ..PlatformConfig::default()
    };
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    if let Some(url) = public_url {
        config.public_url = url;
    }
    if let Some(prefix) = redis_prefix {
        config.redis_prefix = prefix;
    }
    if let Some(ttl) = ticket_ttl {
        let ttl = crate::convert::seconds("ticket_ttl", ttl, Duration::from_secs(600))?;
        if ttl < Duration::from_secs(1) {
            return Err(crate::errors::invalid(
                "ticket_ttl",
                "`ticket_ttl` must be between 1 and 600 seconds",
            ));
        }
        config.auth.ticket_ttl = ttl;
    }
    config.auth.federation_allow_private_issuers = federation_allow_private_issuers;
    Ok(config)
}

#[pymethods]
impl Platform {
    /// Opens the platform (`database_schema`: a PostgreSQL schema instead
    /// of the login's default): SQLite by default (`caas-data/caas.sqlite3`, or
    /// `database_url="sqlite::memory:"`), PostgreSQL with row-level security
    /// and Redis in production. Migrates the database unless `migrate` is
    /// false; a master key is generated for the embedded default and
    /// required on PostgreSQL and in production. `redis_prefix`: the prefix
    /// of every Redis key and channel (default `caas`: deployments sharing
    /// a Redis need their own). `ticket_ttl`: seconds a
    /// one-time ticket stays redeemable (1 to 600, default 60);
    /// `federation_allow_private_issuers`: let tenants' upstream identity
    /// providers live on private or loopback addresses (development).
    #[staticmethod]
    #[pyo3(signature = (database_url = None, *, database_schema = None, redis_url = None, master_key = None, master_key_file = None, data_dir = None, public_url = None, production = false, migrate = true, redis_prefix = None, ticket_ttl = None, federation_allow_private_issuers = false))]
    #[allow(
        clippy::too_many_arguments,
        reason = "Python keyword arguments, one per setting"
    )]
    fn open(
        py: Python<'_>,
        database_url: Option<String>,
        database_schema: Option<String>,
        redis_url: Option<String>,
        master_key: Option<String>,
        master_key_file: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        public_url: Option<String>,
        production: bool,
        migrate: bool,
        redis_prefix: Option<String>,
        ticket_ttl: Option<f64>,
        federation_allow_private_issuers: bool,
    ) -> PyResult<Self> {
        let config = config(
            database_url,
            database_schema,
            redis_url,
            master_key,
            master_key_file,
            data_dir,
            public_url,
            production,
            migrate,
            redis_prefix,
            ticket_ttl,
            federation_allow_private_issuers,
        )?;
        let platform = runtime::block(py, move || async move { Inner::open(&config).await })?;
        Ok(Platform { platform })
    }

    /// [`Platform::open`], awaitable.
    #[staticmethod]
    #[pyo3(signature = (database_url = None, *, database_schema = None, redis_url = None, master_key = None, master_key_file = None, data_dir = None, public_url = None, production = false, migrate = true, redis_prefix = None, ticket_ttl = None, federation_allow_private_issuers = false))]
    #[allow(
        clippy::too_many_arguments,
        reason = "Python keyword arguments, one per setting"
    )]
    fn aopen<'py>(
        py: Python<'py>,
        database_url: Option<String>,
        database_schema: Option<String>,
        redis_url: Option<String>,
        master_key: Option<String>,
        master_key_file: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        public_url: Option<String>,
        production: bool,
        migrate: bool,
        redis_prefix: Option<String>,
        ticket_ttl: Option<f64>,
        federation_allow_private_issuers: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = config(
            database_url,
            database_schema,
            redis_url,
            master_key,
            master_key_file,
            data_dir,
            public_url,
            production,
            migrate,
            redis_prefix,
            ticket_ttl,
            federation_allow_private_issuers,
        )?;
        runtime::awaitable_blocking(py, move || async move {
            Ok(Platform {
                platform: Inner::open(&config).await?,
            })
        })
    }

    /// Tenants: create, find, list.
    #[getter]
    fn tenants(&self) -> tenants::Tenants {
        tenants::Tenants {
            platform: self.platform.clone(),
        }
    }

    /// Users, passwords, logins, MFA, refresh, logout, API keys, tickets,
    /// sessions.
    #[getter]
    fn auth(&self) -> auth::Auth {
        auth::Auth {
            platform: self.platform.clone(),
        }
    }

    /// Access tokens of a tenant: issue, verify (with revocation), JWKS.
    #[getter]
    fn tokens(&self) -> tokens::Tokens {
        tokens::Tokens {
            platform: self.platform.clone(),
        }
    }

    /// Authorization: decisions with reasons, policies, roles, access.
    #[getter]
    fn authz(&self) -> authz::Authz {
        authz::Authz {
            platform: self.platform.clone(),
        }
    }

    /// Tenant and subject keys: seal, open, shred.
    #[getter]
    fn keys(&self) -> keys::Keys {
        keys::Keys {
            platform: self.platform.clone(),
        }
    }

    /// KSP, KSPOV and the tenant's rule sets, against the computer or
    /// another player, with history.
    #[getter]
    fn games(&self) -> games::Games {
        games::Games {
            platform: self.platform.clone(),
        }
    }

    /// Consent, data-subject requests, the audit log.
    #[getter]
    fn privacy(&self) -> privacy::Privacy {
        privacy::Privacy {
            platform: self.platform.clone(),
        }
    }

    /// Closes the database pools (the platform is unusable afterwards).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let platform = self.platform.clone();
        runtime::block(py, move || async move {
            platform.close().await;
            Ok(())
        })
    }

    /// [`Platform::close`], awaitable.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let platform = self.platform.clone();
        runtime::awaitable(py, async move {
            platform.close().await;
            Ok(())
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _kind: Option<Bound<'_, PyAny>>,
        _value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.close(py)
    }
}
