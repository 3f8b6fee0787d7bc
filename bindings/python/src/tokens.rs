//! `caas.tokens`: [`TokenVerifier`] — a resource server's check of CAAS
//! access tokens (caas-auth's `RemoteVerifier`) — and the [`Claims`] it
//! hands back.

use std::sync::Arc;

use caas::auth::tokens::{MAX_LEEWAY, RemoteConfig, RemoteVerifier, Verified};
use caas::core::SystemClock;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{self, from_py};
use crate::errors::to_py;
use crate::runtime;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TokenVerifier>()?;
    m.add_class::<Claims>()?;
    Ok(())
}

/// Checks one tenant's access tokens for one audience: signature, algorithm
/// allow-list, `exp`/`nbf`/`iat` with leeway, `iss`, `aud`, tenant. A token
/// verified once is remembered (its times are checked on every hit).
#[pyclass(module = "caas._caas", frozen)]
pub(crate) struct TokenVerifier {
    pub(crate) inner: Arc<RemoteVerifier>,
}

fn config(
    issuer: String,
    audience: String,
    tenant_id: Option<&str>,
    leeway: f64,
    cache_size: usize,
) -> PyResult<RemoteConfig> {
    Ok(RemoteConfig {
        tenant: tenant_id
            .map(|t| convert::tenant_id("tenant_id", t))
            .transpose()?,
        leeway: convert::seconds("leeway", leeway, MAX_LEEWAY)?,
        cache_capacity: cache_size,
        ..RemoteConfig::new(issuer, audience)
    })
}

#[pymethods]
impl TokenVerifier {
    /// A verifier with the keys of `jwks` (a JWKS document as a dict).
    #[staticmethod]
    #[pyo3(signature = (issuer, audience, jwks, *, tenant_id = None, leeway = 30.0, cache_size = 10_000))]
    fn from_jwks(
        issuer: String,
        audience: String,
        jwks: &Bound<'_, PyAny>,
        tenant_id: Option<&str>,
        leeway: f64,
        cache_size: usize,
    ) -> PyResult<Self> {
        let jwks: serde_json::Value = from_py("jwks", jwks)?;
        let config = config(issuer, audience, tenant_id, leeway, cache_size)?;
        let inner =
            RemoteVerifier::from_jwks(config, &jwks, SystemClock::shared()).map_err(to_py)?;
        Ok(TokenVerifier {
            inner: Arc::new(inner),
        })
    }

    /// A verifier for `issuer_url`'s tokens: its discovery document and
    /// JWKS are fetched now, and the keys again when a token names a new one.
    #[staticmethod]
    #[pyo3(signature = (issuer_url, audience, *, tenant_id = None, leeway = 30.0, cache_size = 10_000))]
    fn from_issuer(
        py: Python<'_>,
        issuer_url: String,
        audience: String,
        tenant_id: Option<&str>,
        leeway: f64,
        cache_size: usize,
    ) -> PyResult<Self> {
        let config = config(issuer_url, audience, tenant_id, leeway, cache_size)?;
        let inner = runtime::block(py, move || caas::remote::verifier_from_issuer(config))?;
        Ok(TokenVerifier {
            inner: Arc::new(inner),
        })
    }

    /// [`TokenVerifier::from_issuer`], awaitable.
    #[staticmethod]
    #[pyo3(signature = (issuer_url, audience, *, tenant_id = None, leeway = 30.0, cache_size = 10_000))]
    fn afrom_issuer<'py>(
        py: Python<'py>,
        issuer_url: String,
        audience: String,
        tenant_id: Option<&str>,
        leeway: f64,
        cache_size: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let config = config(issuer_url, audience, tenant_id, leeway, cache_size)?;
        runtime::awaitable(py, async move {
            let inner = caas::remote::verifier_from_issuer(config).await?;
            Ok(TokenVerifier {
                inner: Arc::new(inner),
            })
        })
    }

    /// The claims of `token`, or the `InvalidToken` subclass naming the
    /// failed check.
    fn verify(&self, py: Python<'_>, token: &str) -> PyResult<Claims> {
        // A token seen before costs a hash and a lookup: no need to let go
        // of the GIL for that.
        if let Some(hit) = self.inner.cached(token) {
            return Ok(Claims {
                inner: hit,
                revocation_checked: false,
            });
        }
        let inner = self.inner.clone();
        runtime::block(py, move || async move { inner.verify(token).await }).map(|v| Claims {
            inner: v,
            revocation_checked: false,
        })
    }

    /// [`TokenVerifier::verify`], awaitable.
    fn averify<'py>(&self, py: Python<'py>, token: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        runtime::awaitable(py, async move {
            inner.verify(&token).await.map(|v| Claims {
                inner: v,
                revocation_checked: false,
            })
        })
    }

    /// The issuer this verifier accepts.
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.config().issuer
    }

    /// The audience this verifier accepts.
    #[getter]
    fn audience(&self) -> &str {
        &self.inner.config().audience
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenVerifier(issuer={:?}, audience={:?})",
            self.inner.config().issuer,
            self.inner.config().audience
        )
    }
}

/// A verified token's claims: typed attributes for what CAAS defines,
/// `raw` (and `claims["name"]`) for every claim as sent.
#[pyclass(module = "caas._caas", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct Claims {
    pub(crate) inner: Arc<Verified>,
    /// Whether the platform checked the token, revocation included
    /// (`platform.tokens.verify`), rather than a `TokenVerifier`, which
    /// cannot see revocations.
    pub(crate) revocation_checked: bool,
}

impl Claims {
    fn principal_kind(&self) -> &'static str {
        match self.inner.claims.kind {
            caas::core::PrincipalKind::User => "user",
            caas::core::PrincipalKind::Service => "service",
            caas::core::PrincipalKind::Guest => "guest",
        }
    }
}

#[pymethods]
impl Claims {
    /// The subject: a user id, API key id or guest id.
    #[getter]
    fn sub(&self) -> &str {
        &self.inner.claims.sub
    }

    /// The tenant's id.
    #[getter]
    fn tenant_id(&self) -> String {
        self.inner.claims.tenant_id.to_string()
    }

    /// The scopes, in the token's order.
    #[getter]
    fn scopes(&self) -> Vec<&str> {
        self.inner.claims.scope.split_whitespace().collect()
    }

    /// The roles.
    #[getter]
    fn roles(&self) -> Vec<String> {
        self.inner.claims.roles.clone()
    }

    /// `user`, `service` or `guest`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.principal_kind()
    }

    /// The issuer.
    #[getter]
    fn iss(&self) -> &str {
        &self.inner.claims.iss
    }

    /// The audiences.
    #[getter]
    fn aud(&self) -> Vec<String> {
        self.inner.claims.aud.0.clone()
    }

    /// Expiry, unix seconds.
    #[getter]
    fn exp(&self) -> i64 {
        self.inner.claims.exp
    }

    /// Issued at, unix seconds.
    #[getter]
    fn iat(&self) -> i64 {
        self.inner.claims.iat
    }

    /// The token id.
    #[getter]
    fn jti(&self) -> &str {
        &self.inner.claims.jti
    }

    /// The session, if the token belongs to one.
    #[getter]
    fn sid(&self) -> Option<&str> {
        self.inner.claims.sid.as_deref()
    }

    /// The OAuth client the token was issued to.
    #[getter]
    fn client_id(&self) -> Option<&str> {
        self.inner.claims.client_id.as_deref()
    }

    /// Authentication methods (`pwd`, `otp`, …).
    #[getter]
    fn amr(&self) -> Vec<String> {
        self.inner.claims.amr.clone()
    }

    /// Every claim, as sent.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let raw = convert::to_py(py, &self.inner.raw)?;
        Ok(raw.cast_into::<PyDict>()?)
    }

    /// Whether the token carries `scope`.
    fn has_scope(&self, scope: &str) -> bool {
        self.inner
            .claims
            .scope
            .split_whitespace()
            .any(|s| s == scope)
    }

    /// Whether the token carries `role`.
    fn has_role(&self, role: &str) -> bool {
        self.inner.claims.roles.iter().any(|r| r == role)
    }

    fn __getitem__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.raw.get(name) {
            Some(value) => convert::to_py(py, value),
            None => Err(pyo3::exceptions::PyKeyError::new_err(name.to_owned())),
        }
    }

    fn __contains__(&self, name: &str) -> bool {
        self.inner.raw.contains_key(name)
    }

    /// The claim `name`, or `default`.
    #[pyo3(signature = (name, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.inner.raw.get(name) {
            Some(value) => convert::to_py(py, value).map(Some),
            None => Ok(default),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Claims(sub={:?}, tenant_id={:?}, kind={:?})",
            self.inner.claims.sub,
            self.inner.claims.tenant_id.to_string(),
            self.principal_kind()
        )
    }
}
