"""`MlflowClient`: the explicit-id API over one tracking store."""

from __future__ import annotations

import contextlib
import math
import operator
import os
from collections import namedtuple
from itertools import zip_longest

from mlrs import _active_model, _convert, _core, _log, _registry, _runtime
from mlrs import _validation as check
from mlrs._artifacts import ArtifactsClientMixin
from mlrs._run_operations import RunOperations
from mlrs.entities.run_status import RunStatus
from mlrs.entities.view_type import ViewType
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import BAD_REQUEST, INVALID_PARAMETER_VALUE
from mlrs.store.entities.paged_list import PagedList
from mlrs.tracking._registry_client import RegistryClientMixin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, SupportsFloat

    from mlrs._core import Store
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.experiment import Experiment
    from mlrs.entities.file_info import FileInfo
    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.logged_model_input import LoggedModelInput
    from mlrs.entities.logged_model_output import LoggedModelOutput
    from mlrs.entities.logged_model_status import LoggedModelStatus
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


class MlflowClient(ArtifactsClientMixin, RegistryClientMixin):
    """Client of an MLflow tracking store, addressed by explicit experiment and run ids."""

    def __init__(
        self,
        tracking_uri: str | None = None,
        registry_uri: str | None = None,
        workspace_store_uri: str | None = None,
    ) -> None:
        self._tracking_uri = tracking_uri or _runtime.get_tracking_uri()
        self._registry_uri = _registry.client_registry_uri(registry_uri, self._tracking_uri)
        self._store_cache: Store | None = None

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    @property
    def _store(self) -> Store:
        # Opened on first use, as MLflow opens its store lazily.
        # A store closed since (mlrs.close(), a test harness) is replaced by a fresh one.
        store = self._store_cache
        if store is None or store.closed:
            store = self._store_cache = _runtime.get_store(self._tracking_uri)
        return store

    # ---- experiments -----------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> str:
        """Creates an experiment and returns its id.

        Args:
            name: A unique, non-empty name.
            artifact_location: Where its runs keep artifacts (local path or ``file://`` URI).
            tags: Tags to set on it.

        Returns:
            The new experiment's id.

        Raises:
            MlflowException: an empty name, a name in use (RESOURCE_ALREADY_EXISTS), a bad tag.
        """
        location = _resolve_artifact_location(artifact_location)
        name = check.experiment_name(name)
        tag_pairs = [(check.tag_key(k), _text_value(v)) for k, v in (tags or {}).items()]
        return self._store.create_experiment(name, location, tag_pairs)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id, active or deleted.

        Raises:
            MlflowException: no such experiment (RESOURCE_DOES_NOT_EXIST) or a malformed id.
        """
        return _convert.experiment(self._store.get_experiment(_experiment_id_text(experiment_id)))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None."""
        if not isinstance(name, str):
            return None  # no experiment has such a name
        row = self._store.get_experiment_by_name(name)
        return None if row is None else _convert.experiment(row)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | bytes | None = None,
    ) -> PagedList[Experiment]:
        """One page of the experiments matching ``filter_string``.

        Args:
            view_type: ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
            max_results: The page size (1000 by default, at most 50000).
            filter_string: Conditions on ``name``, ``creation_time``, ``last_update_time`` and
                ``tags.<key>``, joined by AND.
            order_by: E.g. ``["name DESC"]``; newest first by default.
            page_token: The ``token`` of the previous page.

        Returns:
            A ``PagedList`` of ``Experiment``; its ``token`` is None on the last page.

        Raises:
            MlflowException: a bad filter, order_by, page token or max_results.
        """
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
            self._store.search_experiments(ViewType.ACTIVE_ONLY, "", order, 1, 0)
            check.utf8(filter_string)
            self._store.search_experiments(ViewType.ACTIVE_ONLY, filter_string, order, 1, 0)
            return PagedList([], None)
        rows = self._store.search_experiments(view, filter_string, order, max_results, offset)
        token = create_page_token(offset + max_results) if len(rows) > max_results else None
        return PagedList([_convert.experiment(r) for r in rows[:max_results]], token)

    def delete_experiment(self, experiment_id: str) -> None:
        """Marks an experiment deleted; ``restore_experiment`` undoes it.

        Raises:
            MlflowException: no such experiment.
        """
        self._store.delete_experiment(_experiment_id_text(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Brings a deleted experiment back.

        Raises:
            MlflowException: no such experiment, or one that is not deleted.
        """
        self._store.restore_experiment(_experiment_id_text(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Gives an active experiment a new, unused name.

        Raises:
            MlflowException: no such experiment, a deleted one (INVALID_STATE), or a name in
                use.
        """
        self._store.rename_experiment(
            _experiment_id_text(experiment_id), check.experiment_name(new_name)
        )

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Sets a tag (value stored as ``str(value)``) on an experiment.

        Raises:
            MlflowException: a bad key or value, or a deleted or unknown experiment.
        """
        self._store.set_experiment_tag(
            _experiment_id_text(experiment_id), check.tag_key(key), str(value)
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Removes a tag from an experiment.

        Raises:
            MlflowException: no such experiment or tag (RESOURCE_DOES_NOT_EXIST).
        """
        self._store.delete_experiment_tag(_experiment_id_text(experiment_id), check.tag_key(key))

    # ---- runs ------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Creates a RUNNING run without making it active (no context tags are added, as in MLflow).

        Args:
            experiment_id: Its experiment.
            start_time: Milliseconds since the epoch; now by default.
            tags: Tags to set; ``mlflow.user`` becomes the run's user.
            run_name: Its name; a random ``adjective-noun-N`` one by default.

        Returns:
            The new ``Run``.

        Raises:
            MlflowException: an unknown or deleted experiment, or a bad tag.
        """
        tags = tags or {}
        user_id = tags.get(USER_TAG, "unknown")
        tag_pairs = [(check.tag_key(k), _run_tag_text(v)) for k, v in tags.items()]
        row = self._store.create_run(
            _experiment_id_text(experiment_id),
            str(user_id),
            start_time or _runtime.now_ms(),
            run_name,
            tag_pairs,
        )
        return _convert.run(row)

    def get_run(self, run_id: str) -> Run:
        """The run with this id: info, params, latest metrics, tags, inputs and model outputs.

        Raises:
            MlflowException: no such run (RESOURCE_DOES_NOT_EXIST).
        """
        from mlrs import _logged_models as _logged

        return _logged.with_outputs(self._store, _convert.run(self._store.get_run(run_id)))

    # ---- logged models (mlrs/_logged_models.py)  --------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """Creates a PENDING logged model (``m-<id>``) in an experiment.

        Args:
            experiment_id: Its experiment (must be active).
            name: Its name; random when None.
            source_run_id: The run that produced it.
            tags, params: Its tags and params.
            model_type: A free-form kind to search by.

        Returns:
            The new ``LoggedModel``.

        Raises:
            MlflowException: a bad name, or an unknown or deleted experiment.
        """
        from mlrs import _logged_models as _logged

        return _logged.create(
            self._store, experiment_id, name, source_run_id, tags, params, model_type
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The logged model with this id (``m-...``), with its tags, params and metrics.

        Raises:
            MlflowException: an empty id (INVALID_PARAMETER_VALUE), or no such model or a deleted
                one (RESOURCE_DOES_NOT_EXIST).
        """
        from mlrs import _logged_models as _logged

        return _logged.get(self._store, model_id)

    def finalize_logged_model(self, model_id: str, status: str | LoggedModelStatus) -> LoggedModel:
        """Sets a model's status to ``"READY"`` or ``"FAILED"``.

        Returns:
            The updated ``LoggedModel``.

        Raises:
            MlflowException: an empty id or no such model.
            ValueError: an unknown status name.
        """
        from mlrs import _logged_models as _logged

        return _logged.finalize(self._store, model_id, status)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        """Sets (or replaces) tags of a logged model; values are stored as strings.

        Raises:
            MlflowException: an empty id, or a missing or deleted model (INVALID_PARAMETER_VALUE).
        """
        from mlrs import _logged_models as _logged

        _logged.set_tags(self._store, model_id, tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Removes one tag of a logged model.

        Raises:
            MlflowException: an empty id, no such model, or no such tag (RESOURCE_DOES_NOT_EXIST).
        """
        from mlrs import _logged_models as _logged

        _logged.delete_tag(self._store, model_id, key)

    def delete_logged_model(self, model_id: str) -> None:
        """Marks a logged model deleted: ``get_logged_model`` and searches no longer return it.

        Raises:
            MlflowException: an empty id or no such model.
        """
        from mlrs import _logged_models as _logged

        _logged.delete(self._store, model_id)

    def log_model_params(self, model_id: str, params: dict[str, str]) -> None:
        """Adds params to a logged model.

        Raises:
            MlflowException: an empty id, a missing or deleted model (INVALID_PARAMETER_VALUE), or a
                param the model already has (BAD_REQUEST: params never change).
        """
        from mlrs import _logged_models as _logged

        _logged.log_params(self._store, model_id, params)

    def log_model_artifact(
        self, model_id: str, local_path: str, artifact_path: str | None = None
    ) -> None:
        """Copies a local file (or directory) into a logged model's artifacts, under
        ``artifact_path`` when given.

        Raises:
            MlflowException: no such model, or a path leaving the model's artifact directory.
            OSError: the local file cannot be read.
        """
        from mlrs import _logged_models as _logged

        _logged.log_artifact(self._store, model_id, local_path, artifact_path)

    def log_model_artifacts(
        self, model_id: str, local_dir: str, artifact_path: str | None = None
    ) -> None:
        """Copies the contents of a local directory into a logged model's artifacts, under
        ``artifact_path`` when given.

        Raises:
            MlflowException: no such model, or a path leaving the model's artifact directory.
            OSError: the directory is missing or cannot be read.
        """
        from mlrs import _logged_models as _logged

        _logged.log_artifacts(self._store, model_id, local_dir, artifact_path)

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and directories directly under ``path`` in a logged model's artifacts.

        Returns:
            A list of ``FileInfo`` (path relative to the model, ``is_dir``, ``file_size``).
        """
        from mlrs import _logged_models as _logged

        return _logged.list_artifacts(self._store, model_id, path)

    def log_outputs(self, run_id: str, models: list[LoggedModelOutput]) -> None:
        """Records logged models as outputs of a run (each with its ``step``).

        Raises:
            MlflowException: an unknown or inactive run.
        """
        self._store.log_outputs(run_id, [(m.model_id, m.step) for m in models])

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """One page of the logged models of some experiments.

        Args:
            experiment_ids: The experiments to search.
            filter_string: MLflow's grammar: attributes (``name``, ``model_type``, ``status``,
                ``source_run_id``, ``creation_time``, ...), ``metrics.<key>`` (each model's latest
                value), ``params.<key>``, ``tags.<key>``; comparisons (``=``, ``!=``, ``<``, ...,
                ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``) joined by AND.
            datasets: ``[{"dataset_name": ..., "dataset_digest": ...}]``: only metrics computed on
                these datasets count (and, without a metric filter, a model needs one of them).
            max_results: The page size (100 by default).
            order_by: ``[{"field_name": "metrics.acc", "ascending": False, "dataset_name": ...}]``;
                attributes or metrics, missing values last; then newest first.
            page_token: The ``token`` of the previous page.

        Returns:
            A ``PagedList`` of ``LoggedModel``; its ``token`` is None on the last page.

        Raises:
            MlflowException: a filter or order_by MLflow refuses, a dataset without a name, a bad
                page token (INVALID_PARAMETER_VALUE).
        """
        from mlrs import _logged_models as _logged

        offset = parse_page_token(page_token)
        limit = 100 if max_results is None else validate_max_results(max_results)
        found = _logged.search(
            self._store, experiment_ids, filter_string, limit + 1, offset, datasets, order_by
        )
        token = create_page_token(offset + limit) if len(found) > limit else None
        return PagedList(found[:limit], token)

    def get_parent_run(self, run_id: str) -> Run | None:
        """The parent of a nested run (its ``mlflow.parentRunId`` tag), or None.

        Raises:
            MlflowException: no such run.
        """
        parent_id = self.get_run(run_id).data.tags.get(PARENT_RUN_ID_TAG)
        return None if parent_id is None else self.get_run(parent_id)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        """Ends a run: sets its status (``"FINISHED"`` by default) and end time (now by default).

        Raises:
            MlflowException: no such run.
            Exception: an unknown status name (MLflow's plain Exception).
        """
        status = RunStatus.to_string(RunStatus.from_string(status or "FINISHED"))
        self._store.update_run_info(run_id, status, end_time or _runtime.now_ms(), None)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Changes a run's status and/or name.

        Raises:
            MlflowException: no such run.
            Exception: an unknown status name (MLflow's plain Exception).
        """
        if status is None and name is None:
            return
        if status is not None:
            status = RunStatus.to_string(RunStatus.from_string(status))
        self._store.update_run_info(run_id, status, None, name)

    def delete_run(self, run_id: str) -> None:
        """Marks a run deleted; ``restore_run`` undoes it.

        Raises:
            MlflowException: no such run.
        """
        self._store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        """Brings a deleted run back.

        Raises:
            MlflowException: no such run.
        """
        self._store.restore_run(run_id)

    # ---- logging ---------------------------------------------------------------------------

    def log_metric(
        self,
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
        """Logs one metric value to a run (queued and committed in the background, see
        ``mlrs.log_metric``).

        Args:
            run_id: The run (it must be active).
            key: The metric's name.
            value: A number; NaN and infinities are kept.
            timestamp: Milliseconds since the epoch; now by default.
            step: The training step; 0 by default.
            synchronous: True waits for the commit; False returns a ``RunOperations``.
            dataset_name, dataset_digest: The dataset the value was computed on.
            model_id: Also a metric of this logged model (by default the active model).

        Returns:
            None, or a ``RunOperations`` when logging asynchronously.

        Raises:
            MlflowException: a bad key, value, step or timestamp, or an inactive run.
        """
        store = self._store
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

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Logs a param (stored as ``str(value)``) of a run and returns ``value``.

        Raises:
            MlflowException: a bad key or value, an inactive run, or a param already logged with
                another value (INVALID_PARAMETER_VALUE).
        """
        store = self._store
        operations = run_logged(
            store, synchronous, lambda in_async: log_param_to(store, run_id, key, value, in_async)
        )
        return value if operations is None else operations

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Sets a tag (stored as ``str(value)``) of a run.

        Raises:
            MlflowException: a bad key or value, or an inactive run.
        """
        store = self._store
        return run_logged(store, synchronous, lambda _: set_tag_to(store, run_id, key, value))

    def delete_tag(self, run_id: str, key: str) -> None:
        # MLflow looks the key up as given, so any value simply finds no tag.
        """Removes a tag from a run.

        Raises:
            MlflowException: no such run or tag (RESOURCE_DOES_NOT_EXIST).
        """
        self._store.delete_tag(run_id, str(key))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> RunOperations | None:
        """Logs metrics, params and tags of a run in one call, split into batches of at most 1000
        metrics, 100 params and 100 tags, as MLflow splits them. Metrics without a model id go to
        the active model too, if there is one.

        Returns:
            None, or a ``RunOperations`` when logging asynchronously.

        Raises:
            MlflowException: any bad entry (its position is named), an inactive run, or a param
                already logged with another value.
        """
        if not metrics and not params and not tags:
            return None
        if metrics and _active_model.possible:
            metrics = _link_active_model(metrics)
        store = self._store
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

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Records datasets (``DatasetInput``) and models (``LoggedModelInput``) as inputs of a run.

        Raises:
            MlflowException: an unknown or inactive run, or a dataset field that is too long.
        """
        from mlrs._datasets import log_inputs_to

        log_inputs_to(self._store, run_id, datasets, models)

    def search_runs(
        self,
        experiment_ids: list[str] | str,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | bytes | None = None,
    ) -> PagedList[Run]:
        """One page of the runs matching ``filter_string``.

        Args:
            experiment_ids: The experiments to search (one id or a list).
            filter_string: Latest metric values, params, tags, run attributes and datasets,
                compared and joined by AND (``"metrics.acc > 0.9 AND tags.team = 'a'"``).
            run_view_type: ``ViewType.ACTIVE_ONLY`` (default), ``DELETED_ONLY`` or ``ALL``.
            max_results: The page size (1000 by default, at most 50000).
            order_by: E.g. ``["metrics.acc DESC"]``; missing values last, then newest first.
            page_token: The ``token`` of the previous page.

        Returns:
            A ``PagedList`` of ``Run``; its ``token`` is None on the last page.

        Raises:
            MlflowException: a bad filter, order_by, page token or max_results.
        """
        from mlrs import _logged_models as _logged

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
            self._store.search_runs(ids, ViewType.ACTIVE_ONLY, "", order, 1, 0)
            check.utf8(filter_string)
            self._store.search_runs(ids, ViewType.ACTIVE_ONLY, filter_string, order, 1, 0)
            return PagedList([], None)
        rows = self._store.search_runs(ids, view, filter_string, order, fetch, offset)
        token = None
        if page_size is not None and len(rows) > page_size:
            token = create_page_token(offset + page_size)
            rows = rows[:page_size]
        runs = [_convert.run(r) for r in rows]
        _logged.fill_outputs(self._store, runs)
        return PagedList(runs, token)

    def get_metric_history(self, run_id: str, key: str) -> PagedList[Metric]:
        """Every value logged for a metric of a run, ordered by timestamp, step and value.

        Returns:
            A ``PagedList`` of ``Metric`` (one page: all of them).

        Raises:
            MlflowException: no such run.
        """
        raw = self._store.get_metric_columns(run_id, key)
        return PagedList(_convert.metric_history(key, raw), None)

    def get_metric_history_arrays(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> MetricArrays:
        """An mlrs extension: a metric's history as numpy arrays `(steps, timestamps, values)`
        in `get_metric_history`'s order, without a Python object per point.

        With `max_points`, a chart-sized version instead, in step order: consecutive steps are
        bucketed and each bucket keeps its lowest and highest value, so spikes survive.
        """
        import numpy as np

        if max_points is not None and (
            not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 2
        ):
            raise MlflowException(
                f"Invalid value {max_points!r} for parameter 'max_points': an integer of at "
                "least 2 (a bucket keeps its lowest and highest point), or None for every point.",
                INVALID_PARAMETER_VALUE,
            )
        raw = self._store.get_metric_columns(run_id, key, max_points)
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


# Text that is not valid Unicode and integers past 64 bits get MLflow's exception from every
# public method (the engine cannot take them as arguments).
check.mlflow_errors_on_class(MlflowClient)
