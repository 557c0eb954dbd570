//! The fluent API's hot path: `mlrs.log_metric(key, value, step=...)` and `mlrs.log_metrics`
//! to the calling thread's active run, found here instead of through Python frames.
//!
//! The Python layer stays the owner of the run stack (`_tracking._local`): whenever it changes
//! the innermost run of a thread, it tells this module (`set_active_run`), which keeps the same
//! thing per OS thread, as Python threads are OS threads. The calls here answer False, having
//! done nothing, whenever the general path must decide (no active run known here, a value or
//! key that needs Python's conversions); they never decide anything the general path would
//! decide differently.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::engine::Backend;
use crate::py::store::{self, PyStore, plain_int, plain_number, plain_str};

/// The innermost active run of this thread. The store is held weakly: the Python `Store` (kept
/// alive by the run stack) owns it, and a thread-local must never be what keeps a store open,
/// because its destructor runs at thread exit, without the GIL.
struct ActiveRun {
    backend: Weak<dyn Backend>,
    run_id: Arc<str>,
}

thread_local! {
    static ACTIVE: RefCell<Option<ActiveRun>> = const { RefCell::new(None) };
}

/// The store and id of this thread's active run, while its store is open.
fn active() -> Option<(Arc<dyn Backend>, Arc<str>)> {
    ACTIVE.with_borrow(|active| {
        let run = active.as_ref()?;
        Some((run.backend.upgrade()?, Arc::clone(&run.run_id)))
    })
}

/// Records the calling thread's innermost active run (`None`: no run is active).
#[pyfunction]
#[pyo3(signature = (store, run_id))]
pub fn set_active_run(store: Option<&Bound<'_, PyStore>>, run_id: Option<&str>) {
    let run = store.zip(run_id).map(|(store, run_id)| ActiveRun {
        backend: Arc::downgrade(&store.get().inner),
        run_id: Arc::from(run_id),
    });
    ACTIVE.set(run);
}

/// A step as the fluent API takes it: None is step 0, else a plain int; None for anything the
/// general path must convert or refuse.
fn plain_step(step: &Bound<'_, PyAny>) -> Option<i64> {
    if step.is_none() {
        Some(0)
    } else {
        plain_int(step)
    }
}

/// `log_metric(key, value, step)` to the active run, stamped now: True once queued. False when
/// the general path must take the call: no active run known here, or a key, value or step that
/// is not a plain `str`, `float`/`int` and `int`/None.
#[pyfunction]
pub fn log_active_metric(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    step: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let step = plain_step(step);
    let (Some(key), Some(value), Some(step)) = (plain_str(key), plain_number(value), step) else {
        return Ok(false);
    };
    let Some((backend, run_id)) = active() else {
        return Ok(false);
    };
    store::log_metric(py, &*backend, &run_id, &key, value, None, step)?;
    Ok(true)
}

/// `log_metrics(metrics, step)` to the active run, stamped now: True once queued. False, having
/// done nothing, when the general path must take the call (see `log_active_metric`; `metrics`
/// must be a `dict` of plain entries, at most one batch).
#[pyfunction]
pub fn log_active_metrics(
    py: Python<'_>,
    metrics: &Bound<'_, PyAny>,
    step: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let step = plain_step(step);
    let (Ok(metrics), Some(step)) = (metrics.cast_exact::<PyDict>(), step) else {
        return Ok(false);
    };
    let Some((backend, run_id)) = active() else {
        return Ok(false);
    };
    store::log_metrics(py, &*backend, &run_id, metrics, None, step)
}
