//! What callers hand to the writer: owned, validated operations.

use crate::engine::model::{MetricPoint, RunId};

/// Work that must run alone on the writer's connection `C` (the SQLite connection, or the remote
/// store's client), in queue order, and reports back to the caller itself (creating a run,
/// ending it, deleting an experiment, ...).
pub type ControlFn<C> = Box<dyn FnOnce(&mut C) + Send>;

/// One queued unit of data, the same for every backend. Data ops are grouped into one
/// transaction (or request) per batch; control ops ([`ControlFn`]) run alone, in queue order.
pub enum WriteOp {
    /// One metric point: the `log_metric` hot path, kept free of a `Vec` allocation.
    Metric { run_id: RunId, point: MetricPoint },
    /// What one `log_batch`, `log_param` or `set_tag` call adds to a run. The params here are
    /// new to the run (conflicts were refused at the call site).
    Batch {
        run_id: RunId,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        /// Tag values may be NULL, as MLflow stores a `RunTag` whose value is None.
        tags: Vec<(String, Option<String>)>,
    },
}

impl WriteOp {
    /// One metric point for a run found active and a key that passed `validate_metric_key`,
    /// stamped now when `timestamp_ms` is None.
    pub fn metric(
        run_id: RunId,
        key: &str,
        value: f64,
        timestamp_ms: Option<i64>,
        step: i64,
    ) -> Self {
        let timestamp_ms = timestamp_ms.unwrap_or_else(crate::engine::clock::now_ms);
        let point = MetricPoint::new(key, value, timestamp_ms, step);
        Self::Metric { run_id, point }
    }

    /// The run the op writes to.
    pub fn run_id(&self) -> &RunId {
        match self {
            Self::Metric { run_id, .. } | Self::Batch { run_id, .. } => run_id,
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
        }
    }
}

/// What a batch of data ops holds, for the report of a commit that failed: "3 metric points,
/// 1 param, 0 tags of run(s) a1b2..., c3d4...". Names at most five runs.
pub fn describe(ops: &[WriteOp]) -> String {
    let (mut metrics, mut params, mut tags) = (0usize, 0usize, 0usize);
    let mut runs: Vec<&str> = Vec::new();
    for op in ops {
        let run_id = match op {
            WriteOp::Metric { run_id, .. } => {
                metrics += 1;
                run_id
            }
            WriteOp::Batch {
                run_id,
                metrics: m,
                params: p,
                tags: t,
            } => {
                metrics += m.len();
                params += p.len();
                tags += t.len();
                run_id
            }
        };
        if !runs.contains(&&**run_id) {
            runs.push(run_id);
        }
    }
    let named = runs.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    let more = if runs.len() > 5 {
        format!(" and {} more", runs.len() - 5)
    } else {
        String::new()
    };
    format!("{metrics} metric points, {params} params, {tags} tags of run(s) {named}{more}")
}
