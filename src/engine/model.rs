//! Plain data the engine reads and writes: rows of MLflow's tables, without any Python in them.

use std::sync::Arc;

use crate::engine::error::{Error, Result};

/// The id of experiment 0, which every MLflow database has.
pub const DEFAULT_EXPERIMENT_ID: i64 = 0;
pub const DEFAULT_EXPERIMENT_NAME: &str = "Default";
/// The workspace every row belongs to while MLflow workspaces are off.
pub const DEFAULT_WORKSPACE: &str = "default";
/// The tag that holds a run's name, kept equal to `runs.name`.
pub const RUN_NAME_TAG: &str = "mlflow.runName";

/// A run id, shared between the queue, the run cache and the ops that name it.
pub type RunId = Arc<str>;

/// A metric's name: kept inline up to 24 bytes (nearly every key), so queueing a point
/// allocates nothing for it on the caller's thread and frees nothing on the writer's.
pub type MetricKey = compact_str::CompactString;

/// One metric point as MLflow stores it: NaN as `(0.0, is_nan)` and ±inf as ±`f64::MAX`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub key: MetricKey,
    pub value: f64,
    pub timestamp_ms: i64,
    pub step: i64,
    pub is_nan: bool,
}

impl MetricPoint {
    /// Builds a point from a user's value, applying MLflow's storage rules for NaN and infinity.
    pub fn new(key: impl Into<MetricKey>, value: f64, timestamp_ms: i64, step: i64) -> Self {
        let (value, is_nan) = sanitize_metric_value(value);
        Self {
            key: key.into(),
            value,
            timestamp_ms,
            step,
            is_nan,
        }
    }

    /// The value a reader sees: NaN again for points stored with `is_nan`.
    pub fn read_value(&self) -> f64 {
        if self.is_nan { f64::NAN } else { self.value }
    }

    /// MLflow's "is newer" order for `latest_metrics`: by step, then timestamp, then value
    /// (NaN compares as the 0.0 it is stored as).
    pub fn is_newer_than(&self, step: i64, timestamp_ms: i64, value: f64) -> bool {
        (self.step, self.timestamp_ms) > (step, timestamp_ms)
            || ((self.step, self.timestamp_ms) == (step, timestamp_ms) && self.value > value)
    }
}

/// NaN → `(0.0, true)`; ±inf → ±`f64::MAX`; anything else unchanged.
pub fn sanitize_metric_value(value: f64) -> (f64, bool) {
    if value.is_nan() {
        (0.0, true)
    } else if value.is_infinite() {
        (if value > 0.0 { f64::MAX } else { f64::MIN }, false)
    } else {
        (value, false)
    }
}

/// MLflow's run states, with the integers of `mlflow.entities.RunStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running = 1,
    Scheduled = 2,
    Finished = 3,
    Failed = 4,
    Killed = 5,
}

impl RunStatus {
    pub const ALL: [Self; 5] = [
        Self::Running,
        Self::Scheduled,
        Self::Finished,
        Self::Failed,
        Self::Killed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Scheduled => "SCHEDULED",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Killed => "KILLED",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "Could not get run status corresponding to string {s}. Valid run status \
                 strings: ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']"
                ))
            })
    }
}

/// `lifecycle_stage` of experiments and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Active,
    Deleted,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "deleted" {
            Self::Deleted
        } else {
            Self::Active
        }
    }
}

/// Which lifecycle stages a search returns (`mlflow.entities.ViewType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewType {
    ActiveOnly = 1,
    DeletedOnly = 2,
    All = 3,
}

impl ViewType {
    pub fn from_int(v: i64) -> Option<Self> {
        match v {
            1 => Some(Self::ActiveOnly),
            2 => Some(Self::DeletedOnly),
            3 => Some(Self::All),
            _ => None,
        }
    }

    /// The SQL condition on a `lifecycle_stage` column that this view selects.
    pub fn lifecycle_sql(self, column: &str) -> String {
        match self {
            Self::ActiveOnly => format!("{column} = 'active'"),
            Self::DeletedOnly => format!("{column} = 'deleted'"),
            Self::All => format!("{column} IN ('active', 'deleted')"),
        }
    }
}

/// A row of `experiments` with its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub experiment_id: i64,
    pub name: String,
    pub artifact_location: Option<String>,
    pub lifecycle_stage: Lifecycle,
    pub creation_time: Option<i64>,
    pub last_update_time: Option<i64>,
    pub workspace: String,
    pub tags: Vec<(String, String)>,
}

/// A row of `runs`, as `RunInfo` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub run_id: String,
    pub run_name: Option<String>,
    pub experiment_id: i64,
    pub user_id: Option<String>,
    pub status: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub lifecycle_stage: Lifecycle,
    pub artifact_uri: Option<String>,
}

/// A run with its latest metrics, params, tags and inputs (`mlflow.entities.Run`).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub info: RunInfo,
    pub latest_metrics: Vec<MetricPoint>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, Option<String>)>,
    pub inputs: RunInputs,
    /// The logged models the run produced, `(model_id, step)`, in the order they were logged.
    pub outputs: Vec<(String, i64)>,
}

/// A row of `datasets` as `mlflow.entities.Dataset` shows it: every field is the text MLflow
/// stores (source, schema and profile are JSON documents built by the Python layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source_type: String,
    pub source: String,
    pub schema: Option<String>,
    pub profile: Option<String>,
}

/// A dataset a run used, with the input's tags (`mlflow.data.context` among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInput {
    pub dataset: Dataset,
    pub tags: Vec<(String, String)>,
}

/// What a run consumed: datasets (in logging order, tags by name, as MLflow reads them) and the
/// ids of logged models.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInputs {
    pub datasets: Vec<DatasetInput>,
    pub model_ids: Vec<String>,
}

/// One metric's history as columns, in MLflow's history order (timestamp, step, value), with
/// NaN restored: what charts and the columnar read path need, without a struct per point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricSeries {
    pub steps: Vec<i64>,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl MetricSeries {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// At most about `max_points` points for a chart, in step order: the series is cut into
    /// buckets of consecutive steps and each bucket keeps its lowest and its highest value, so
    /// spikes survive. A bucket of only NaN keeps its first point.
    #[must_use]
    pub fn downsample(&self, max_points: usize) -> Self {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| (self.steps[i], self.timestamps[i]));
        let mut kept = Vec::new();
        if self.len() <= max_points.max(2) {
            kept = order;
        } else {
            let bucket = self.len().div_ceil((max_points / 2).max(1));
            for chunk in order.chunks(bucket) {
                let finite = chunk.iter().copied().filter(|&i| !self.values[i].is_nan());
                let low = finite
                    .clone()
                    .min_by(|&a, &b| self.values[a].total_cmp(&self.values[b]));
                let high = finite.max_by(|&a, &b| self.values[a].total_cmp(&self.values[b]));
                match (low, high) {
                    (Some(low), Some(high)) if low == high => kept.push(low),
                    (Some(low), Some(high)) => kept.extend([low.min(high), low.max(high)]),
                    _ => kept.push(chunk[0]),
                }
            }
        }
        Self {
            steps: kept.iter().map(|&i| self.steps[i]).collect(),
            timestamps: kept.iter().map(|&i| self.timestamps[i]).collect(),
            values: kept.iter().map(|&i| self.values[i]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> MetricSeries {
        MetricSeries {
            steps: (0..values.len() as i64).collect(),
            timestamps: vec![0; values.len()],
            values: values.to_vec(),
        }
    }

    #[test]
    fn downsampling_keeps_spikes_and_step_order() {
        let mut values = vec![1.0; 10_000];
        values[4321] = 100.0;
        values[7777] = -50.0;
        let small = series(&values).downsample(100);
        assert!(small.len() <= 100, "{}", small.len());
        assert!(small.values.contains(&100.0) && small.values.contains(&-50.0));
        assert!(small.steps.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn short_series_are_only_sorted_by_step() {
        let mut s = series(&[3.0, f64::NAN, 1.0]);
        s.steps = vec![2, 0, 1];
        let out = s.downsample(10);
        assert_eq!(out.steps, vec![0, 1, 2]);
        assert_eq!(out.values[1..], [1.0, 3.0]);
        assert!(out.values[0].is_nan());
    }
}
