"""`MlflowClient`: the explicit-id API over one tracking store, a facade over the tracking
floor (`mlrs._tracking`), the artifact methods (`mlrs._artifacts`) and the registry methods
(`mlrs.tracking._registry_client`)."""

from __future__ import annotations

from mlrs import _registry, _runtime, _tracking
from mlrs import _validation as check
from mlrs._artifacts import ArtifactsClientMixin
from mlrs._run_operations import RunOperations
from mlrs._tracking import (
    SEARCH_MAX_RESULTS_DEFAULT,
    MetricArrays,
    create_page_token,
    parse_page_token,
    validate_max_results,
)
from mlrs.entities.view_type import ViewType
from mlrs.store.entities.paged_list import PagedList
from mlrs.tracking._registry_client import RegistryClientMixin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
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
        return _tracking.create_experiment(self._store, name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id, active or deleted.

        Raises:
            MlflowException: no such experiment (RESOURCE_DOES_NOT_EXIST) or a malformed id.
        """
        return _tracking.get_experiment(self._store, experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None."""
        return _tracking.get_experiment_by_name(self._store, name)

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
        return _tracking.search_experiments(
            self._store, view_type, max_results, filter_string, order_by, page_token
        )

    def delete_experiment(self, experiment_id: str) -> None:
        """Marks an experiment deleted; ``restore_experiment`` undoes it.

        Raises:
            MlflowException: no such experiment.
        """
        _tracking.delete_experiment(self._store, experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        """Brings a deleted experiment back.

        Raises:
            MlflowException: no such experiment, or one that is not deleted.
        """
        _tracking.restore_experiment(self._store, experiment_id)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Gives an active experiment a new, unused name.

        Raises:
            MlflowException: no such experiment, a deleted one (INVALID_STATE), or a name in
                use.
        """
        _tracking.rename_experiment(self._store, experiment_id, new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Sets a tag (value stored as ``str(value)``) on an experiment.

        Raises:
            MlflowException: a bad key or value, or a deleted or unknown experiment.
        """
        _tracking.set_experiment_tag(self._store, experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Removes a tag from an experiment.

        Raises:
            MlflowException: no such experiment or tag (RESOURCE_DOES_NOT_EXIST).
        """
        _tracking.delete_experiment_tag(self._store, experiment_id, key)

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
        return _tracking.create_run(self._store, experiment_id, start_time, tags, run_name)

    def get_run(self, run_id: str) -> Run:
        """The run with this id: info, params, latest metrics, tags, inputs and model outputs.

        Raises:
            MlflowException: no such run (RESOURCE_DOES_NOT_EXIST).
        """
        return _tracking.get_run(self._store, run_id)

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
        _tracking.log_outputs(self._store, run_id, models)

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
        return _tracking.get_parent_run(self._store, run_id)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        """Ends a run: sets its status (``"FINISHED"`` by default) and end time (now by default).

        Raises:
            MlflowException: no such run.
            Exception: an unknown status name (MLflow's plain Exception).
        """
        _tracking.set_terminated(self._store, run_id, status, end_time)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Changes a run's status and/or name.

        Raises:
            MlflowException: no such run.
            Exception: an unknown status name (MLflow's plain Exception).
        """
        _tracking.update_run(self._store, run_id, status, name)

    def delete_run(self, run_id: str) -> None:
        """Marks a run deleted; ``restore_run`` undoes it.

        Raises:
            MlflowException: no such run.
        """
        _tracking.delete_run(self._store, run_id)

    def restore_run(self, run_id: str) -> None:
        """Brings a deleted run back.

        Raises:
            MlflowException: no such run.
        """
        _tracking.restore_run(self._store, run_id)

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
        return _tracking.log_metric(
            self._store,
            run_id,
            key,
            value,
            timestamp,
            step,
            synchronous,
            dataset_name,
            dataset_digest,
            model_id,
        )

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        """Logs a param (stored as ``str(value)``) of a run and returns ``value``.

        Raises:
            MlflowException: a bad key or value, an inactive run, or a param already logged with
                another value (INVALID_PARAMETER_VALUE).
        """
        return _tracking.log_param(self._store, run_id, key, value, synchronous)

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Sets a tag (stored as ``str(value)``) of a run.

        Raises:
            MlflowException: a bad key or value, or an inactive run.
        """
        return _tracking.set_tag(self._store, run_id, key, value, synchronous)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Removes a tag from a run.

        Raises:
            MlflowException: no such run or tag (RESOURCE_DOES_NOT_EXIST).
        """
        _tracking.delete_tag(self._store, run_id, key)

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
        return _tracking.log_batch(self._store, run_id, metrics, params, tags, synchronous)

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
        return _tracking.search_runs(
            self._store,
            experiment_ids,
            filter_string,
            run_view_type,
            max_results,
            order_by,
            page_token,
        )

    def get_metric_history(self, run_id: str, key: str) -> PagedList[Metric]:
        """Every value logged for a metric of a run, ordered by timestamp, step and value.

        Returns:
            A ``PagedList`` of ``Metric`` (one page: all of them).

        Raises:
            MlflowException: no such run.
        """
        return _tracking.get_metric_history(self._store, run_id, key)

    def get_metric_history_arrays(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> MetricArrays:
        """An mlrs extension: a metric's history as numpy arrays `(steps, timestamps, values)`
        in `get_metric_history`'s order, without a Python object per point.

        With `max_points`, a chart-sized version instead, in step order: consecutive steps are
        bucketed and each bucket keeps its lowest and highest value, so spikes survive.
        """
        return _tracking.get_metric_history_arrays(self._store, run_id, key, max_points)


# Text that is not valid Unicode and integers past 64 bits get MLflow's exception from every
# public method (the engine cannot take them as arguments).
check.mlflow_errors_on_class(MlflowClient)
