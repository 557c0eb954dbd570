//! What callers hand to the writer: owned, validated operations.

use rusqlite::Connection;

use crate::engine::model::{MetricPoint, RunId};

/// Work that must run alone on the writer's connection, in queue order, and reports back to the
/// caller itself (creating a run, ending it, deleting an experiment, ...).
pub type ControlFn = Box<dyn FnOnce(&mut Connection) + Send>;

/// One queued unit of work. Data ops are grouped into one transaction per batch; a control op
/// runs in its own transaction after everything queued before it has committed.
pub enum WriteOp {
    /// One metric point: the `log_metric` hot path, kept free of a `Vec` allocation.
    Metric {
        run_id: RunId,
        point: MetricPoint,
    },
    /// What one `log_batch`, `log_param` or `set_tag` call adds to a run. The params here are
    /// new to the run (conflicts were refused at the call site).
    Batch {
        run_id: RunId,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        /// Tag values may be NULL, as MLflow stores a `RunTag` whose value is None.
        tags: Vec<(String, Option<String>)>,
    },
    Control(ControlFn),
}

impl WriteOp {
    /// The run a data op writes to (control ops carry no run).
    pub fn run_id(&self) -> Option<&RunId> {
        match self {
            Self::Metric { run_id, .. } | Self::Batch { run_id, .. } => Some(run_id),
            Self::Control(_) => None,
        }
    }
}

impl std::fmt::Debug for WriteOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Metric { run_id, point } => f
                .debug_struct("Metric")
                .field("run_id", run_id)
                .field("point", point)
                .finish(),
            Self::Batch {
                run_id,
                metrics,
                params,
                tags,
            } => f
                .debug_struct("Batch")
                .field("run_id", run_id)
                .field("metrics", &metrics.len())
                .field("params", &params.len())
                .field("tags", &tags.len())
                .finish(),
            Self::Control(_) => f.write_str("Control"),
        }
    }
}
