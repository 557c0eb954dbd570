"""``mlrs.xgboost``: XGBoost models (``Booster`` or the scikit-learn API) in MLflow 3.18's
``xgboost`` flavor, saved in XGBoost's own format (``model.ubj`` by default)."""

from __future__ import annotations

import os

from mlrs import _log
from mlrs.exceptions import MlflowException
from mlrs.xgboost._autolog import autolog as autolog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.models.model import Model, ModelInfo
    from mlrs.models.signature import ModelSignature

FLAVOR_NAME = "xgboost"


def get_default_pip_requirements() -> list[str]:
    """The requirements of a saved model, pinned to the installed versions."""
    from mlrs.models._env import default_requirements

    return default_requirements("xgboost")


def get_default_conda_env() -> dict[str, Any]:
    from mlrs.models._env import default_conda_env

    return default_conda_env(get_default_pip_requirements())


def _class_name(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__name__}"


def save_model(
    xgb_model: Any,
    path: str,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    mlflow_model: Model | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    **kwargs: Any,
) -> None:
    """Saves an XGBoost model into a new directory `path` in MLflow's format."""
    import xgboost as xgb

    from mlrs.models import _example, _flavor
    from mlrs.models._env import validate_env_arguments, write_environment
    from mlrs.models.model import MLMODEL_FILE_NAME, Model
    from mlrs.pyfunc import _add_pyfunc_flavor
    from mlrs.sklearn import _unsupported_extras

    validate_env_arguments(conda_env, pip_requirements, extra_pip_requirements)
    _unsupported_extras(code_paths, extra_files)
    path = _flavor.prepare_target(path)
    if mlflow_model is None:
        mlflow_model = Model()
    example = _example.save_example(mlflow_model, input_example, path)
    wrapper = _XGBModelWrapper(xgb_model)
    _example.prepare_signature(mlflow_model, signature, example, wrapper.predict)
    if metadata is not None:
        mlflow_model.metadata = metadata
    subpath = f"model.{model_format}"
    xgb_model.save_model(os.path.join(path, subpath), **kwargs)
    _add_pyfunc_flavor(mlflow_model, loader_module="mlflow.xgboost", data=subpath)
    mlflow_model.add_flavor(
        FLAVOR_NAME,
        xgb_version=xgb.__version__,
        data=subpath,
        model_class=_class_name(xgb_model),
        model_format=model_format,
        code=None,
    )
    mlflow_model.model_size_bytes = _flavor.total_size(path)
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))
    write_environment(
        path, get_default_pip_requirements(), conda_env, pip_requirements, extra_pip_requirements
    )


def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Logs an XGBoost model as a LoggedModel of the active run (if any)."""
    from mlrs.models import _flavor

    return _flavor.log_model(
        save_model,
        name=name,
        artifact_path=artifact_path,
        registered_model_name=registered_model_name,
        await_registration_for=await_registration_for,
        metadata=metadata,
        params=params,
        tags=tags,
        model_type=model_type,
        step=step,
        model_id=model_id,
        save_kwargs={
            "xgb_model": xgb_model,
            "conda_env": conda_env,
            "code_paths": code_paths,
            "signature": signature,
            "input_example": input_example,
            "pip_requirements": pip_requirements,
            "extra_pip_requirements": extra_pip_requirements,
            "model_format": model_format,
            "extra_files": extra_files,
            **kwargs,
        },
    )


def _load_dir(model_dir: str) -> Any:
    import importlib

    from mlrs.models._flavor import check_loading_allowed
    from mlrs.sklearn import _flavor_conf

    conf = _flavor_conf(model_dir, FLAVOR_NAME)
    model_class = conf.get("model_class", "xgboost.core.Booster")
    module_name, _, class_name = model_class.rpartition(".")
    if not module_name.startswith("xgboost"):
        raise MlflowException(f"Unexpected XGBoost model class '{model_class}'")
    check_loading_allowed()
    model = getattr(importlib.import_module(module_name), class_name)()
    model.load_model(os.path.join(model_dir, conf["data"]))
    return model


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The XGBoost model (a ``Booster`` or an ``XGBModel``) at a URI."""
    from mlrs.models._uri import resolve_model_uri

    return _load_dir(resolve_model_uri(model_uri, dst_path))


class _XGBModelWrapper:
    def __init__(self, xgb_model: Any) -> None:
        self.xgb_model = xgb_model

    def get_raw_model(self) -> Any:
        return self.xgb_model

    def predict(self, dataframe: Any, params: dict[str, Any] | None = None) -> Any:
        import xgboost as xgb

        params = params or {}
        if isinstance(self.xgb_model, xgb.Booster):
            return self.xgb_model.predict(xgb.DMatrix(dataframe), **params)
        import inspect

        accepted = inspect.signature(self.xgb_model.predict).parameters
        unknown = {k for k in params if k not in accepted}
        if unknown:
            _log.logger().warning(
                f"Params {unknown} are not accepted by the xgboost model, ignoring them."
            )
        return self.xgb_model.predict(
            dataframe, **{k: v for k, v in params.items() if k in accepted}
        )


def _load_pyfunc(path: str) -> _XGBModelWrapper:
    """The pyfunc loader (``loader_module: mlflow.xgboost``); `path` is the data file."""
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    return _XGBModelWrapper(_load_dir(model_dir))
