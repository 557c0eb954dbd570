"""The fluent API: `start_run`, `log_metric`, ... acting on the active run of the calling
thread, as `mlflow`'s module-level functions do."""

from __future__ import annotations

import os
import threading

from mlrs import _context, _environment, _log, _runtime
from mlrs import _validation as check
from mlrs._run_operations import RunOperations
from mlrs.entities.lifecycle_stage import LifecycleStage
from mlrs.entities.metric import Metric
from mlrs.entities.param import Param
from mlrs.entities.run import Run
from mlrs.entities.run_status import RunStatus
from mlrs.entities.run_tag import RunTag
from mlrs.entities.view_type import ViewType
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlrs.tracking.client import (
    MlflowClient,
    log_batch_to,
    log_metric_to,
    log_param_to,
    run_logged,
    set_tag_to,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any

    from typing_extensions import Self

    from mlrs._core import Store
    from mlrs.entities.experiment import Experiment


_RUN_ID_ENV = "MLFLOW_RUN_ID"
_EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"
_EXPERIMENT_NAME_ENV = "MLFLOW_EXPERIMENT_NAME"
_RUN_NOTE_TAG = "mlflow.note.content"
_PARENT_RUN_ID_TAG = "mlflow.parentRunId"
_RUN_NAME_TAG = "mlflow.runName"
_DEFAULT_EXPERIMENT_ID = "0"

# Per thread: `stack` (the ActiveRuns, innermost last), `top` ((store, run_id) of the innermost
# run, or None: what the hot path reads) and `last` (the id of the last run this thread ended).
_local = threading.local()
_active_experiment_id: str | None = None
_experiment_lock = threading.Lock()


def _stack() -> list[ActiveRun]:
    try:
        return _local.stack  # type: ignore[no-any-return]
    except AttributeError:
        _local.stack = []
        return _local.stack  # type: ignore[no-any-return]


def _set_top(stack: list[ActiveRun]) -> None:
    _local.top = (stack[-1]._store, stack[-1].info.run_id) if stack else None


class ActiveRun(Run):
    """The run `start_run` made active: a snapshot of it at start time, and a context manager
    that ends it FINISHED, or FAILED when the block raises."""

    def __init__(self, run: Run, store: Store | None = None) -> None:
        Run.__init__(self, run.info, run.data, run.inputs, run.outputs)
        self._store = store if store is not None else _runtime.get_store()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool:
        # By id, not identity: a run ended and resumed inside the block still counts.
        if any(r.info.run_id == self.info.run_id for r in _stack()):
            end_run(
                RunStatus.to_string(RunStatus.FINISHED if exc_type is None else RunStatus.FAILED)
            )
        return exc_type is None


# ---- experiments ---------------------------------------------------------------------------


def _experiment_id_from_env() -> str | None:
    name = os.environ.get(_EXPERIMENT_NAME_ENV)
    env_id = os.environ.get(_EXPERIMENT_ID_ENV)
    client = MlflowClient()
    if name is not None:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            return client.create_experiment(name)
        if env_id and env_id != experiment.experiment_id:
            raise MlflowException(
                f"The provided {_EXPERIMENT_ID_ENV} environment variable value `{env_id}` does "
                f"not match the experiment id `{experiment.experiment_id}` for experiment name "
                f"`{name}`",
                INVALID_PARAMETER_VALUE,
            )
        return experiment.experiment_id
    if env_id is not None:
        try:
            return client.get_experiment(env_id).experiment_id
        except MlflowException as e:
            raise MlflowException(
                f"The provided {_EXPERIMENT_ID_ENV} environment variable value `{env_id}` does "
                "not exist in the tracking server. Provide a valid experiment_id.",
                INVALID_PARAMETER_VALUE,
            ) from e
    return None


def _get_experiment_id() -> str:
    """The experiment of new runs: `set_experiment`, the environment, else "0"."""
    if _active_experiment_id:
        return _active_experiment_id
    return _experiment_id_from_env() or _DEFAULT_EXPERIMENT_ID


def set_experiment(
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    trace_location: Any = None,
) -> Experiment:
    """Makes an experiment active (creating it by name if needed) for this process and its
    subprocesses, and returns it."""
    if (experiment_name is not None and experiment_id is not None) or (
        experiment_name is None and experiment_id is None
    ):
        raise MlflowException(
            "Must specify exactly one of: `experiment_id` or `experiment_name`.",
            INVALID_PARAMETER_VALUE,
        )
    client = MlflowClient()
    with _experiment_lock:
        if experiment_id is None:
            experiment = client.get_experiment_by_name(experiment_name)  # type: ignore[arg-type]
            if experiment is None:
                _log.logger().info(
                    "Experiment with name '%s' does not exist. Creating a new experiment.",
                    experiment_name,
                )
                try:
                    experiment_id = client.create_experiment(experiment_name)  # type: ignore[arg-type]
                except MlflowException as e:
                    if e.error_code == "RESOURCE_ALREADY_EXISTS":
                        # Another process created it first.
                        return client.get_experiment_by_name(experiment_name)  # type: ignore[arg-type,return-value]
                    raise
                experiment = client.get_experiment(experiment_id)
        else:
            experiment = client.get_experiment(experiment_id)
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"Cannot set a deleted experiment {experiment.name!r} as the active experiment. "
                "You can restore the experiment, or permanently delete the experiment to "
                "create a new one.",
                INVALID_PARAMETER_VALUE,
            )
    global _active_experiment_id
    _active_experiment_id = experiment.experiment_id
    os.environ[_EXPERIMENT_ID_ENV] = experiment.experiment_id
    return experiment


def create_experiment(
    name: str,
    artifact_location: str | None = None,
    tags: dict[str, Any] | None = None,
    trace_location: Any = None,
) -> str:
    return MlflowClient().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return MlflowClient().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return MlflowClient().get_experiment_by_name(name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """All matching experiments (or the first `max_results`), fetched page by page."""
    client = MlflowClient()
    found: list[Experiment] = []
    token = None
    while True:
        page_size = 50000 if max_results is None else min(max_results - len(found), 50000)
        page = client.search_experiments(view_type, page_size, filter_string, order_by, token)
        found.extend(page)
        token = page.token
        if not token or (max_results is not None and len(found) >= max_results):
            return found


def delete_experiment(experiment_id: str) -> None:
    MlflowClient().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    MlflowClient().restore_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    MlflowClient().set_experiment_tag(_get_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    for key, value in tags.items():
        set_experiment_tag(key, value)


def delete_experiment_tag(key: str) -> None:
    MlflowClient().delete_experiment_tag(_get_experiment_id(), key)


# ---- runs ----------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    *,
    capture_env: bool | None = None,
) -> ActiveRun:
    """Starts a new run, or resumes `run_id` (or `MLFLOW_RUN_ID`), and makes it active.

    mlrs extension: a new run records its environment in the background (packages, OS,
    Python, git state; see `mlrs._environment`) unless `capture_env=False` or
    `MLRS_CAPTURE_ENV=0`."""
    stack = _stack()
    experiment_id = check.experiment_id_type(experiment_id)
    if stack and not nested:
        raise Exception(
            f"Run with UUID {stack[0].info.run_id} is already active. To start a new run, first "
            "end the current run with mlflow.end_run(). To start a nested run, call start_run "
            "with nested=True"
        )
    client = MlflowClient()
    existing_run_id = run_id
    if not existing_run_id and os.environ.get(_RUN_ID_ENV):
        existing_run_id = os.environ.pop(_RUN_ID_ENV)
    if existing_run_id:
        run = _resume_run(client, existing_run_id, run_name, tags, description)
    else:
        run = _new_run(client, stack, experiment_id, run_name, parent_run_id, tags, description)
        if _environment.enabled(capture_env):
            _environment.capture(client._store, run.info.run_id, run.info.artifact_uri)
    if log_system_metrics:
        _log.logger().warning(
            "mlrs does not log system metrics yet; `log_system_metrics` is ignored."
        )
    active = ActiveRun(run, client._store)
    stack.append(active)
    _set_top(stack)
    return active


def _resume_run(
    client: MlflowClient,
    run_id: str,
    run_name: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
) -> Run:
    run = client.get_run(run_id)
    if _active_experiment_id is not None and _active_experiment_id != run.info.experiment_id:
        raise MlflowException(
            f"Cannot start run with ID {run_id} because active experiment ID does not match "
            "environment run ID. Make sure --experiment-name or --experiment-id matches "
            "experiment set with set_experiment(), or just use command-line arguments"
        )
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise MlflowException(
            f"Cannot start run with ID {run_id} because it is in the deleted state."
        )
    client._store.update_run_info(run_id, "RUNNING", run.info.end_time, run_name)
    tags = dict(tags or {})
    if description:
        _refuse_note_tag(tags)
        tags[_RUN_NOTE_TAG] = description
    if tags:
        client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])
    return client.get_run(run_id)


def _refuse_note_tag(tags: dict[str, Any]) -> None:
    if _RUN_NOTE_TAG in tags:
        raise MlflowException(
            f"Description is already set via the tag {_RUN_NOTE_TAG} in tags.Remove the key "
            f"{_RUN_NOTE_TAG} from the tags or omit the description.",
            INVALID_PARAMETER_VALUE,
        )


def _new_run(
    client: MlflowClient,
    stack: list[ActiveRun],
    experiment_id: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
) -> Run:
    if parent_run_id:
        if stack and parent_run_id != stack[-1].info.run_id:
            current = stack[-1].info.run_id
            raise MlflowException(
                f"Current run with UUID {current} does not match the specified parent_run_id "
                f"{parent_run_id}. To start a new nested run under the parent run with UUID "
                f"{current}, first end the current run with mlflow.end_run()."
            )
        if client.get_run(parent_run_id).info.lifecycle_stage == LifecycleStage.DELETED:
            raise MlflowException(
                f"Cannot start run under parent run with ID {parent_run_id} because it is in "
                "the deleted state."
            )
    else:
        parent_run_id = stack[-1].info.run_id if stack else None
    target = experiment_id if experiment_id is not None else _get_experiment_id()
    user_tags = dict(tags or {})
    if description:
        _refuse_note_tag(user_tags)
        user_tags[_RUN_NOTE_TAG] = description
    if parent_run_id is not None:
        user_tags[_PARENT_RUN_ID_TAG] = parent_run_id
    if run_name:
        user_tags[_RUN_NAME_TAG] = run_name
    resolved = _context.resolve_tags(user_tags)
    return client.create_run(target, tags=resolved, run_name=run_name)


def end_run(status: str = "FINISHED") -> None:
    """Ends the innermost active run of this thread (a no-op when there is none)."""
    stack = _stack()
    if not stack:
        return
    os.environ.pop(_RUN_ID_ENV, None)
    run = stack.pop()
    _set_top(stack)
    run_id = run.info.run_id
    _local.last = run_id
    status = RunStatus.to_string(RunStatus.from_string(status or "FINISHED"))
    run._store.update_run_info(run_id, status, _runtime.now_ms(), None)


def active_run() -> ActiveRun | None:
    stack = _stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the last run this thread ended (read fresh), else None."""
    run = active_run()
    if run is not None:
        return run
    last = getattr(_local, "last", None)
    return None if last is None else get_run(last)


def _active_or_new() -> tuple[Store, str]:
    """The innermost active run, starting one when there is none (as MLflow's log calls do)."""
    top = getattr(_local, "top", None)
    if top is None:
        start_run()
        top = _local.top
    return top  # type: ignore[no-any-return]


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> Any:
    """Runs of the given experiments (by default the current one), newest first, as a pandas
    DataFrame or (`output_format="list"`) a list of `Run`s."""
    if experiment_ids and experiment_names:
        raise MlflowException(
            "Only experiment_ids or experiment_names can be used, but not both",
            INVALID_PARAMETER_VALUE,
        )
    client = MlflowClient()
    if experiment_ids:
        ids = [str(e) for e in experiment_ids]
    elif experiment_names:
        ids = []
        for name in experiment_names:
            found = client.get_experiment_by_name(name) if name is not None else None
            if found is None:
                _log.logger().warning("Cannot retrieve experiment by name %s", name)
            else:
                ids.append(found.experiment_id)
    elif search_all_experiments:
        ids = [e.experiment_id for e in search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    else:
        ids = [_get_experiment_id()]
    runs: list[Run] = []
    token = None
    while ids and len(runs) < max_results:
        page = client.search_runs(
            ids, filter_string, run_view_type, min(max_results - len(runs), 50000), order_by, token
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    if output_format == "list":
        return runs
    if output_format == "pandas":
        return _runs_to_pandas(runs)
    raise ValueError(
        f"Unsupported output format: {output_format}. Supported string values are 'pandas' or "
        "'list'"
    )


def _runs_to_pandas(runs: list[Run]) -> Any:
    """MLflow's DataFrame: six info columns, then `metrics.*`, `params.*`, `tags.*`."""
    import pandas as pd

    def times(values: list[int | None]) -> Any:
        # MLflow converts element by element; one vectorised call gives the same column
        # (datetime64[us, UTC], NaT for None) 100x faster, except when every value is None:
        # MLflow's column is then timezone-naive, so that case keeps the element-wise form.
        if all(v is None for v in values):
            return [pd.to_datetime(v, unit="ms", utc=True) for v in values]
        return pd.to_datetime(values, unit="ms", utc=True)

    columns: dict[str, Any] = {
        "run_id": [r.info.run_id for r in runs],
        "experiment_id": [r.info.experiment_id for r in runs],
        "status": [r.info.status for r in runs],
        "artifact_uri": [r.info.artifact_uri for r in runs],
        "start_time": times([r.info.start_time for r in runs]),
        "end_time": times([r.info.end_time for r in runs]),
    }
    groups: list[tuple[str, object, list[dict[str, Any]]]] = [
        ("metrics", float("nan"), [r.data.metrics for r in runs]),
        ("params", None, [r.data.params for r in runs]),
        ("tags", None, [r.data.tags for r in runs]),
    ]
    for prefix, missing, values in groups:
        keys: dict[str, None] = {}
        for each in values:
            keys.update(dict.fromkeys(each))
        for key in keys:
            columns[f"{prefix}.{key}"] = [each.get(key, missing) for each in values]
    frame = pd.DataFrame(columns)
    if not runs:
        frame = pd.DataFrame({name: pd.Series(dtype="float64") for name in list(columns)[:6]})
    return frame


def get_run(run_id: str) -> Run:
    return MlflowClient().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    return MlflowClient().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    MlflowClient().delete_run(run_id)


def restore_run(run_id: str) -> None:
    MlflowClient().restore_run(run_id)


# ---- logging -------------------------------------------------------------------------------


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Logs one metric point to the active run (or `run_id`). Returns once it is queued; the
    background writer commits it. `synchronous=True` waits for the commit."""
    if run_id is None:
        try:
            store, run_id = _local.top
        except (AttributeError, TypeError):
            store, run_id = _active_or_new()
    else:
        store = _runtime.get_store()
    if model_id is not None or dataset is not None:
        return _log_linked_metric(
            store, run_id, key, value, step, synchronous, timestamp, model_id, dataset
        )
    if synchronous is None and not _runtime.async_flag:
        if value.__class__ is float and timestamp is None:
            try:
                store.log_metric(run_id, key, value, None, 0 if step is None else step)
            except (TypeError, OverflowError):
                # A key or step of an unusual type: the slow path converts or raises.
                log_metric_to(store, run_id, key, value, step, timestamp)
        else:
            log_metric_to(store, run_id, key, value, step, timestamp)
        return None
    return run_logged(
        store, synchronous, lambda _: log_metric_to(store, run_id, key, value, step, timestamp)
    )


def _dataset_fields(dataset: Any) -> tuple[Any, Any]:
    """`(name, digest)` of a metric's dataset, or `(None, None)`."""
    if dataset is None:
        return None, None
    return dataset.name, dataset.digest


def _log_linked_metric(
    store: Any,
    run_id: str,
    key: Any,
    value: Any,
    step: Any,
    synchronous: bool | None,
    timestamp: Any,
    model_id: str | None,
    dataset: Any,
) -> RunOperations | None:
    """A metric point that is also a model's metric (`model_id`) or names its `dataset`."""
    name, digest = _dataset_fields(dataset)
    linked = {"model_id": model_id, "dataset_name": name, "dataset_digest": digest}
    return run_logged(
        store,
        synchronous,
        lambda _: log_metric_to(store, run_id, key, value, step, timestamp, **linked),
    )


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Logs several metrics at one step and one timestamp."""
    store, run_id = _target(run_id)
    if (
        synchronous is None
        and model_id is None
        and dataset is None
        and metrics.__class__ is dict
        and (step is None or step.__class__ is int)
        and (timestamp is None or timestamp.__class__ is int)
        and not _runtime.async_logging_enabled()
    ):
        # Plain floats and ints under str keys: validated and queued by the engine in one call.
        try:
            if store.log_metrics(run_id, metrics, timestamp, step or 0):
                return None
        except OverflowError:
            pass  # a step or timestamp beyond int64: the general path refuses it as MLflow does
    timestamp = timestamp if timestamp is not None else _runtime.now_ms()
    named = _dataset_fields(dataset)
    batch = [Metric(k, v, timestamp, step or 0, model_id, *named) for k, v in metrics.items()]
    return run_logged(store, synchronous, lambda _: log_batch_to(store, run_id, batch, (), ()))


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Logs a param (as `str(value)`) and returns `value`."""
    store, run_id = _active_or_new()
    operations = run_logged(
        store, synchronous, lambda in_async: log_param_to(store, run_id, key, value, in_async)
    )
    return value if operations is None else operations


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    store, run_id = _target(run_id)
    batch = [Param(k, str(v)) for k, v in params.items()]
    return run_logged(store, synchronous, lambda _: log_batch_to(store, run_id, (), batch, ()))


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    store, run_id = _active_or_new()
    return run_logged(store, synchronous, lambda _: set_tag_to(store, run_id, key, value))


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    store, run_id = _active_or_new()
    batch = [RunTag(k, str(v)) for k, v in tags.items()]
    return run_logged(store, synchronous, lambda _: log_batch_to(store, run_id, (), (), batch))


def delete_tag(key: str) -> None:
    store, run_id = _active_or_new()
    store.delete_tag(run_id, str(key))


def _target(run_id: str | None) -> tuple[Store, str]:
    if run_id is None:
        return _active_or_new()
    return _runtime.get_store(), run_id


def flush() -> None:
    """Blocks until everything logged so far is committed to the database (an mlrs
    extension; `end_run`, interpreter exit and `fork` flush on their own), including the
    environment records of new runs."""
    _environment.wait()
    _runtime.flush_all()


def flush_async_logging() -> None:
    _runtime.flush_all()


# ---- process hooks -------------------------------------------------------------------------


def _end_runs(status: str) -> None:
    while _stack():
        end_run(status)


def _forget_runs_after_fork() -> None:
    # A forked child starts with no active run, as under MLflow.
    global _local
    _local = threading.local()


def _end_run_at_exit() -> None:
    # As MLflow does: the innermost run of the main thread ends FINISHED; outer ones stay as
    # they are (their data is committed all the same).
    end_run()


_runtime._exit_callbacks.append(_end_run_at_exit)
_runtime._sigterm_callbacks.append(lambda: _end_runs("KILLED"))
_runtime._fork_callbacks.append(_forget_runs_after_fork)
