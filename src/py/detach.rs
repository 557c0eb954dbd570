//! Waiting on the writer without the GIL, in slices, so Ctrl-C still interrupts a long flush.

use std::time::Duration;

use pyo3::prelude::*;

use crate::engine::Backend;
use crate::engine::writer::Wait;

const SLICE: Duration = Duration::from_millis(50);

/// Blocks until everything queued so far is committed, then raises any pending write failure.
pub fn flush(py: Python<'_>, store: &dyn Backend) -> PyResult<()> {
    let ticket = store.flush_ticket();
    loop {
        match py.detach(|| store.wait_for(ticket, SLICE))? {
            Wait::Reached => break,
            Wait::TimedOut => py.check_signals()?,
        }
    }
    Ok(store.check()?)
}
