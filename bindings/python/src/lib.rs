//! The native half of the `caas` Python package (`caas._caas`): each class
//! and function is a thin translation of a CAAS crate's API — arguments in,
//! one library call, the answer out — and errors become the exception
//! classes of `caas.errors`. Every call that does real work (signatures,
//! argon2, SQL, Redis, Cedar) runs with the GIL released; `a`-prefixed
//! methods are the same calls as asyncio awaitables.

mod convert;
mod e2e;
mod errors;
mod game;
mod platform;
mod runtime;
mod tokens;

use pyo3::prelude::*;

/// `caas._caas`. It keeps no state behind the GIL, so it is declared safe
/// without it (free-threaded CPython loads it as is).
#[pymodule(gil_used = false)]
fn _caas(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    tokens::register(m)?;
    platform::register(m)?;
    e2e::register(m)?;
    game::register(m)?;
    Ok(())
}
