//! CAAS errors as the exception classes of `caas.errors` (plain Python
//! classes, so they pickle, subclass and show in tracebacks as users
//! expect): the class is chosen by the error's code, then its kind.

use caas::core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// `caas.errors`, imported once.
static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The class for an error: token codes have their own (PyJWT's names),
/// everything else the class of its kind.
fn class_name(error: &Error) -> &'static str {
    match error.code() {
        "token_expired" => "ExpiredToken",
        "invalid_audience" => "InvalidAudienceError",
        "invalid_issuer" => "InvalidIssuerError",
        "token_not_yet_valid" => "ImmatureSignatureError",
        "invalid_algorithm" => "InvalidAlgorithmError",
        "missing_claim" => "MissingRequiredClaimError",
        "invalid_signature" => "InvalidSignatureError",
        "invalid_tenant" | "invalid_token" => "InvalidToken",
        _ => match error.kind() {
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::Unauthenticated => "Unauthenticated",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::QuotaExceeded => "QuotaExceeded",
            ErrorKind::Unavailable => "Unavailable",
            _ => "Internal",
        },
    }
}

/// The Python exception for `error`: `cls(message, code=, status=,
/// field=, detail=)`. An internal error's message is generic, as the
/// server's is; what went wrong goes to the `caas` logger.
pub(crate) fn to_py(error: Error) -> PyErr {
    Python::attach(|py| match build(py, &error) {
        Ok(err) => err,
        Err(e) => e,
    })
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let module = ERRORS.get_or_try_init(py, || {
        PyModule::import(py, "caas.errors").map(Bound::unbind)
    })?;
    let class = module.bind(py).getattr(class_name(error))?;
    let internal = error.kind() == ErrorKind::Internal;
    let message = if internal {
        // What went wrong goes to the `caas` logger, as the server logs it.
        let logger = PyModule::import(py, "logging")?.call_method1("getLogger", ("caas",))?;
        logger.call_method1("error", (format!("internal error: {error}"),))?;
        "an internal error occurred".to_owned()
    } else {
        error.message().to_owned()
    };
    let detail = match error.details() {
        Some(details) if !internal => Some(pythonize::pythonize(py, details)?),
        _ => None,
    };
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("code", error.code())?;
    kwargs.set_item("status", error.kind().http_status())?;
    kwargs.set_item("field", error.field())?;
    kwargs.set_item("detail", detail)?;
    let exception = class.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(exception))
}

/// An error for a value Python handed over that CAAS cannot take (`field`
/// names the argument).
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> PyErr {
    to_py(Error::invalid_input(message.into()).with_field(field))
}
