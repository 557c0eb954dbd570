//! One interface over the tracking stores: the SQLite file ([`Store`]) and an MLflow tracking
//! server over REST ([`RemoteStore`]), chosen by the URI's scheme in [`open`]. The binding and
//! everything above it talk to a `dyn Backend` and cannot tell which one it is.
//!
//! The contract every backend keeps:
//! - Log calls validate synchronously (`metric_op`, `param_op`, `tag_op`, `batch_op` return the
//!   op or MLflow's error) and the op is queued (`try_enqueue`); nothing waits for I/O.
//! - Queued ops are applied in order. `flush_ticket` + `wait_for` wait for everything queued
//!   before; `check` hands over a failure of queued work once; `close` drains and stops.
//! - Every read and every synchronous write sees what the same process queued before it.
//! - The model registry and logged models are interfaces of their own ([`Registry`], reached
//!   by [`Backend::registry`], and [`LoggedModels`], by [`Backend::models`]), which every
//!   backend has.
//! - Domains not yet behind the interface (datasets) are reached through
//!   `as_sqlite`; a backend without them refuses those calls with a clear message.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;

use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::logged_models::LoggedModels;
use crate::engine::model::{
    DatasetInput, Experiment, MetricPoint, MetricSeries, Run, RunId, RunStatus, ViewType,
};
use crate::engine::registry::Registry;
use crate::engine::remote::RemoteStore;
use crate::engine::store::Store;
use crate::engine::writer::{Submitted, Unstored, Wait, WriteOp, WriterConfig};

/// Work tied to a run's life, such as its system-metrics monitor.
pub type RunEndHook = Box<dyn FnOnce() + Send>;

/// The run-end hooks of one store. A run ends when the store sets its status to anything but
/// RUNNING (the condition MLflow's system-metrics monitor stops on), deletes it, or closes;
/// so fluent `end_run`, `set_terminated`, `update_run` and `delete_run` all end it alike.
/// Hooks run on the caller's thread after the change is made, with no lock held.
pub struct RunEnds {
    /// None once the store closed: later hooks run at once.
    hooks: Mutex<Option<HashMap<String, Vec<RunEndHook>>>>,
}

impl Default for RunEnds {
    fn default() -> Self {
        Self::new()
    }
}

impl RunEnds {
    pub fn new() -> Self {
        Self {
            hooks: Mutex::new(Some(HashMap::new())),
        }
    }

    pub fn add(&self, run_id: &str, hook: RunEndHook) {
        let mut hooks = self.hooks.lock();
        if let Some(map) = hooks.as_mut() {
            map.entry(run_id.to_owned()).or_default().push(hook);
        } else {
            drop(hooks);
            hook();
        }
    }

    /// The run's status became `status` (None: unchanged) or it was deleted (`deleted`).
    pub fn changed(&self, run_id: &str, status: Option<RunStatus>, deleted: bool) {
        if !deleted && status.is_none_or(|s| s == RunStatus::Running) {
            return;
        }
        let ended = self
            .hooks
            .lock()
            .as_mut()
            .and_then(|map| map.remove(run_id));
        for hook in ended.into_iter().flatten() {
            hook();
        }
    }

    /// The store closes: every hook runs, and later ones run at once.
    pub fn close(&self) {
        let all = self.hooks.lock().take();
        for hook in all.into_iter().flat_map(HashMap::into_values).flatten() {
            hook();
        }
    }
}

/// A tracking store: where experiments, runs and their data live.
pub trait Backend: Send + Sync {
    /// The SQLite file's path, or the server's URL.
    fn location(&self) -> String;

    /// Where new experiments put their artifacts when none is given (SQLite); the server
    /// decides for a remote store (empty here).
    fn default_artifact_root(&self) -> &str;

    /// The SQLite store behind this backend, for the domains that only it has so far.
    fn as_sqlite(&self) -> Option<&Store> {
        None
    }

    /// The logged models of this store.
    fn models(&self) -> &dyn LoggedModels;

    /// Logs datasets (with their input tags) and logged-model ids as inputs of a run.
    fn log_inputs(
        &self,
        run_id: &str,
        datasets: Vec<DatasetInput>,
        model_ids: Vec<String>,
    ) -> Result<()>;

    /// The model registry of this store (a SQLite file's tables, or a server's registry API).
    fn registry(&self) -> &dyn Registry;

    /// The tracking server's HTTP client, for a remote backend (artifacts go through it).
    fn remote_client(&self) -> Option<&crate::engine::remote::http::Client> {
        None
    }

    // ---- the write queue ---------------------------------------------------------------------

    fn try_enqueue(&self, op: WriteOp) -> Result<Submitted>;
    fn enqueue_blocking(&self, op: WriteOp) -> Result<()>;
    fn enqueue(&self, op: WriteOp) -> Result<()> {
        match self.try_enqueue(op)? {
            Submitted::Queued => Ok(()),
            Submitted::Full(op) => self.enqueue_blocking(op),
        }
    }
    fn flush_ticket(&self) -> u64;
    fn wait_for(&self, ticket: u64, slice: Duration) -> Result<Wait>;
    fn check(&self) -> Result<()>;
    fn flush(&self) -> Result<()>;
    fn close(&self) -> Result<()>;
    /// Refuses new writes, stores what was queued within `timeout`, and stops; says what was
    /// not stored. By default `close`, whose own bound then applies.
    fn close_within(&self, timeout: Duration) -> Unstored {
        let _ = timeout;
        Unstored {
            ops: 0,
            failure: self.close().err(),
        }
    }
    /// True once closing has begun: the store takes no more work.
    fn is_closed(&self) -> bool {
        false
    }
    /// Runs `hook` once when the run ends through this store, whichever call ends it (see
    /// [`RunEnds`]), or at once if the store is already closed.
    fn on_run_end(&self, run_id: &str, hook: RunEndHook);

    // ---- log calls: validate, build the op ---------------------------------------------------

    /// The run's shared id when a metric can be logged to it without reading its state first
    /// (the hot path's one check: a lock and a lookup); None when only `metric_op` can tell.
    fn fresh_run_id(&self, run_id: &str) -> Option<RunId>;
    fn metric_op(
        &self,
        run_id: &str,
        key: &str,
        value: f64,
        timestamp_ms: Option<i64>,
        step: i64,
    ) -> Result<WriteOp>;
    fn param_op(&self, run_id: &str, key: &str, value: &str) -> Result<Option<WriteOp>>;
    fn tag_op(&self, run_id: &str, key: &str, value: &str) -> Result<WriteOp>;
    fn batch_op(
        &self,
        run_id: &str,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Option<WriteOp>>;

    // ---- experiments -------------------------------------------------------------------------

    fn create_experiment(
        &self,
        name: &str,
        artifact_location: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<i64>;
    fn get_experiment(&self, experiment_id: &str) -> Result<Experiment>;
    fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>>;
    /// One page of experiments: at most `max_results + 1`, so the caller sees whether more
    /// follow.
    fn search_experiments(
        &self,
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Experiment>>;
    fn delete_experiment(&self, experiment_id: &str) -> Result<()>;
    fn restore_experiment(&self, experiment_id: &str) -> Result<()>;
    fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()>;
    fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()>;
    fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()>;

    // ---- runs --------------------------------------------------------------------------------

    fn create_run(
        &self,
        experiment_id: &str,
        user_id: &str,
        start_time: i64,
        run_name: Option<String>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Run>;
    /// One page of runs: at most `max_results + 1`.
    fn search_runs(
        &self,
        experiment_ids: &[String],
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Run>>;
    fn get_run(&self, run_id: &str) -> Result<Run>;
    fn update_run_info(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<String>,
    ) -> Result<()>;
    fn delete_run(&self, run_id: &str) -> Result<()>;
    fn restore_run(&self, run_id: &str) -> Result<()>;
    fn delete_tag(&self, run_id: &str, key: &str) -> Result<()>;
    fn get_metric_series(
        &self,
        run_id: &str,
        key: &str,
        max_points: Option<usize>,
    ) -> Result<MetricSeries>;
}

/// Options of [`open`] that only some backends use.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// SQLite: the artifact root of new experiments.
    pub default_artifact_root: String,
    pub writer: WriterConfig,
    /// Remote: where the spool files live (`<dir>/<server>/`).
    pub spool_dir: Option<std::path::PathBuf>,
    /// SQLite: a throwaway store (a test's) whose commits are never fsynced.
    pub scratch: bool,
}

/// Opens the store a tracking URI names: `sqlite:///path` (the path after the third slash,
/// absolute or relative to the working directory) or `http(s)://host[:port][/prefix]`.
pub fn open(uri: &str, options: &OpenOptions) -> Result<Box<dyn Backend>> {
    let scheme = uri
        .split_once(':')
        .map_or("", |(s, _)| s)
        .to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => {
            let rest = uri["sqlite:".len()..].split('?').next().unwrap_or("");
            let path = rest.strip_prefix("///").ok_or_else(|| {
                Error::invalid(format!(
                    "A SQLite tracking URI names a file as sqlite:///path; got '{uri}'."
                ))
            })?;
            let store = Store::open_with(
                std::path::Path::new(path),
                &options.default_artifact_root,
                options.writer,
                !options.scratch,
            )?;
            Ok(Box::new(store))
        }
        "http" | "https" => Ok(Box::new(RemoteStore::open(uri, options)?)),
        _ => Err(Error::with_code(
            ErrorCode::InvalidParameterValue,
            format!(
                "mlrs cannot open the tracking URI '{uri}': its scheme is not sqlite or http(s)."
            ),
        )),
    }
}

impl Backend for Store {
    fn location(&self) -> String {
        self.path().display().to_string()
    }
    fn default_artifact_root(&self) -> &str {
        Store::default_artifact_root(self)
    }
    fn log_inputs(
        &self,
        run_id: &str,
        datasets: Vec<DatasetInput>,
        model_ids: Vec<String>,
    ) -> Result<()> {
        Store::log_inputs(self, run_id, datasets, model_ids)
    }
    fn as_sqlite(&self) -> Option<&Store> {
        Some(self)
    }
    fn registry(&self) -> &dyn Registry {
        self
    }
    fn models(&self) -> &dyn LoggedModels {
        self
    }
    fn try_enqueue(&self, op: WriteOp) -> Result<Submitted> {
        Store::try_enqueue(self, op)
    }
    fn enqueue_blocking(&self, op: WriteOp) -> Result<()> {
        Store::enqueue_blocking(self, op)
    }
    fn flush_ticket(&self) -> u64 {
        Store::flush_ticket(self)
    }
    fn wait_for(&self, ticket: u64, slice: Duration) -> Result<Wait> {
        Store::wait_for(self, ticket, slice)
    }
    fn check(&self) -> Result<()> {
        Store::check(self)
    }
    fn flush(&self) -> Result<()> {
        Store::flush(self)
    }
    fn close(&self) -> Result<()> {
        Store::close(self)
    }
    fn close_within(&self, timeout: Duration) -> Unstored {
        Store::close_within(self, timeout)
    }
    fn is_closed(&self) -> bool {
        Store::is_closed(self)
    }
    fn on_run_end(&self, run_id: &str, hook: RunEndHook) {
        Store::on_run_end(self, run_id, hook);
    }
    fn fresh_run_id(&self, run_id: &str) -> Option<RunId> {
        Store::fresh_run_id(self, run_id)
    }
    fn metric_op(
        &self,
        run_id: &str,
        key: &str,
        value: f64,
        timestamp_ms: Option<i64>,
        step: i64,
    ) -> Result<WriteOp> {
        Store::metric_op(self, run_id, key, value, timestamp_ms, step)
    }
    fn param_op(&self, run_id: &str, key: &str, value: &str) -> Result<Option<WriteOp>> {
        Store::param_op(self, run_id, key, value)
    }
    fn tag_op(&self, run_id: &str, key: &str, value: &str) -> Result<WriteOp> {
        Store::tag_op(self, run_id, key, value)
    }
    fn batch_op(
        &self,
        run_id: &str,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Option<WriteOp>> {
        Store::batch_op(self, run_id, metrics, params, tags)
    }
    fn create_experiment(
        &self,
        name: &str,
        artifact_location: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<i64> {
        Store::create_experiment(self, name, artifact_location, tags)
    }
    fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        Store::get_experiment(self, experiment_id)
    }
    fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        Store::get_experiment_by_name(self, name)
    }
    fn search_experiments(
        &self,
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Experiment>> {
        Store::search_experiments(self, view_type, filter, order_by, max_results, offset)
    }
    fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        Store::delete_experiment(self, experiment_id)
    }
    fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        Store::restore_experiment(self, experiment_id)
    }
    fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        Store::rename_experiment(self, experiment_id, new_name)
    }
    fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        Store::set_experiment_tag(self, experiment_id, key, value)
    }
    fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        Store::delete_experiment_tag(self, experiment_id, key)
    }
    fn create_run(
        &self,
        experiment_id: &str,
        user_id: &str,
        start_time: i64,
        run_name: Option<String>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Run> {
        Store::create_run(self, experiment_id, user_id, start_time, run_name, tags)
    }
    fn search_runs(
        &self,
        experiment_ids: &[String],
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Run>> {
        Store::search_runs(
            self,
            experiment_ids,
            view_type,
            filter,
            order_by,
            max_results,
            offset,
        )
    }
    fn get_run(&self, run_id: &str) -> Result<Run> {
        Store::get_run(self, run_id)
    }
    fn update_run_info(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<String>,
    ) -> Result<()> {
        Store::update_run_info(self, run_id, status, end_time, run_name)
    }
    fn delete_run(&self, run_id: &str) -> Result<()> {
        Store::delete_run(self, run_id)
    }
    fn restore_run(&self, run_id: &str) -> Result<()> {
        Store::restore_run(self, run_id)
    }
    fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        Store::delete_tag(self, run_id, key)
    }
    fn get_metric_series(
        &self,
        run_id: &str,
        key: &str,
        max_points: Option<usize>,
    ) -> Result<MetricSeries> {
        Store::get_metric_series(self, run_id, key, max_points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(count: &Arc<AtomicUsize>) -> RunEndHook {
        let count = Arc::clone(count);
        Box::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
        })
    }

    #[test]
    fn run_end_hooks_run_once_when_the_run_ends_by_any_path() {
        let ends = RunEnds::new();
        let count = Arc::new(AtomicUsize::new(0));
        ends.add("a", counting(&count));
        ends.add("b", counting(&count));
        ends.changed("a", None, false);
        ends.changed("a", Some(RunStatus::Running), false);
        ends.changed("c", Some(RunStatus::Finished), false);
        assert_eq!(count.load(Ordering::SeqCst), 0);
        ends.changed("a", Some(RunStatus::Killed), false);
        ends.changed("a", Some(RunStatus::Finished), false);
        assert_eq!(count.load(Ordering::SeqCst), 1);
        ends.changed("b", None, true);
        assert_eq!(count.load(Ordering::SeqCst), 2);
        ends.add("d", counting(&count));
        ends.close();
        assert_eq!(count.load(Ordering::SeqCst), 3);
        ends.add("e", counting(&count)); // after close: at once
        assert_eq!(count.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_sqlite_uri_opens_the_sqlite_store_behind_the_interface() {
        let dir = tempfile::tempdir().unwrap();
        let uri = format!("sqlite:///{}", dir.path().join("t.db").display());
        let options = OpenOptions {
            default_artifact_root: "/artifacts".to_owned(),
            ..OpenOptions::default()
        };
        let store = open(&uri, &options).unwrap();
        assert!(store.as_sqlite().is_some());
        let run = store.create_run("0", "me", 1, None, Vec::new()).unwrap();
        let run_id = run.info.run_id;
        let op = store.metric_op(&run_id, "m", 0.5, Some(1), 3).unwrap();
        store.enqueue(op).unwrap();
        let series = store.get_metric_series(&run_id, "m", None).unwrap();
        assert_eq!(series.steps, [3]);
        store.close().unwrap();
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_uri() {
        let err = open("postgresql://u@h/db", &OpenOptions::default())
            .err()
            .unwrap();
        assert_eq!(err.code(), ErrorCode::InvalidParameterValue);
        assert!(err.to_string().contains("postgresql://u@h/db"), "{err}");
    }
}
