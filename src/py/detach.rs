//! The one way the binding runs engine work: without the GIL (polars' `enter_polars` is the
//! model), and waits on the writer in slices, so Ctrl-C still interrupts a long flush.

use std::time::Duration;

use pyo3::prelude::*;

use crate::engine::Backend;
use crate::engine::writer::Wait;

const SLICE: Duration = Duration::from_millis(50);

/// Runs engine work that may block (SQL, a full queue, a control op's round trip, file I/O)
/// with the GIL released, and translates its error through the binding's one translation
/// (`errors.rs`). Inputs are converted to owned Rust values before, outputs to Python after.
pub fn engine<T: Send, E: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<T, E> + Send,
) -> PyResult<T>
where
    PyErr: From<E>,
{
    Ok(py.detach(f)?)
}

/// Blocks until everything queued so far is committed, then raises any pending write failure.
pub fn flush(py: Python<'_>, store: &dyn Backend) -> PyResult<()> {
    let ticket = store.flush_ticket();
    loop {
        match engine(py, || store.wait_for(ticket, SLICE))? {
            Wait::Reached => break,
            Wait::TimedOut => py.check_signals()?,
        }
    }
    Ok(store.check()?)
}
