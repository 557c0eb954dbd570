"""What every flavor shares: preparing the target directory, the size of a saved model, and
``log_model``: a LoggedModel created PENDING, linked to the active run, the model saved into its
artifact location, then READY (FAILED if saving raised), as MLflow 3.18's ``Model.log`` does."""

from __future__ import annotations

import os

from mlrs import _log
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from mlrs.models.model import ModelInfo


def prepare_target(path: str | os.PathLike[str]) -> str:
    """An absolute, empty directory at `path`; MLflow's error when it holds anything."""
    given = os.fspath(path)
    path = os.path.abspath(given)
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise MlflowException(
            f"Path '{given}' already exists and is not empty", RESOURCE_ALREADY_EXISTS
        )
    os.makedirs(path, exist_ok=True)
    return path


def total_size(path: str) -> int | None:
    """Bytes of every file under `path` (what MLflow records as `model_size_bytes`)."""
    size = 0
    for root, _, files in os.walk(path):
        for f in files:
            size += os.path.getsize(os.path.join(root, f))
    return size or None


def check_loading_allowed() -> None:
    """MLflow's `MLFLOW_ALLOW_MODEL_CODE_EXECUTION` switch: loading a serialized model can run
    code from the model's files, so a user may forbid it."""
    for var in ("MLFLOW_ALLOW_MODEL_CODE_EXECUTION", "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"):
        if os.environ.get(var, "true").strip().lower() in ("false", "0"):
            raise MlflowException(
                "Deserializing this model is disallowed. Loading a model can execute arbitrary "
                "code from the model artifact, including models saved in the 'skops' format, "
                "whose trusted-types allow-list is read from the model itself. Only load models "
                "from trusted sources; set 'MLFLOW_ALLOW_MODEL_CODE_EXECUTION' to 'true' to "
                "allow loading."
            )


def log_model(
    save: Callable[..., None],
    *,
    name: str | None,
    artifact_path: str | None,
    registered_model_name: str | None,
    await_registration_for: int | None,
    metadata: dict[str, Any] | None,
    params: dict[str, Any] | None,
    tags: dict[str, Any] | None,
    model_type: str | None,
    step: int,
    model_id: str | None,
    save_kwargs: dict[str, Any],
) -> ModelInfo:
    """Logs a model as MLflow 3.18 does; `save(path=..., mlflow_model=..., **save_kwargs)`
    writes the flavor's files."""
    import tempfile

    from mlrs import _artifacts, _context, _runtime, _tracking
    from mlrs import _logged_models as _logged
    from mlrs.entities.logged_model_output import LoggedModelOutput
    from mlrs.models.model import Model

    if name is not None and artifact_path is not None:
        raise MlflowException(
            "Both `artifact_path` (deprecated) and `name` parameters were specified. "
            "Please only specify `name`.",
            INVALID_PARAMETER_VALUE,
        )
    if artifact_path is not None:
        _log.logger().warning("`artifact_path` is deprecated. Please use `name` instead.")
    name = name or artifact_path
    active = _tracking.active_run()
    store = active._store if active is not None else _runtime.get_store()
    _logged.validate_name(name, store)
    run_id = active.info.run_id if active is not None else None
    if model_id is not None:
        model = _logged.get(store, model_id)
    else:
        if active is not None:
            experiment_id = active.info.experiment_id
        else:
            experiment_id = _tracking.current_experiment_id()
        # The run's params are copied onto the model (they win over `params`, as in MLflow).
        merged = dict(params or {})
        if run_id is not None:
            merged.update(store.get_run(run_id).params)
        model = _logged.create(
            store,
            experiment_id,
            name=name,
            source_run_id=run_id,
            tags=_context.resolve_tags(dict(tags) if tags else {}),
            params={k: str(v) for k, v in merged.items()},
            model_type=model_type,
        )
    try:
        if run_id is not None:
            store.log_outputs(run_id, [(model.model_id, step)])
            if active is not None and active.outputs is not None:
                active.outputs.model_outputs.append(LoggedModelOutput(model.model_id, step))
            store.link_run_metrics_to_model(model.model_id, run_id, step)
        mlflow_model = Model(
            artifact_path=model.artifact_location,
            model_uuid=model.model_id,
            run_id=run_id,
            metadata=metadata,
            model_id=model.model_id,
        )
        with tempfile.TemporaryDirectory() as tmp:
            staged = os.path.join(tmp, "model")
            save(path=staged, mlflow_model=mlflow_model, **save_kwargs)
            # Into the model's artifact location: a local directory, or the tracking server's
            # artifact proxy.
            _artifacts._log_dir(_artifacts.location(store, model.artifact_location), staged, None)
    except Exception:
        _logged.finalize(store, model.model_id, "FAILED")
        raise
    _logged.finalize(store, model.model_id, "READY")
    info = mlflow_model.get_model_info(model)
    if registered_model_name is not None:
        info.registered_model_version = _register(
            info.model_uri, registered_model_name, await_registration_for, tags
        )
    return info


def _register(
    model_uri: str,
    name: str,
    await_registration_for: int | None,
    tags: dict[str, Any] | None,
) -> int | str | None:
    """Registers the logged model as a new version of `name`; returns the version number (a
    string over a tracking server, as MLflow's REST client gives it)."""
    from mlrs import _registry

    version = _registry.register_model(
        model_uri, name, await_registration_for=await_registration_for, tags=tags
    )
    number: int | str = version.version
    return number
