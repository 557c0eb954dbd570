//! `mlrs._core.SystemMetricsMonitor`: the engine's system-metrics thread of one run, publishing
//! each step into the run's store queue without Python.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::prelude::*;

use crate::engine::clock::now_ms;
use crate::engine::model::MetricPoint;
use crate::engine::sysmetrics::{Monitor, MonitorConfig, Sampler};
use crate::py::store::PyStore;

#[pyclass(frozen, name = "SystemMetricsMonitor", module = "mlrs._core")]
pub struct PySystemMetricsMonitor {
    /// Shared with the store's run-end hook, which stops the monitor whichever way the run
    /// ends (the hook holds it weakly: a dropped monitor is not kept alive by its store).
    inner: Arc<Mutex<Option<Monitor>>>,
    /// A forked child never waits for the thread: it does not exist there.
    pid: u32,
}

#[pymethods]
impl PySystemMetricsMonitor {
    /// Starts sampling for `run_id` of `store`: every `interval_s` seconds, one step per
    /// `samples_before_logging` samples, named `prefix + name`, from `first_step` on.
    #[new]
    #[pyo3(signature = (store, run_id, interval_s, samples_before_logging, prefix, first_step))]
    fn new(
        store: &PyStore,
        run_id: String,
        interval_s: f64,
        samples_before_logging: u32,
        prefix: String,
        first_step: i64,
    ) -> PyResult<Self> {
        let store = Arc::clone(&store.inner);
        let target = Arc::clone(&store);
        let hook_run_id = run_id.clone();
        let config = MonitorConfig {
            interval: Duration::try_from_secs_f64(interval_s.max(0.0))
                .unwrap_or(Duration::from_secs(10)),
            samples_before_logging,
            prefix,
            first_step,
            disk: PathBuf::from("/"),
            with_gpus: true,
        };
        let monitor = Monitor::start(
            config,
            Box::new(move |metrics, step| {
                let timestamp = now_ms();
                let points = metrics
                    .into_iter()
                    .map(|(key, value)| MetricPoint::new(key, value, timestamp, step))
                    .collect();
                // A closed store or a run that can no longer take metrics ends the monitor.
                match target.batch_op(&run_id, points, Vec::new(), Vec::new()) {
                    Ok(Some(op)) => target.enqueue(op).is_ok(),
                    Ok(None) => true,
                    Err(_) => false,
                }
            }),
        )?;
        let inner = Arc::new(Mutex::new(Some(monitor)));
        let on_end: Weak<Mutex<Option<Monitor>>> = Arc::downgrade(&inner);
        store.on_run_end(
            &hook_run_id,
            Box::new(move || {
                let monitor = on_end.upgrade().and_then(|m| m.lock().take());
                if let Some(mut monitor) = monitor {
                    monitor.stop();
                }
            }),
        );
        Ok(Self {
            inner,
            pid: std::process::id(),
        })
    }

    /// Stops sampling and waits for the thread (samples not yet published are dropped, as
    /// MLflow drops them). Stopping twice does nothing.
    fn stop(&self, py: Python<'_>) {
        if self.pid != std::process::id() {
            return;
        }
        let monitor = self.inner.lock().take();
        if let Some(mut monitor) = monitor {
            py.detach(move || monitor.stop());
        }
    }

    #[getter]
    fn running(&self) -> bool {
        self.pid == std::process::id()
            && self.inner.lock().as_ref().is_some_and(Monitor::is_running)
    }
}

/// One sample of the machine, as the monitor takes it (first CPU reading over `interval_s`).
#[pyfunction]
pub fn sample_system_metrics(py: Python<'_>, interval_s: f64) -> Vec<(String, f64)> {
    py.detach(|| {
        let mut sampler = Sampler::new(std::path::Path::new("/"), true);
        std::thread::sleep(Duration::try_from_secs_f64(interval_s.max(0.0)).unwrap_or_default());
        sampler.sample()
    })
}
