//! Values between Python and CAAS: JSON-shaped data through pythonize,
//! durations from seconds, ids from text — each refusal naming the argument.

use std::time::Duration;

use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::errors::invalid;

/// A Python value (dict, list, str, number, bool, None) as `T`.
pub(crate) fn from_py<T: DeserializeOwned>(
    field: &'static str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    pythonize::depythonize(value).map_err(|e| invalid(field, format!("`{field}`: {e}")))
}

/// `value` as Python data (dicts, lists, str, int, float, bool, None).
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// Seconds (≥ 0, at most `max`) as a duration.
pub(crate) fn seconds(field: &'static str, value: f64, max: Duration) -> PyResult<Duration> {
    if !value.is_finite() || value < 0.0 || value > max.as_secs_f64() {
        return Err(invalid(
            field,
            format!("`{field}` must be between 0 and {} seconds", max.as_secs()),
        ));
    }
    Ok(Duration::from_secs_f64(value))
}

/// A tenant id (a UUID) from text.
pub(crate) fn tenant_id(field: &'static str, value: &str) -> PyResult<caas::core::TenantId> {
    value
        .parse()
        .map_err(|_| invalid(field, format!("`{field}` is not a tenant id (a UUID)")))
}

/// A JSON-shaped Python answer, built once the GIL is held again (what an
/// async method resolves to).
pub(crate) struct Json(pub(crate) serde_json::Value);

impl<'py> IntoPyObject<'py> for Json {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }
}

/// A JSON-shaped argument (dict, list, …) read as `T`, with a message that
/// names what did not fit.
pub(crate) struct Data<T>(pub(crate) T);

impl<'a, 'py, T: DeserializeOwned> FromPyObject<'a, 'py> for Data<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        pythonize::depythonize(&obj)
            .map(Data)
            .map_err(|e| invalid("value", format!("not what CAAS expects here: {e}")))
    }
}

/// Bytes out (a `Vec<u8>` would become a list of ints).
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl<'py> IntoPyObject<'py> for Bytes {
    type Target = pyo3::types::PyBytes;
    type Output = Bound<'py, pyo3::types::PyBytes>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(pyo3::types::PyBytes::new(py, &self.0))
    }
}
