"""Logged models (``m-<id>``) over the store: create, finalize, get, search, and the outputs that
link a run to the models it produced. The fluent functions, the client methods and
``log_model`` all go through here."""

from __future__ import annotations

import os
import threading

from mlrs import _runtime, _tracking
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

# `import mlrs` imports this module: the entities (and `enum`) load on first use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Self

    from mlrs._artifacts import _Remote
    from mlrs._core import LoggedModelRow, Store
    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.logged_model_status import LoggedModelStatus

_BAD_NAME_CHARS = ("/", ":", ".", "%", '"', "'")

# The last model this thread logged (`last_logged_model`), as MLflow keeps it per thread.
_last = threading.local()


def _model(row: LoggedModelRow) -> LoggedModel:
    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.metric import Metric

    model_id = row.model_id
    return LoggedModel(
        experiment_id=row.experiment_id,
        model_id=model_id,
        name=row.name,
        artifact_location=row.artifact_location,
        creation_timestamp=row.creation_timestamp_ms,
        last_updated_timestamp=row.last_updated_timestamp_ms,
        model_type=row.model_type,
        source_run_id=row.source_run_id,
        status=row.status,
        status_message=row.status_message,
        tags=dict(row.tags),
        params=dict(row.params),
        # A NULL value in the table is read as None, as MLflow's store reads it.
        metrics=[
            Metric(
                m.key,
                m.value,  # type: ignore[arg-type]
                m.timestamp_ms,
                m.step,
                model_id=model_id,
                dataset_name=m.dataset_name,
                dataset_digest=m.dataset_digest,
                run_id=m.run_id,
            )
            for m in row.metrics
        ],
    )


def validate_name(name: str | None, store: Store | None = None) -> None:
    """MLflow's store check of a model name; a tracking server makes it itself (`store`), and
    its refusal is the one a user sees."""
    if name is None or (store is not None and store.location.startswith(("http://", "https://"))):
        return
    if not name or any(c in name for c in _BAD_NAME_CHARS):
        raise MlflowException(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
            f"and cannot contain the following characters: {_BAD_NAME_CHARS}",
            INVALID_PARAMETER_VALUE,
        )


def create(
    store: Store,
    experiment_id: str,
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    model_type: str | None = None,
) -> LoggedModel:
    validate_name(name, store)
    row = store.create_logged_model(
        str(experiment_id),
        name or "",  # the engine names an unnamed model as MLflow does (adjective-noun-N)
        source_run_id,
        model_type,
        [(str(k), str(v)) for k, v in (params or {}).items()],
        [(str(k), str(v)) for k, v in (tags or {}).items()],
    )
    model = _model(row)
    _last.model_id = model.model_id
    return model


def finalize(store: Store, model_id: str, status: str | LoggedModelStatus) -> LoggedModel:
    from mlrs.entities.logged_model_status import LoggedModelStatus

    check_model_id(model_id)
    # An unknown status name raises the enum's ValueError, as in MLflow.
    code = LoggedModelStatus(status).to_int()
    return _model(store.finalize_logged_model(model_id, code))


def get(store: Store, model_id: str) -> LoggedModel:
    check_model_id(model_id)
    return _model(store.get_logged_model(model_id))


def last_model_id() -> str | None:
    return getattr(_last, "model_id", None)


def check_model_id(model_id: Any) -> None:
    """MLflow's refusal of an empty (or missing) model id."""
    if not model_id:
        raise MlflowException(
            f"`model_id` must be a non-empty string, but got {model_id!r}",
            INVALID_PARAMETER_VALUE,
        )


def _datasets(datasets: list[dict[str, Any]] | None) -> list[tuple[str, str | None]]:
    if datasets and not all(d.get("dataset_name") for d in datasets):
        raise MlflowException(
            "`dataset_name` in the `datasets` clause must be specified.",
            INVALID_PARAMETER_VALUE,
        )
    return [(str(d["dataset_name"]), d.get("dataset_digest")) for d in datasets or []]


def _order_by(
    order_by: list[dict[str, Any]] | None,
) -> list[tuple[str, bool, str | None, str | None]]:
    out = []
    for entry in order_by or []:
        field = entry.get("field_name") if isinstance(entry, dict) else None
        if not isinstance(field, str) or not field:
            raise MlflowException(
                f"Invalid order_by entry {entry!r}: it needs a `field_name`.",
                INVALID_PARAMETER_VALUE,
            )
        out.append(
            (
                field,
                bool(entry.get("ascending", True)),
                entry.get("dataset_name"),
                entry.get("dataset_digest"),
            )
        )
    return out


def search(
    store: Store,
    experiment_ids: list[str],
    filter_string: str | None,
    max_results: int | None,
    offset: int,
    datasets: list[dict[str, Any]] | None = None,
    order_by: list[dict[str, Any]] | None = None,
) -> list[LoggedModel]:
    """Models of the experiments meeting `filter_string` (compiled by the engine), with
    metrics of `datasets`, ordered by `order_by` then newest first."""
    limit = 100 if max_results is None else max_results
    rows = store.search_logged_models(
        [str(e) for e in experiment_ids],
        filter_string or None,
        _datasets(datasets),
        _order_by(order_by),
        limit,
        offset,
    )
    return [_model(r) for r in rows]


def delete(store: Store, model_id: str) -> None:
    check_model_id(model_id)
    store.delete_logged_model(model_id)


def _check_reachable(store: Store, model_id: str, hint: str) -> None:
    """MLflow's refusal of tags or params for a model it cannot get (missing or deleted)."""
    try:
        store.get_logged_model(model_id)
    except MlflowException as e:
        raise MlflowException(
            f"Failed to get logged model with ID {model_id}. You may not have access to the "
            f"logged model, or the logged model may have been deleted. {hint}",
            INVALID_PARAMETER_VALUE,
        ) from e


def set_tags(store: Store, model_id: str, tags: dict[str, Any]) -> None:
    check_model_id(model_id)
    _check_reachable(
        store,
        model_id,
        "If you are attempting to set tags on a Registered Model Version, use "
        "`set_model_version_tag` instead.",
    )
    store.set_logged_model_tags(model_id, [(str(k), str(v)) for k, v in tags.items()])


def delete_tag(store: Store, model_id: str, key: str) -> None:
    check_model_id(model_id)
    store.delete_logged_model_tag(model_id, str(key))


def log_params(store: Store, model_id: str, params: dict[str, Any]) -> None:
    check_model_id(model_id)
    _check_reachable(
        store,
        model_id,
        "If you are attempting to log parameters to a Registered Model Version, this is not "
        "supported.",
    )
    store.log_logged_model_params(model_id, [(str(k), str(v)) for k, v in params.items()])


def artifact_root(store: Store, model_id: str) -> str | _Remote:
    """Where a model's artifacts are: a local directory, or a root on the tracking server's
    artifact proxy (the `mlflow-artifacts:` location the server gives its models)."""
    from mlrs._artifacts import location

    return location(store, get(store, model_id).artifact_location)


def log_artifact(
    store: Store, model_id: str, local_path: Any, artifact_path: str | None = None
) -> None:
    from mlrs._artifacts import _log_file

    _log_file(artifact_root(store, model_id), os.fspath(local_path), artifact_path)


def log_artifacts(
    store: Store, model_id: str, local_dir: Any, artifact_path: str | None = None
) -> None:
    from mlrs._artifacts import _log_dir

    _log_dir(artifact_root(store, model_id), os.fspath(local_dir), artifact_path)


def list_artifacts(store: Store, model_id: str, path: str | None = None) -> list[Any]:
    from mlrs._artifacts import _list
    from mlrs.entities.file_info import FileInfo

    return [FileInfo(*e) for e in _list(artifact_root(store, model_id), path)]


def _store() -> Store:
    return _runtime.get_store()


# ---- fluent ------------------------------------------------------------------------------


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model with this id (``m-...``)."""
    return get(_store(), model_id)


def last_logged_model() -> LoggedModel | None:
    """The model this thread logged last, or None."""
    model_id = last_model_id()
    return None if model_id is None else get(_store(), model_id)


def finalize_logged_model(model_id: str, status: str | LoggedModelStatus) -> LoggedModel:
    """Sets a logged model's status to READY or FAILED."""
    return finalize(_store(), model_id, status)


def search_logged_models(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    datasets: list[dict[str, str]] | None = None,
    max_results: int | None = None,
    order_by: list[dict[str, Any]] | None = None,
    output_format: str = "pandas",
) -> Any:
    """Logged models of the experiments (by default the current one), newest first, as a pandas
    DataFrame or (``output_format="list"``) a list of ``LoggedModel``."""
    ids = experiment_ids or [_tracking.current_experiment_id()]
    limit = max_results if max_results is not None else 2**62
    models = search(_store(), ids, filter_string, limit, 0, datasets, order_by)
    if output_format == "list":
        return models
    if output_format != "pandas":
        raise MlflowException(
            f"Unsupported output format: {output_format!r}. Supported string values are "
            "'pandas' or 'list'",
            INVALID_PARAMETER_VALUE,
        )
    import pandas as pd

    from mlrs.entities.logged_model_status import LoggedModelStatus

    dicts = []
    for model in models:
        d = model.to_dictionary()
        d["status"] = LoggedModelStatus.from_int(d["status"])
        dicts.append(d)
    return pd.DataFrame(dicts)


def _create_in_context(
    name: str | None,
    source_run_id: str | None,
    tags: dict[str, Any] | None,
    params: dict[str, Any] | None,
    model_type: str | None,
    experiment_id: str | None,
) -> LoggedModel:
    """A new PENDING model: of the active run (its source and experiment) unless given, with
    the context tags a run gets (user, source)."""
    from mlrs import _context

    run = _tracking.active_run()
    if source_run_id is None and run is not None:
        source_run_id = run.info.run_id
    store = run._store if run is not None else _store()
    if experiment_id is None:
        experiment_id = (
            run.info.experiment_id if run is not None else _tracking.current_experiment_id()
        )
    resolved = _context.resolve_tags(dict(tags) if tags else {})
    return create(store, experiment_id, name, source_run_id, resolved, params, model_type)


def initialize_logged_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """Creates a logged model in PENDING state, to be filled (`log_model(..., model_id=...)`,
    `MlflowClient.log_model_artifacts`) and then finalized with `finalize_logged_model`.

    Args:
        name: The model's name; a random ``adjective-noun-N`` one when None.
        source_run_id: The run that produced it (default: the active run, if any).
        tags: Tags of the model.
        params: Params of the model.
        model_type: A free-form kind (``"agent"``, ``"classifier"``, ...) to search by.
        experiment_id: Its experiment (default: the active run's, else the current one).

    Returns:
        The new ``LoggedModel``; ``last_logged_model()`` returns it from now on.

    Raises:
        MlflowException: a bad name, or an experiment that does not exist or is deleted.
    """
    return _create_in_context(name, source_run_id, tags, params, model_type, experiment_id)


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """Records a model whose files live elsewhere (a hosted model, an agent's code in a repo):
    a READY logged model tagged ``mlflow.model.isExternal`` with only an MLmodel file, so it
    can be registered, linked to metrics and searched like any other.

    Args and Raises: as for `initialize_logged_model`.

    Returns:
        The READY ``LoggedModel``.
    """
    import tempfile

    from mlrs.models._mlmodel import MLMODEL_FILE_NAME, Model
    from mlrs.models.signature import ModelSignature
    from mlrs.types.schema import ColSpec, Schema

    tags = dict(tags) if tags else {}
    tags[_IS_EXTERNAL_TAG] = "true"
    model = _create_in_context(name, source_run_id, tags, params, model_type, experiment_id)
    store = _store()
    spec = Model(
        artifact_path=model.artifact_location,
        model_uuid=model.model_id,
        model_id=model.model_id,
        run_id=model.source_run_id,
        # A placeholder signature (boolean in, boolean out), as MLflow writes for these.
        signature=ModelSignature(Schema([ColSpec("boolean")]), Schema([ColSpec("boolean")])),
        metadata={_IS_EXTERNAL_TAG: True},
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec.save(os.path.join(tmp, MLMODEL_FILE_NAME))
        log_artifacts(store, model.model_id, tmp)
    model = finalize(store, model.model_id, "READY")
    _last.model_id = model.model_id
    return model


_IS_EXTERNAL_TAG = "mlflow.model.isExternal"


def set_logged_model_tags(model_id: str, tags: dict[str, Any]) -> None:
    """Sets (or replaces) tags of a logged model.

    Raises:
        MlflowException: an empty ``model_id``, or no such model (RESOURCE_DOES_NOT_EXIST).
    """
    set_tags(_store(), model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Removes a tag from a logged model.

    Raises:
        MlflowException: an empty ``model_id``, no such model, or no such tag
            (RESOURCE_DOES_NOT_EXIST).
    """
    delete_tag(_store(), model_id, key)


def log_model_params(params: dict[str, str], model_id: str | None = None) -> None:
    """Adds params to a logged model (by default the active model, see `set_active_model`).

    Raises:
        MlflowException: no model given and none active, no such model, or a param the model
            already has with another value (INVALID_PARAMETER_VALUE).
    """
    from mlrs import _active_model

    log_params(_store(), model_id or _active_model.model_id(), params)  # type: ignore[arg-type]


_active_model_cls: type[Any] | None = None


def __getattr__(name: str) -> Any:
    # `ActiveModel` subclasses LoggedModel, which loads on first use.
    if name == "ActiveModel":
        return _active_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _active_model_class() -> type[Any]:
    global _active_model_cls
    if _active_model_cls is not None:
        return _active_model_cls
    from mlrs import _active_model
    from mlrs.entities.logged_model import LoggedModel

    class ActiveModel(LoggedModel):
        """The model `set_active_model` made active: a snapshot of it, and a context manager
        that restores the previously active model on exit."""

        def __init__(self, logged_model: LoggedModel, set_by_user: bool) -> None:
            d = logged_model.to_dictionary()
            d["status"] = logged_model.status
            LoggedModel.__init__(self, **d)
            self.last_active_model_context = _active_model.get()
            _active_model.set_context(self.model_id, set_by_user)
            from mlrs import _log

            _log.logger().info("Active model is set to the logged model with ID: %s", self.model_id)

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *exc: object) -> None:
            _active_model.restore(self.last_active_model_context)

    ActiveModel.__qualname__ = "ActiveModel"
    _active_model_cls = ActiveModel
    return ActiveModel


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> Any:
    """Makes a logged model the active one of this thread: metrics logged without a
    ``model_id`` link to it until `clear_active_model` (or the ``with`` block ends).

    Args:
        name: A model name: the newest model of the current experiment with that name, or a
            new external model of that name (`create_external_model`) when there is none.
        model_id: An existing model's id.

    Returns:
        The ``ActiveModel`` (a ``LoggedModel``, usable as a context manager).

    Raises:
        MlflowException: neither argument given, no such ``model_id``, or a ``name`` that
            differs from that model's (INVALID_PARAMETER_VALUE).
    """
    from mlrs import _log

    if name is None and model_id is None:
        raise MlflowException("Either name or model_id must be provided", INVALID_PARAMETER_VALUE)
    if model_id is not None:
        model = get_logged_model(model_id)
        if name is not None and model.name != name:
            raise MlflowException(
                f"LoggedModel with model_id {model_id!r} has name {model.name!r}, which does "
                f"not match the provided name {name!r}.",
                INVALID_PARAMETER_VALUE,
            )
    else:
        assert name is not None
        validate_name(name)
        found = search_logged_models(
            filter_string=f"name = '{name}'", max_results=2, output_format="list"
        )
        if len(found) > 1:
            _log.logger().warning(
                "Multiple LoggedModels found with name %r, setting the latest one as active model.",
                name,
            )
        if found:
            model = found[0]
        else:
            _log.logger().info("LoggedModel with name %r does not exist, creating one...", name)
            model = create_external_model(name=name)
    return _active_model_class()(model, set_by_user=True)


def get_active_model_id() -> str | None:
    """The id of this thread's active model (`set_active_model`, else the
    ``MLFLOW_ACTIVE_MODEL_ID`` environment variable), or None."""
    from mlrs import _active_model

    return _active_model.model_id()


def clear_active_model() -> None:
    """Forgets the active model of this thread (and ``MLFLOW_ACTIVE_MODEL_ID``)."""
    from mlrs import _active_model, _log

    _active_model.clear()
    _log.logger().info("Active model is cleared")


def log_outputs(models: list[Any] | None = None) -> None:
    """Records logged models (``LoggedModelOutput(model_id, step)``) as outputs of the active
    run, starting one when none is active.

    Raises:
        MlflowException: the run is not active.
    """
    store, run_id = _tracking.active_or_new()
    store.log_outputs(run_id, [(m.model_id, m.step) for m in models or []])
