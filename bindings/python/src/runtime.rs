//! The one tokio runtime behind every call: sync methods block on it with
//! the GIL released; `a`-prefixed methods hand its futures to asyncio.

use std::future::Future;

use pyo3::prelude::*;

use crate::errors::to_py;

/// Runs the future `make` builds to completion on the runtime, with the GIL
/// released. The future is built on the blocking thread, so it need not be
/// `Send` itself.
pub(crate) fn block<T, F, Fut>(py: Python<'_>, make: F) -> PyResult<T>
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = caas::core::Result<T>>,
    T: Send,
{
    let result = py.detach(move || pyo3_async_runtimes::tokio::get_runtime().block_on(make()));
    result.map_err(to_py)
}

/// `future` as an awaitable of the running asyncio loop.
pub(crate) fn awaitable<'py, T, F>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = caas::core::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move { future.await.map_err(to_py) })
}

/// [`awaitable`] for a future that is not `Send` (the compiler cannot
/// always prove it of a deep async call): it runs on a blocking thread of
/// the runtime.
pub(crate) fn awaitable_blocking<'py, T, F, Fut>(
    py: Python<'py>,
    make: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = caas::core::Result<T>>,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let joined =
            tokio::task::spawn_blocking(move || tokio::runtime::Handle::current().block_on(make()))
                .await;
        match joined {
            Ok(result) => result.map_err(to_py),
            Err(e) => Err(to_py(caas::core::Error::internal(format!(
                "a task failed: {e}"
            )))),
        }
    })
}
