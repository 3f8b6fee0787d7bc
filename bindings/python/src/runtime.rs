//! The one tokio runtime behind every call: sync methods block on it with
//! the GIL released; `a`-prefixed methods hand its futures to asyncio.

use std::future::Future;

use pyo3::prelude::*;

use crate::errors::to_py;

/// Runs `future` to completion on the runtime, with the GIL released.
pub(crate) fn block<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = caas::core::Result<T>> + Send,
    T: Send,
{
    let result = py.detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(future));
    result.map_err(to_py)
}

/// `future` as an awaitable of the running asyncio loop; its answer is
/// turned into Python by `convert` once the GIL is held again.
pub(crate) fn awaitable<'py, T, F>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = caas::core::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move { future.await.map_err(to_py) })
}
