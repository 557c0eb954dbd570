"""The fluent API: `start_run`, `log_metric`, ... acting on the active run of the calling
thread, as `mlflow`'s module-level functions do."""

from __future__ import annotations

import contextlib
import os
import threading

from mlrs import _active_model, _context, _environment, _log, _runtime, _system_metrics, _tracking
from mlrs import _validation as check
from mlrs._convert import runs_to_pandas as _runs_to_pandas
from mlrs._run_operations import RunOperations
from mlrs._tracking import (
    _local,
    log_batch_to,
    log_metric_to,
    log_param_to,
    run_logged,
    set_tag_to,
)
from mlrs._tracking import active_or_new as _active_or_new
from mlrs._tracking import current_experiment_id as _get_experiment_id
from mlrs._tracking import end_run as end_run
from mlrs._tracking import end_runs as _end_runs
from mlrs._tracking import log_active_metric as _log_active_metric
from mlrs._tracking import log_active_metrics as _log_active_metrics
from mlrs._tracking import set_top as _set_top
from mlrs._tracking import stack as _stack
from mlrs._tracking import target as _target
from mlrs.entities.lifecycle_stage import LifecycleStage
from mlrs.entities.metric import Metric
from mlrs.entities.param import Param
from mlrs.entities.run import Run
from mlrs.entities.run_status import RunStatus
from mlrs.entities.run_tag import RunTag
from mlrs.entities.view_type import ViewType
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Literal, SupportsFloat, overload

    import pandas
    from typing_extensions import Self

    from mlrs._core import Store
    from mlrs.entities.experiment import Experiment
    from mlrs.entities.run import Run as _Run


_RUN_ID_ENV = "MLFLOW_RUN_ID"
_EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"
_EXPERIMENT_NAME_ENV = "MLFLOW_EXPERIMENT_NAME"
_RUN_NOTE_TAG = "mlflow.note.content"
_PARENT_RUN_ID_TAG = "mlflow.parentRunId"
_RUN_NAME_TAG = "mlflow.runName"
_DEFAULT_EXPERIMENT_ID = "0"

_experiment_lock = threading.Lock()


class ActiveRun(Run):
    """The run `start_run` made active: a snapshot of it at start time, and a context manager
    that ends it FINISHED, or FAILED when the block raises."""

    def __init__(self, run: Run, store: Store | None = None) -> None:
        Run.__init__(self, run.info, run.data, run.inputs, run.outputs)
        self._store = store if store is not None else _runtime.get_store()

    def __enter__(self) -> Self:
        return self

    def _exit(self, exc_type: type[BaseException] | None) -> bool:
        # By id, not identity: a run ended and resumed inside the block still counts.
        if any(r.info.run_id == self.info.run_id for r in _stack()):
            end_run(
                RunStatus.to_string(RunStatus.FINISHED if exc_type is None else RunStatus.FAILED)
            )
        # As mlflow: True when the block ended normally, False when it raised, so an exception
        # always propagates.
        return exc_type is None

    if TYPE_CHECKING:
        # Typed as returning nothing: a checker then knows an exception leaves the block and
        # that the block's assignments are bound after it.
        def __exit__(
            self,
            exc_type: type[BaseException] | None,
            exc_val: BaseException | None,
            exc_tb: TracebackType | None,
        ) -> None: ...
    else:

        def __exit__(self, exc_type, exc_val, exc_tb):
            return self._exit(exc_type)


# ---- experiments ---------------------------------------------------------------------------


def set_experiment(
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    trace_location: Any = None,
) -> Experiment:
    """Makes an experiment the one new runs go to, for this process and (through
    ``MLFLOW_EXPERIMENT_ID``) the processes it starts. An experiment named that doesn't exist yet
    is created.

    Args:
        experiment_name: The experiment's name. Give this or ``experiment_id``, not both.
        experiment_id: The id of an existing experiment.
        trace_location: Accepted for MLflow's signature; mlrs has no tracing.

    Returns:
        The ``Experiment`` now active.

    Raises:
        MlflowException: both or neither argument given, an unknown ``experiment_id``
            (RESOURCE_DOES_NOT_EXIST), or a deleted experiment (INVALID_PARAMETER_VALUE).
    """
    if (experiment_name is not None and experiment_id is not None) or (
        experiment_name is None and experiment_id is None
    ):
        raise MlflowException(
            "Must specify exactly one of: `experiment_id` or `experiment_name`.",
            INVALID_PARAMETER_VALUE,
        )
    store = _runtime.get_store()
    with _experiment_lock:
        if experiment_id is None:
            experiment = _tracking.get_experiment_by_name(store, experiment_name)  # type: ignore[arg-type]
            if experiment is None:
                _log.logger().info(
                    "Experiment with name '%s' does not exist. Creating a new experiment.",
                    experiment_name,
                )
                try:
                    experiment_id = _tracking.create_experiment(store, experiment_name)  # type: ignore[arg-type]
                except MlflowException as e:
                    if e.error_code == "RESOURCE_ALREADY_EXISTS":
                        # Another process created it first.
                        return _tracking.get_experiment_by_name(store, experiment_name)  # type: ignore[arg-type,return-value]
                    raise
                experiment = _tracking.get_experiment(store, experiment_id)
        else:
            experiment = _tracking.get_experiment(store, experiment_id)
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"Cannot set a deleted experiment {experiment.name!r} as the active experiment. "
                "You can restore the experiment, or permanently delete the experiment to "
                "create a new one.",
                INVALID_PARAMETER_VALUE,
            )
    _tracking.set_active_experiment_id(experiment.experiment_id)
    os.environ[_EXPERIMENT_ID_ENV] = experiment.experiment_id
    return experiment


def create_experiment(
    name: str,
    artifact_location: str | None = None,
    tags: dict[str, Any] | None = None,
    trace_location: Any = None,
) -> str:
    """Creates an experiment and returns its id.

    Args:
        name: A unique, non-empty name.
        artifact_location: Where its runs keep their artifacts (a local path or ``file://`` URI);
            by default ``./mlruns/<experiment_id>``.
        tags: Tags to set on it.
        trace_location: Accepted for MLflow's signature; mlrs has no tracing.

    Returns:
        The new experiment's id, a string.

    Raises:
        MlflowException: an empty or taken name (RESOURCE_ALREADY_EXISTS), or a bad tag.
    """
    return _tracking.create_experiment(_runtime.get_store(), name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id, active or deleted.

    Raises:
        MlflowException: no such experiment (RESOURCE_DOES_NOT_EXIST) or a malformed id.
    """
    return _tracking.get_experiment(_runtime.get_store(), experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None when there is none."""
    return _tracking.get_experiment_by_name(_runtime.get_store(), name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Experiments matching a filter, every page fetched.

    Args:
        view_type: ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results: At most this many; all of them when None.
        filter_string: E.g. ``"name LIKE 'exp%' AND tags.team = 'vision'"``: the attributes
            ``name``, ``creation_time``, ``last_update_time`` and ``tags.<key>``, joined by AND.
        order_by: E.g. ``["name ASC", "creation_time DESC"]``; newest first by default.

    Returns:
        A list of ``Experiment``.

    Raises:
        MlflowException: a filter or order_by that does not parse (INVALID_PARAMETER_VALUE).
    """
    store = _runtime.get_store()
    found: list[Experiment] = []
    token = None
    while True:
        page_size = 50000 if max_results is None else min(max_results - len(found), 50000)
        page = _tracking.search_experiments(
            store, view_type, page_size, filter_string, order_by, token
        )
        found.extend(page)
        token = page.token
        if not token or (max_results is not None and len(found) >= max_results):
            return found


def delete_experiment(experiment_id: str) -> None:
    """Marks an experiment deleted (its runs stay; ``restore_experiment`` undoes it).

    Raises:
        MlflowException: no such experiment.
    """
    _tracking.delete_experiment(_runtime.get_store(), experiment_id)


def restore_experiment(experiment_id: str) -> None:
    """Brings a deleted experiment back.

    Raises:
        MlflowException: no such experiment, or one that is not deleted.
    """
    _tracking.restore_experiment(_runtime.get_store(), experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    """Sets a tag on the current experiment (``set_experiment``, else the environment, else "0").

    Args:
        key: The tag's name (at most 250 characters).
        value: Stored as ``str(value)`` (at most 5000 characters).

    Raises:
        MlflowException: a bad key or value, or a deleted experiment.
    """
    _tracking.set_experiment_tag(_runtime.get_store(), _get_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    """Sets several tags on the current experiment (see ``set_experiment_tag``)."""
    for key, value in tags.items():
        set_experiment_tag(key, value)


def delete_experiment_tag(key: str) -> None:
    """Removes a tag from the current experiment.

    Raises:
        MlflowException: the experiment has no such tag (RESOURCE_DOES_NOT_EXIST).
    """
    _tracking.delete_experiment_tag(_runtime.get_store(), _get_experiment_id(), key)


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
    """Starts a new run, or resumes one, and makes it the active run of this thread.

    Use it as a context manager: ``with mlrs.start_run() as run: ...`` ends the run FINISHED,
    or FAILED when the block raises.

    Args:
        run_id: Resume this run instead of starting one (``MLFLOW_RUN_ID`` does the same).
        experiment_id: The new run's experiment; by default the current one
            (``set_experiment``, ``MLFLOW_EXPERIMENT_NAME``/``_ID``, else "0").
        run_name: Its name; a random ``adjective-noun-N`` one by default.
        nested: Start it under the active run (as its child) instead of refusing.
        parent_run_id: The parent of a nested run; it must be the active run if there is one.
        tags: Tags to set on it (values stored as strings).
        description: Stored as the ``mlflow.note.content`` tag (the UI's description).
        log_system_metrics: Accepted for MLflow's signature; mlrs logs no system metrics and says
            so in a warning.
        capture_env: mlrs extension: record the environment (packages, Python, OS, git) in the
            background; on by default, off with False or ``MLRS_CAPTURE_ENV=0``.

    Returns:
        The ``ActiveRun`` (a ``Run`` snapshot taken at start).

    Raises:
        Exception: a run is active and ``nested`` is False (MLflow raises a plain Exception).
        MlflowException: an unknown or deleted run to resume or parent, an unknown experiment,
            or a description given twice.
    """
    stack = _stack()
    experiment_id = check.experiment_id_type(experiment_id)
    if stack and not nested:
        raise Exception(
            f"Run with UUID {stack[0].info.run_id} is already active. To start a new run, first "
            "end the current run with mlflow.end_run(). To start a nested run, call start_run "
            "with nested=True"
        )
    store = _runtime.get_store()
    existing_run_id = run_id
    if not existing_run_id and os.environ.get(_RUN_ID_ENV):
        existing_run_id = os.environ.pop(_RUN_ID_ENV)
    if existing_run_id:
        run = _resume_run(store, existing_run_id, run_name, tags, description)
    else:
        run = _new_run(store, stack, experiment_id, run_name, parent_run_id, tags, description)
        if _environment.enabled(capture_env):
            _environment.capture(store, run.info.run_id, run.info.artifact_uri)
    if log_system_metrics is None:
        log_system_metrics = _system_metrics.enabled_by_default()
    if log_system_metrics:
        try:
            _system_metrics.start(store, run.info.run_id, resumed=bool(existing_run_id))
        except Exception as e:
            _log.logger().error("Failed to start system metrics monitoring: %s.", e)
    active = ActiveRun(run, store)
    stack.append(active)
    _set_top(stack)
    # The log calls' hot path reads the async switch as last parsed, so a run started after
    # `MLFLOW_ENABLE_ASYNC_LOGGING` changed follows the new value; a malformed value is
    # refused by the next call that parses it.
    with contextlib.suppress(ValueError):
        _runtime.async_logging_enabled()
    return active


def _resume_run(
    store: Store,
    run_id: str,
    run_name: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
) -> Run:
    run = _tracking.get_run(store, run_id)
    chosen = _tracking.active_experiment_id()
    if chosen is not None and chosen != run.info.experiment_id:
        raise MlflowException(
            f"Cannot start run with ID {run_id} because active experiment ID does not match "
            "environment run ID. Make sure --experiment-name or --experiment-id matches "
            "experiment set with set_experiment(), or just use command-line arguments"
        )
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise MlflowException(
            f"Cannot start run with ID {run_id} because it is in the deleted state."
        )
    _tracking.resume_run(store, run_id, run.info.end_time, run_name)
    tags = dict(tags or {})
    if description:
        _refuse_note_tag(tags)
        tags[_RUN_NOTE_TAG] = description
    if tags:
        _tracking.log_batch(store, run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])
    return _tracking.get_run(store, run_id)


def _refuse_note_tag(tags: dict[str, Any]) -> None:
    if _RUN_NOTE_TAG in tags:
        raise MlflowException(
            f"Description is already set via the tag {_RUN_NOTE_TAG} in tags.Remove the key "
            f"{_RUN_NOTE_TAG} from the tags or omit the description.",
            INVALID_PARAMETER_VALUE,
        )


def _new_run(
    store: Store,
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
        if _tracking.get_run(store, parent_run_id).info.lifecycle_stage == LifecycleStage.DELETED:
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
    return _tracking.create_run(store, target, tags=resolved, run_name=run_name)


def active_run() -> ActiveRun | None:
    """The innermost active run of this thread, or None."""
    stack = _stack()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the run this thread ended last (read again from the store, so it shows
    what was logged), else None.
    """
    run = active_run()
    if run is not None:
        return run
    last = getattr(_local, "last", None)
    return None if last is None else get_run(last)


if TYPE_CHECKING:

    @overload
    def search_runs(
        experiment_ids: list[str] | None = None,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 100000,
        order_by: list[str] | None = None,
        *,
        output_format: Literal["list"],
        search_all_experiments: bool = False,
        experiment_names: list[str] | None = None,
    ) -> list[_Run]: ...

    @overload
    def search_runs(
        experiment_ids: list[str] | None = None,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 100000,
        order_by: list[str] | None = None,
        output_format: Literal["pandas"] = "pandas",
        search_all_experiments: bool = False,
        experiment_names: list[str] | None = None,
    ) -> pandas.DataFrame: ...

    @overload
    def search_runs(
        experiment_ids: list[str] | None = None,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 100000,
        order_by: list[str] | None = None,
        output_format: str = "pandas",
        search_all_experiments: bool = False,
        experiment_names: list[str] | None = None,
    ) -> Any: ...


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = 100000,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> Any:
    """Runs matching a filter, newest first, every page fetched.

    Args:
        experiment_ids: The experiments to search; the current one by default.
        filter_string: E.g. ``"metrics.acc > 0.9 AND params.lr = '0.01'"``: latest metric values,
            params, tags, run attributes (``status``, ``run_name``, ``start_time``, ...) and
            datasets, joined by AND.
        run_view_type: ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
        max_results: At most this many runs (100000 by default).
        order_by: E.g. ``["metrics.acc DESC", "start_time"]``; missing values last.
        output_format: ``"pandas"`` (default): a DataFrame with ``run_id``, ``experiment_id``,
            ``status``, ``artifact_uri``, ``start_time``, ``end_time`` and one column per
            ``metrics.*``, ``params.*``, ``tags.*``; ``"list"``: a list of ``Run``.
        search_all_experiments: Search every active experiment when no ids or names are given.
        experiment_names: Search these experiments by name instead of by id (unknown names are
            skipped with a warning).

    Returns:
        A pandas DataFrame or a list of ``Run``, as ``output_format`` says.

    Raises:
        MlflowException: both ids and names given, or a filter or order_by that does not parse
            (INVALID_PARAMETER_VALUE).
        ValueError: an unknown ``output_format``.
    """
    if experiment_ids and experiment_names:
        raise MlflowException(
            "Only experiment_ids or experiment_names can be used, but not both",
            INVALID_PARAMETER_VALUE,
        )
    store = _runtime.get_store()
    if experiment_ids:
        # As given: the client reads each as MLflow's store does (`int()`: 1.5 is experiment 1).
        ids = list(experiment_ids)
    elif experiment_names:
        ids = []
        for name in experiment_names:
            found = _tracking.get_experiment_by_name(store, name) if name is not None else None
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
    # None: every run, page by page (as MLflow).
    while ids and (max_results is None or len(runs) < max_results):
        page_size = 50000 if max_results is None else min(max_results - len(runs), 50000)
        page = _tracking.search_runs(
            store, ids, filter_string, run_view_type, page_size, order_by, token
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


def get_run(run_id: str) -> Run:
    """The run with this id, with its params, latest metrics, tags, inputs and outputs.

    Raises:
        MlflowException: no such run (RESOURCE_DOES_NOT_EXIST).
    """
    return _tracking.get_run(_runtime.get_store(), run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The parent of a nested run, or None for a top-level run.

    Raises:
        MlflowException: no such run.
    """
    return _tracking.get_parent_run(_runtime.get_store(), run_id)


def delete_run(run_id: str) -> None:
    """Marks a run deleted (``restore_run`` undoes it); its data stays in the database.

    Raises:
        MlflowException: no such run.
    """
    _tracking.delete_run(_runtime.get_store(), run_id)


def restore_run(run_id: str) -> None:
    """Brings a deleted run back.

    Raises:
        MlflowException: no such run.
    """
    _tracking.restore_run(_runtime.get_store(), run_id)


# ---- logging -------------------------------------------------------------------------------


def log_metric(
    key: str,
    value: SupportsFloat,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Logs one value of a metric to the active run (starting one when none is active).

    The call validates at once and queues the write; a background thread commits it, so the
    call returns in about a microsecond. Reads in this process see it; other processes see it
    after ``flush()``, ``end_run()`` or exit (``synchronous=True`` waits for the commit).

    Args:
        key: The metric's name (letters, digits, ``_-./ :``, at most 250 characters).
        value: A number (``float``, ``int``, numpy scalars); NaN and infinities are kept.
        step: The training step (an integer; 0 by default).
        synchronous: True waits until the value is committed; False returns a
            ``RunOperations`` to ``wait()`` on; None follows ``MLFLOW_ENABLE_ASYNC_LOGGING``.
        timestamp: Milliseconds since the epoch; now by default.
        run_id: Log to this run instead of the active one.
        model_id: Also record the value as a metric of this logged model (by default the
            active model, see ``set_active_model``).
        dataset: The dataset the value was computed on (its name and digest are stored with it).

    Returns:
        None, or a ``RunOperations`` when logging asynchronously.

    Raises:
        MlflowException: a bad key, value, step or timestamp, or a run that is not active
            (INVALID_PARAMETER_VALUE), or a commit that failed earlier in this process.
    """
    if (
        run_id is None
        and synchronous is None
        and timestamp is None
        and model_id is None
        and dataset is None
        and not _active_model.possible
        and not _runtime.async_flag
        and _log_active_metric(key, value, step)
    ):
        return None  # the hot path: the engine found the active run and queued the point
    # Not inline: the general path's closures would make every call build cells for them.
    return _log_metric(key, value, step, synchronous, timestamp, run_id, model_id, dataset)


def _log_metric(
    key: str,
    value: SupportsFloat,
    step: int | None,
    synchronous: bool | None,
    timestamp: int | None,
    run_id: str | None,
    model_id: str | None,
    dataset: Any,
) -> RunOperations | None:
    """`log_metric` when the engine's hot path did not take the call."""
    if run_id is None:
        store, run_id = _active_or_new()
    else:
        store = _runtime.get_store()
    if model_id is None and _active_model.possible:
        model_id = _active_model.model_id()  # metrics link to the active model, as in MLflow
    if model_id is not None or dataset is not None:
        return _log_linked_metric(
            store, run_id, key, value, step, synchronous, timestamp, model_id, dataset
        )
    if synchronous is None and not _runtime.async_flag:
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
    """Logs several metrics at one step and one timestamp (see ``log_metric``).

    Args:
        metrics: Metric names to values.
        step: The training step (0 by default).
        synchronous: As for ``log_metric``.
        run_id: Log to this run instead of the active one.
        timestamp: Milliseconds since the epoch; now by default.
        model_id: Also record them as metrics of this logged model (by default the active one).
        dataset: The dataset they were computed on.

    Returns:
        None, or a ``RunOperations`` when logging asynchronously.

    Raises:
        MlflowException: a bad key or value, or a run that is not active.
    """
    if (
        run_id is None
        and synchronous is None
        and timestamp is None
        and model_id is None
        and dataset is None
        and not _active_model.possible
        and not _runtime.async_flag
        and _log_active_metrics(metrics, step)
    ):
        return None  # the hot path, as log_metric's
    return _log_metrics(metrics, step, synchronous, run_id, timestamp, model_id, dataset)


def _log_metrics(
    metrics: dict[str, float],
    step: int | None,
    synchronous: bool | None,
    run_id: str | None,
    timestamp: int | None,
    model_id: str | None,
    dataset: Any,
) -> RunOperations | None:
    """`log_metrics` when the engine's hot path did not take the call."""
    store, run_id = _target(run_id)
    if model_id is None and _active_model.possible:
        model_id = _active_model.model_id()  # they link to the active model, as log_metric's
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
    """Logs a param of the active run (starting one when none is active).

    Args:
        key: The param's name (at most 250 characters).
        value: Stored as ``str(value)`` (at most 6000 characters).
        synchronous: As for ``log_metric``.

    Returns:
        ``value``, or a ``RunOperations`` when logging asynchronously.

    Raises:
        MlflowException: a bad key, a too long value, or a param already logged with another
            value (params never change; INVALID_PARAMETER_VALUE).
    """
    store, run_id = _active_or_new()
    operations = run_logged(
        store, synchronous, lambda in_async: log_param_to(store, run_id, key, value, in_async)
    )
    return value if operations is None else operations


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    """Logs several params (see ``log_param``), to the active run or ``run_id``.

    Returns:
        None, or a ``RunOperations`` when logging asynchronously.

    Raises:
        MlflowException: a bad key or value, or a param already logged with another value.
    """
    store, run_id = _target(run_id)
    batch = [Param(k, str(v)) for k, v in params.items()]
    return run_logged(store, synchronous, lambda _: log_batch_to(store, run_id, (), batch, ()))


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Sets a tag of the active run (starting one when none is active); a tag can change.

    Args:
        key: The tag's name (at most 250 characters).
        value: Stored as ``str(value)``.
        synchronous: As for ``log_metric``.

    Returns:
        None, or a ``RunOperations`` when logging asynchronously.

    Raises:
        MlflowException: a bad key or value, or a run that is not active.
    """
    store, run_id = _active_or_new()
    return run_logged(store, synchronous, lambda _: set_tag_to(store, run_id, key, value))


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    """Sets several tags of the active run (see ``set_tag``).

    Returns:
        None, or a ``RunOperations`` when logging asynchronously.
    """
    store, run_id = _active_or_new()
    batch = [RunTag(k, str(v)) for k, v in tags.items()]
    return run_logged(store, synchronous, lambda _: log_batch_to(store, run_id, (), (), batch))


def delete_tag(key: str) -> None:
    """Removes a tag from the active run.

    Raises:
        MlflowException: the run has no such tag (RESOURCE_DOES_NOT_EXIST).
    """
    store, run_id = _active_or_new()
    _tracking.delete_tag(store, run_id, key)


def flush() -> None:
    """Waits until everything logged so far in this process is committed to the database,
    including the environment records of new runs (an mlrs extension; ``end_run``, exit and
    ``fork`` do it on their own).

    Raises:
        MlflowException: a commit failed (the error the background writer kept).
    """
    _environment.wait()
    _runtime.flush_all()


def flush_async_logging() -> None:
    """Waits until every queued write of this process is committed (as ``flush``, without the
    environment records).
    """
    _runtime.flush_all()


def close() -> None:
    """Ends the calling thread's active runs (FINISHED), commits everything queued and closes
    every tracking store: writer threads and database connections are gone afterwards (an
    mlrs extension; the next call opens what it needs again). Stores also close on their own
    once nothing uses them. Raises MlflowException if a commit failed, after closing them all.
    """
    _end_runs("FINISHED")
    _environment.wait()
    failures = _runtime.close_all(report=False)
    if failures:
        detail = "; ".join(f"{path}: {e}" for path, e in failures)
        raise MlflowException(f"Closing the tracking stores failed: {detail}")


def reset(status: str = "FINISHED") -> None:
    """Returns the process to a clean fluent state, for test harnesses (the pytest plugin does
    this by itself): the calling thread's active runs end with `status`; the experiment chosen
    by `set_experiment`, the URIs given to `set_tracking_uri`/`set_registry_uri` and the
    variables they exported are forgotten; every store is closed (a failed commit is reported
    on stderr with what was not stored). An mlrs extension."""
    try:
        _clear_state(status)
    finally:
        _environment.wait()
        _runtime.close_all()
        _runtime.forget_uris()


def _clear_state(status: str) -> None:
    """Ends the calling thread's runs and forgets the chosen experiment (and its variable)."""
    try:
        _end_runs(status)
    finally:
        exported = _tracking.active_experiment_id()
        if exported is not None and os.environ.get(_EXPERIMENT_ID_ENV) == exported:
            del os.environ[_EXPERIMENT_ID_ENV]
        _tracking.set_active_experiment_id(None)
        _local.last = None


# ---- process hooks -------------------------------------------------------------------------


def _forget_runs_after_fork() -> None:
    # A forked child starts with no active run, as under MLflow.
    _tracking.forget_runs()
    _system_metrics.forget_after_fork()


def _end_run_at_exit() -> None:
    # As MLflow does: the innermost run of the main thread ends FINISHED; outer ones stay as
    # they are (their data is committed all the same).
    end_run()


_runtime._exit_callbacks.append(_end_run_at_exit)
_runtime._sigterm_callbacks.append(lambda: _end_runs("KILLED"))
_runtime._fork_callbacks.append(_forget_runs_after_fork)


# The fluent calls that hand user text or numbers to the engine get MLflow's exception for text
# that is not valid Unicode and integers past 64 bits (log_metric, the hot path, converts its
# own slow cases).
for _name in (
    "set_experiment",
    "create_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "set_experiment_tag",
    "start_run",
    "search_runs",
    "get_run",
    "_log_metrics",  # log_metrics' general path: its hot path passes such values on to it
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
    "delete_tag",
):
    globals()[_name] = check.mlflow_errors(globals()[_name])
del _name
# The floor starts a run through this (the wrapped) `start_run` when a call needs one.
_tracking._run_starter = start_run
