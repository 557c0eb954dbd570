"""The tracking floor: the one module that talks to the engine (`mlrs._core`) for tracking.

It holds what every layer above needs, as functions of a `Store` (no client objects):
MLflow's checks and conversions on the way in (`log_metric_to`, `log_batch_to`, ...), rows to
entities on the way out (`get_run`, `search_runs`, ...), page tokens, and the run context of
the calling thread (the active run stack, `active_or_new`, `end_run`, the current
experiment). `_fluent` and `MlflowClient` are thin facades over it; the domain modules
(artifacts, datasets, logged models, the registry, models, autologging) import it and never
a facade. It imports only modules below it (`_runtime`, `_validation`, `_convert`, entities),
which `tests/test_import_layers.py` keeps so.

Starting a run is the one thing it leaves to the fluent API (which captures the environment
and starts the system-metrics monitor, both above this module): `_fluent` registers its
`start_run` here on import, and `import mlrs` imports `_fluent`, so the starter is set before
any call can need it.
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
import threading
from collections import namedtuple
from itertools import zip_longest

from mlrs import _active_model, _convert, _core, _log, _runtime, _system_metrics
from mlrs import _validation as check
from mlrs._run_operations import RunOperations
from mlrs.entities.run_status import RunStatus
from mlrs.entities.view_type import ViewType
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import BAD_REQUEST, INVALID_PARAMETER_VALUE
from mlrs.store.entities.paged_list import PagedList

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, SupportsFloat

    from mlrs._core import Store
    from mlrs.entities.experiment import Experiment
    from mlrs.entities.logged_model_output import LoggedModelOutput
    from mlrs.entities.metric import Metric
    from mlrs.entities.param import Param
    from mlrs.entities.run import Run
    from mlrs.entities.run_tag import RunTag


MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000
PARENT_RUN_ID_TAG = "mlflow.parentRunId"
USER_TAG = "mlflow.user"


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def create_page_token(offset: int) -> bytes:
    import base64
    import json

    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8"))


def parse_page_token(token: str | bytes | None) -> int:
    """The offset in an MLflow page token (base64 of `{"offset": N}`)."""
    if not token:
        return 0
    import base64
    import json

    try:
        decoded = base64.b64decode(token)
    except Exception as e:
        raise MlflowException(
            "Invalid page token, could not base64-decode", INVALID_PARAMETER_VALUE
        ) from e
    try:
        parsed = json.loads(decoded)
    except Exception as e:
        raise MlflowException(
            f"Invalid page token, decoded value={decoded!r}", INVALID_PARAMETER_VALUE
        ) from e
    offset = parsed.get("offset") if isinstance(parsed, dict) else None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise MlflowException(
            f"Invalid page token, parsed value={parsed!r}", INVALID_PARAMETER_VALUE
        )
    return offset


def _search_page(max_results: Any) -> tuple[int, int | None]:
    """(the store's page size, the page size to cut at) for `search_runs`, as MLflow's SQL
    store reads `max_results`: None fetches every row (no next page); a float that is not
    whole (1.5) passes validation and SQLite truncates its LIMIT (`max_results + 1`), so
    those rows are the page."""
    if max_results is None:
        return 2**62, None
    if isinstance(max_results, float) and not isinstance(max_results, bool):
        if not max_results >= 1:  # NaN included
            validate_max_results(max_results)
        if max_results > SEARCH_MAX_RESULTS_THRESHOLD:
            raise MlflowException(
                f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
                f"at most {SEARCH_MAX_RESULTS_THRESHOLD}",
                INVALID_PARAMETER_VALUE,
            )
        if max_results.is_integer():
            size = int(max_results)
            return size, size
        # The store reads one row past the page: floor(max_results + 1) rows in all.
        return math.floor(max_results), None
    with contextlib.suppress(TypeError):
        max_results = operator.index(max_results)  # numpy integers, as MLflow takes them
    size = validate_max_results(max_results)
    return size, size


def _search_experiment_id(experiment_id: Any) -> str:
    """An experiment id as MLflow's SQL store reads it: whatever `int()` takes (1.5, True)."""
    try:
        return str(int(experiment_id))
    except (ValueError, TypeError, OverflowError):
        raise MlflowException(
            f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer.",
            INVALID_PARAMETER_VALUE,
        ) from None


def validate_max_results(max_results: Any) -> int:
    if not isinstance(max_results, int) or max_results <= 0:
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be a "
            "positive integer",
            INVALID_PARAMETER_VALUE,
        )
    if max_results > SEARCH_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {SEARCH_MAX_RESULTS_THRESHOLD}",
            INVALID_PARAMETER_VALUE,
        )
    return max_results


def _resolve_artifact_location(location: str | None) -> str | None:
    """Local paths become absolute, as MLflow's `resolve_uri_if_local` makes them."""
    if not location:
        return location
    if location.startswith("runs:"):
        raise MlflowException(
            f"Artifact location cannot be a runs:/ URI. Given: '{location}'",
            INVALID_PARAMETER_VALUE,
        )
    if "://" in location or location.startswith("file:"):
        return location
    return os.path.abspath(location)


def run_logged(
    store: Store, synchronous: bool | None, action: Callable[[bool], None]
) -> RunOperations | None:
    """Runs a logging call the way `synchronous` (or, when None, `MLFLOW_ENABLE_ASYNC_LOGGING`)
    asks. In async mode a refusal is not raised but handed to the `RunOperations`, whose
    `wait()` raises it, as MLflow's async logging does. `action` gets True in async mode."""
    if synchronous is None:
        if not _runtime.async_logging_enabled():
            action(False)
            return None
        synchronous = False
    if synchronous:
        action(False)
        store.flush()
        return None
    try:
        action(True)
    except MlflowException as e:
        _log.logger().error("Failed to log run data: %s", e)
        return RunOperations([store], [e])
    return RunOperations([store])


def create_experiment(
    store: Store,
    name: str,
    artifact_location: str | None = None,
    tags: dict[str, Any] | None = None,
) -> str:
    location = _resolve_artifact_location(artifact_location)
    name = check.experiment_name(name)
    tag_pairs = [(check.tag_key(k), _text_value(v)) for k, v in (tags or {}).items()]
    return store.create_experiment(name, location, tag_pairs)


def get_experiment(store: Store, experiment_id: str) -> Experiment:
    return _convert.experiment(store.get_experiment(_experiment_id_text(experiment_id)))


def get_experiment_by_name(store: Store, name: str) -> Experiment | None:
    if not isinstance(name, str):
        return None  # no experiment has such a name
    row = store.get_experiment_by_name(name)
    return None if row is None else _convert.experiment(row)


def search_experiments(
    store: Store,
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    page_token: str | bytes | None = None,
) -> PagedList[Experiment]:
    max_results = validate_max_results(
        SEARCH_MAX_RESULTS_DEFAULT if max_results is None else max_results
    )
    offset = parse_page_token(page_token)
    view = check.view_type(view_type)
    filter_string = filter_string or ""
    order = check.order_by(order_by)
    if view is None or not check.encodable(filter_string):
        # Checked as MLflow checks them even when nothing can match: order_by first, then
        # the filter, whose text is bound last.
        store.search_experiments(ViewType.ACTIVE_ONLY, "", order, 1, 0)
        check.utf8(filter_string)
        store.search_experiments(ViewType.ACTIVE_ONLY, filter_string, order, 1, 0)
        return PagedList([], None)
    rows = store.search_experiments(view, filter_string, order, max_results, offset)
    token = create_page_token(offset + max_results) if len(rows) > max_results else None
    return PagedList([_convert.experiment(r) for r in rows[:max_results]], token)


def delete_experiment(store: Store, experiment_id: str) -> None:
    store.delete_experiment(_experiment_id_text(experiment_id))


def restore_experiment(store: Store, experiment_id: str) -> None:
    store.restore_experiment(_experiment_id_text(experiment_id))


def rename_experiment(store: Store, experiment_id: str, new_name: str) -> None:
    store.rename_experiment(_experiment_id_text(experiment_id), check.experiment_name(new_name))


def set_experiment_tag(store: Store, experiment_id: str, key: str, value: Any) -> None:
    store.set_experiment_tag(_experiment_id_text(experiment_id), check.tag_key(key), str(value))


def delete_experiment_tag(store: Store, experiment_id: str, key: str) -> None:
    store.delete_experiment_tag(_experiment_id_text(experiment_id), check.tag_key(key))


def create_run(
    store: Store,
    experiment_id: str,
    start_time: int | None = None,
    tags: dict[str, Any] | None = None,
    run_name: str | None = None,
) -> Run:
    tags = tags or {}
    user_id = tags.get(USER_TAG, "unknown")
    tag_pairs = [(check.tag_key(k), _run_tag_text(v)) for k, v in tags.items()]
    row = store.create_run(
        _experiment_id_text(experiment_id),
        str(user_id),
        start_time or _runtime.now_ms(),
        run_name,
        tag_pairs,
    )
    return _convert.run(row)


def get_run(store: Store, run_id: str) -> Run:
    return _convert.run(store.get_run(run_id))


def log_outputs(store: Store, run_id: str, models: list[LoggedModelOutput]) -> None:
    store.log_outputs(run_id, [(m.model_id, m.step) for m in models])


def get_parent_run(store: Store, run_id: str) -> Run | None:
    parent_id = get_run(store, run_id).data.tags.get(PARENT_RUN_ID_TAG)
    return None if parent_id is None else get_run(store, parent_id)


def resume_run(store: Store, run_id: str, end_time: int | None, run_name: str | None) -> None:
    """Sets a run RUNNING again, keeping `end_time` and renaming it when `run_name` is given
    (`start_run(run_id=...)`)."""
    store.update_run_info(run_id, "RUNNING", end_time, run_name)


def set_terminated(
    store: Store, run_id: str, status: str | None = None, end_time: int | None = None
) -> None:
    status = RunStatus.to_string(RunStatus.from_string(status or "FINISHED"))
    store.update_run_info(run_id, status, end_time or _runtime.now_ms(), None)


def update_run(
    store: Store, run_id: str, status: str | None = None, name: str | None = None
) -> None:
    if status is None and name is None:
        return
    if status is not None:
        status = RunStatus.to_string(RunStatus.from_string(status))
    store.update_run_info(run_id, status, None, name)


def delete_run(store: Store, run_id: str) -> None:
    store.delete_run(run_id)


def restore_run(store: Store, run_id: str) -> None:
    store.restore_run(run_id)


def log_metric(
    store: Store,
    run_id: str,
    key: str,
    value: SupportsFloat,
    timestamp: int | None = None,
    step: int | None = None,
    synchronous: bool | None = None,
    dataset_name: str | None = None,
    dataset_digest: str | None = None,
    model_id: str | None = None,
) -> RunOperations | None:
    if model_id is None and _active_model.possible:
        model_id = _active_model.model_id()  # the active model's metric too, as in MLflow
    linked = {
        "model_id": model_id,
        "dataset_name": dataset_name,
        "dataset_digest": dataset_digest,
    }
    return run_logged(
        store,
        synchronous,
        lambda _: log_metric_to(store, run_id, key, value, step, timestamp, **linked),
    )


def log_param(
    store: Store, run_id: str, key: str, value: Any, synchronous: bool | None = None
) -> Any:
    operations = run_logged(
        store, synchronous, lambda in_async: log_param_to(store, run_id, key, value, in_async)
    )
    return value if operations is None else operations


def set_tag(
    store: Store, run_id: str, key: str, value: Any, synchronous: bool | None = None
) -> RunOperations | None:
    return run_logged(store, synchronous, lambda _: set_tag_to(store, run_id, key, value))


def delete_tag(store: Store, run_id: str, key: str) -> None:
    # MLflow looks the key up as given, so any value simply finds no tag.
    store.delete_tag(run_id, str(key))


def log_batch(
    store: Store,
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    synchronous: bool | None = None,
) -> RunOperations | None:
    if not metrics and not params and not tags:
        return None
    if metrics and _active_model.possible:
        metrics = _link_active_model(metrics)
    if (
        not params
        and not tags
        and synchronous is None
        and metrics.__class__ is list
        and run_id.__class__ is str
        and not _runtime.async_logging_enabled()
        and store.log_metric_entities(run_id, metrics)
    ):
        return None  # plain metrics, validated and queued by the engine in one call
    return run_logged(
        store, synchronous, lambda _: log_batch_to(store, run_id, metrics, params, tags)
    )


def search_runs(
    store: Store,
    experiment_ids: list[str] | str,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
    order_by: list[str] | None = None,
    page_token: str | bytes | None = None,
) -> PagedList[Run]:
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [experiment_ids]
    fetch, page_size = _search_page(max_results)
    offset = parse_page_token(page_token)
    view = check.view_type(run_view_type)
    filter_string = filter_string or ""
    order = check.order_by(order_by)
    ids = [_search_experiment_id(e) for e in experiment_ids]
    if view is None or not check.encodable(filter_string):
        # Checked as MLflow checks them even when nothing can match: order_by first, then
        # the filter, whose text is bound last.
        store.search_runs(ids, ViewType.ACTIVE_ONLY, "", order, 1, 0)
        check.utf8(filter_string)
        store.search_runs(ids, ViewType.ACTIVE_ONLY, filter_string, order, 1, 0)
        return PagedList([], None)
    rows = store.search_runs(ids, view, filter_string, order, fetch, offset)
    token = None
    if page_size is not None and len(rows) > page_size:
        token = create_page_token(offset + page_size)
        rows = rows[:page_size]
    return PagedList([_convert.run(r) for r in rows], token)


def get_metric_history(store: Store, run_id: str, key: str) -> PagedList[Metric]:
    raw = store.get_metric_columns(run_id, key)
    return PagedList(_convert.metric_history(key, raw), None)


def get_metric_history_arrays(
    store: Store, run_id: str, key: str, max_points: int | None = None
) -> MetricArrays:
    import numpy as np

    if max_points is not None and (
        not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 2
    ):
        raise MlflowException(
            f"Invalid value {max_points!r} for parameter 'max_points': an integer of at "
            "least 2 (a bucket keeps its lowest and highest point), or None for every point.",
            INVALID_PARAMETER_VALUE,
        )
    raw = store.get_metric_columns(run_id, key, max_points)
    return MetricArrays(
        np.frombuffer(raw[0], dtype=np.int64),
        np.frombuffer(raw[1], dtype=np.int64),
        np.frombuffer(raw[2], dtype=np.float64),
    )


def _link_active_model(metrics: Sequence[Metric]) -> Sequence[Metric]:
    """The metrics, those without a model id given the active model's (if any)."""
    from mlrs.entities.metric import Metric

    active = _active_model.model_id()
    if active is None:
        return metrics
    return [
        m
        if getattr(m, "model_id", None) is not None
        else Metric(
            m.key,
            m.value,
            m.timestamp,
            m.step,
            model_id=active,
            dataset_name=getattr(m, "dataset_name", None),
            dataset_digest=getattr(m, "dataset_digest", None),
        )
        for m in metrics
    ]


def _run_tag_text(value: Any) -> str | None:
    """MLflow binds `create_run` tag values as given: None is stored as NULL, containers fail
    as BAD_REQUEST, anything else is stored as its text."""
    if value is None:
        return None
    if isinstance(value, (list, dict, set, tuple)):
        raise MlflowException(
            f"Error binding parameter: type '{type(value).__name__}' is not supported",
            BAD_REQUEST,
        )
    return check.tag_value(str(value))


def _text_value(value: Any) -> str:
    """Experiment tag values are checked for length as given, so MLflow refuses non-strings."""
    if not isinstance(value, str):
        raise TypeError(f"object of type '{type(value).__name__}' has no len()")
    return value


# `(steps, timestamps, values)`: read-only numpy arrays of one metric's history.
MetricArrays = namedtuple("MetricArrays", ["steps", "timestamps", "values"])  # noqa: PYI024


def _experiment_id_text(experiment_id: Any) -> str:
    if experiment_id is None:
        return ""
    return str(experiment_id)


def log_metric_to(
    store: Store,
    run_id: str,
    key: Any,
    value: Any,
    step: Any,
    timestamp: Any,
    model_id: str | None = None,
    dataset_name: str | None = None,
    dataset_digest: str | None = None,
) -> None:
    """One metric point with MLflow's conversions and checks; the fluent hot path inlines the
    common case of this. With a `model_id` the point is also the model's metric (with the
    dataset's name and digest), as in MLflow."""
    run_id = check.run_id(run_id)
    if model_id is not None and timestamp is None:
        timestamp = _runtime.now_ms()
    key = check.metric_key(key)
    if value.__class__ is not float:
        value = check.metric_value(value, timestamp if timestamp is not None else _runtime.now_ms())
    step = 0 if step is None else step
    if step.__class__ is not int or timestamp is not None:
        try:
            step = check.metric_step(step, key, value)
            if timestamp is not None:
                timestamp = check.metric_timestamp(timestamp, key, value)
        except MlflowException as e:
            # MLflow meets these when it binds the row, after checking the name.
            if e.error_code in ("BAD_REQUEST", "INTERNAL_ERROR"):
                _core.check_metric_key(key)
            raise
    try:
        store.log_metric(run_id, key, value, timestamp, step)
    except OverflowError:
        check.metric_step(step, key, value)
        raise
    if model_id is not None:
        point = (model_id, key, float(value), timestamp, step, dataset_name, dataset_digest)
        store.log_model_metrics(run_id, [point])


def set_tag_to(store: Store, run_id: str, key: Any, value: Any) -> None:
    run_id = check.run_id(run_id)
    store.set_tag(run_id, check.tag_key_in_store(key), check.tag_value(str(value)))


def log_param_to(store: Store, run_id: str, key: Any, value: Any, as_batch: bool = False) -> None:
    """One param. MLflow's async mode logs it as a batch, with the batch form of messages."""
    run_id = check.run_id(run_id)
    if as_batch:
        store.log_batch(run_id, [], [(check.param_key(key), check.param_value(str(value)))], [])
        return
    try:
        store.log_param(run_id, check.param_key(key), check.param_value(str(value)))
    except MlflowException as e:
        if e.error_code == "INVALID_PARAMETER_VALUE":
            raise MlflowException(
                e.message + check.PARAM_VALIDATION_MSG, INVALID_PARAMETER_VALUE
            ) from None
        raise


def log_batch_to(
    store: Store,
    run_id: str,
    metrics: Sequence[Metric],
    params: Sequence[Param],
    tags: Sequence[RunTag],
) -> None:
    run_id = check.run_id(run_id)
    metric_rows: list[Any] = []
    model_points: list[Any] = []
    for i, metric in enumerate(metrics):
        prefix = f"metrics[{i}]"
        key = check.metric_key(metric.key, prefix)
        value = check.metric_value(metric.value, metric.timestamp, prefix)
        timestamp = check.metric_timestamp(metric.timestamp, key, value, prefix)
        step = check.metric_step(metric.step, key, value, prefix)
        metric_rows.append((key, value, timestamp, step))
        model_id = getattr(metric, "model_id", None)
        if model_id is not None:
            linked = (metric.dataset_name, metric.dataset_digest)
            model_points.append((model_id, key, float(value), timestamp, step, *linked))
    param_rows = [
        (check.param_key(p.key, f"params[{i}]"), check.param_value(str(p.value)))
        for i, p in enumerate(params)
    ]
    # A RunTag whose value is None is stored as NULL, as MLflow stores it.
    tag_rows = [
        (
            check.tag_key(t.key, f"tags[{i}]"),
            None if t.value is None else check.tag_value(str(t.value), f"tags[{i}]"),
        )
        for i, t in enumerate(tags)
    ]
    param_batches = _chunks(param_rows, MAX_PARAMS_TAGS_PER_BATCH)
    tag_batches = _chunks(tag_rows, MAX_PARAMS_TAGS_PER_BATCH)
    empty: list[Any] = []
    for param_batch, tag_batch in zip_longest(param_batches, tag_batches, fillvalue=empty):
        size = max(
            min(MAX_ENTITIES_PER_BATCH - len(param_batch) - len(tag_batch), MAX_METRICS_PER_BATCH),
            0,
        )
        metric_batch, metric_rows = metric_rows[:size], metric_rows[size:]
        store.log_batch(run_id, metric_batch, param_batch, tag_batch)
    for metric_batch in _chunks(metric_rows, MAX_METRICS_PER_BATCH):
        store.log_batch(run_id, metric_batch, [], [])
    if model_points:
        # Metrics of models go to the models too (`logged_model_metrics`), as MLflow's store
        # does. A control op: only batches that name a model pay for its round trip.
        store.log_model_metrics(run_id, model_points)


# ---- the run context of the calling thread ---------------------------------------------------

_RUN_ID_ENV = "MLFLOW_RUN_ID"
_EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"
_EXPERIMENT_NAME_ENV = "MLFLOW_EXPERIMENT_NAME"
_DEFAULT_EXPERIMENT_ID = "0"

# Per thread: `stack` (the fluent API's `ActiveRun`s, innermost last), `top` ((store, run_id)
# of the innermost run, or None: what the `log_metric` hot path reads) and `last` (the id of
# the last run this thread ended). Never rebound: `_fluent` reads it under its own name.
_local = threading.local()
# The experiment `set_experiment` chose, or None.
_active_experiment_id: str | None = None
# `_fluent.start_run`, registered there on import (see the module's docstring).
_run_starter: Callable[..., Any] | None = None


def stack() -> list[Any]:
    """The calling thread's active runs, innermost last."""
    try:
        return _local.stack  # type: ignore[no-any-return]
    except AttributeError:
        _local.stack = []
        return _local.stack  # type: ignore[no-any-return]


def set_top(runs: list[Any]) -> None:
    """Makes the innermost of `runs` the thread's active run, here and in the engine's hot path
    (`log_active_metric`), which keeps its own copy per thread."""
    _local.top = top = (runs[-1]._store, runs[-1].info.run_id) if runs else None
    _core.set_active_run(*(top or (None, None)))


# The fluent `log_metric(key, value, step=...)` and `log_metrics(metrics, step=...)` to the
# thread's active run, whole in the engine: False when the general path must take the call.
log_active_metric = _core.log_active_metric
log_active_metrics = _core.log_active_metrics


def active_run() -> Any:
    """The innermost active run of this thread (a fluent `ActiveRun`), or None."""
    runs = stack()
    return runs[-1] if runs else None


def start_run(**kwargs: Any) -> Any:
    """`mlrs.start_run(**kwargs)`: the fluent API's, registered by `_fluent`."""
    if _run_starter is None:
        raise RuntimeError("mlrs._fluent is not imported: no run starter is registered")
    return _run_starter(**kwargs)


def active_or_new() -> tuple[Store, str]:
    """The innermost active run, starting one when there is none (as MLflow's log calls do)."""
    top = getattr(_local, "top", None)
    if top is None:
        start_run()
        top = _local.top
    return top  # type: ignore[no-any-return]


def target(run_id: str | None) -> tuple[Store, str]:
    """(store, run id) of `run_id` in the current store, else of the active (or a new) run."""
    if run_id is None:
        return active_or_new()
    return _runtime.get_store(), run_id


def end_run(status: str = "FINISHED") -> None:
    """Ends the innermost active run of this thread with ``status``; nothing happens when no run
    is active.

    Args:
        status: ``"FINISHED"`` (default), ``"FAILED"`` or ``"KILLED"``.

    Raises:
        Exception: an unknown status name while a run is active (MLflow's plain Exception).
    """
    runs = stack()
    if not runs:
        return
    os.environ.pop(_RUN_ID_ENV, None)
    run = runs.pop()
    set_top(runs)
    run_id = run.info.run_id
    _local.last = run_id
    status = RunStatus.to_string(RunStatus.from_string(status or "FINISHED"))
    # What the monitor sampled is queued before the run ends; it samples no more.
    _system_metrics.stop(run_id)
    run._store.update_run_info(run_id, status, _runtime.now_ms(), None)


def end_runs(status: str) -> None:
    """Ends every active run of the calling thread with `status`, innermost first."""
    while stack():
        end_run(status)


def forget_runs() -> None:
    """Forgets the calling thread's runs: a forked child starts with no active run, as under
    MLflow (the forking thread's state is the only one a child has)."""
    _local.__dict__.clear()
    _core.set_active_run(None, None)


def set_active_experiment_id(experiment_id: str | None) -> None:
    global _active_experiment_id
    _active_experiment_id = experiment_id


def active_experiment_id() -> str | None:
    """The experiment `set_experiment` chose, or None."""
    return _active_experiment_id


def _experiment_id_from_env() -> str | None:
    name = os.environ.get(_EXPERIMENT_NAME_ENV)
    env_id = os.environ.get(_EXPERIMENT_ID_ENV)
    store = _runtime.get_store()
    if name is not None:
        experiment = get_experiment_by_name(store, name)
        if experiment is None:
            return create_experiment(store, name)
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
            return get_experiment(store, env_id).experiment_id
        except MlflowException as e:
            raise MlflowException(
                f"The provided {_EXPERIMENT_ID_ENV} environment variable value `{env_id}` does "
                "not exist in the tracking server. Provide a valid experiment_id.",
                INVALID_PARAMETER_VALUE,
            ) from e
    return None


def current_experiment_id() -> str:
    """The experiment of new runs: `set_experiment`, the environment, else "0"."""
    if _active_experiment_id:
        return _active_experiment_id
    return _experiment_id_from_env() or _DEFAULT_EXPERIMENT_ID


# The functions `MlflowClient`'s methods call get MLflow's exception for text that is not
# valid Unicode and integers past 64 bits, as those methods do, whichever layer calls them.
for _name in (
    "create_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "delete_experiment",
    "restore_experiment",
    "rename_experiment",
    "set_experiment_tag",
    "delete_experiment_tag",
    "create_run",
    "get_run",
    "log_outputs",
    "get_parent_run",
    "set_terminated",
    "update_run",
    "delete_run",
    "restore_run",
    "log_metric",
    "log_param",
    "set_tag",
    "delete_tag",
    "log_batch",
    "search_runs",
    "get_metric_history",
    "get_metric_history_arrays",
):
    globals()[_name] = check.mlflow_errors(globals()[_name])
del _name
