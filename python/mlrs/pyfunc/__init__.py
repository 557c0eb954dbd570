"""``mlrs.pyfunc``: load any model mlrs or MLflow saved with a ``python_function`` flavor of the
sklearn, xgboost or lightgbm loaders, and predict with it (``PyFuncModel``)."""

from __future__ import annotations

import os
import sys

from mlrs import _log
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from mlrs.models.model import Model, ModelInfo

FLAVOR_NAME = "python_function"
MAIN = "loader_module"
DATA = "data"
PY_VERSION = "python_version"
ENV = "env"

# The loader modules MLmodel files name (MLflow's, which mlrs also writes so MLflow loads mlrs's
# models) and the mlrs modules that implement them.
_LOADERS = {
    "mlflow.sklearn": "mlrs.sklearn",
    "mlflow.xgboost": "mlrs.xgboost",
    "mlflow.lightgbm": "mlrs.lightgbm",
    "mlrs.sklearn": "mlrs.sklearn",
    "mlrs.xgboost": "mlrs.xgboost",
    "mlrs.lightgbm": "mlrs.lightgbm",
    "mlflow.pyfunc.model": "mlrs.pyfunc.model",
}


def _add_pyfunc_flavor(
    model: Model, loader_module: str, data: str | None = None, **params: Any
) -> Model:
    """Adds the ``python_function`` flavor as MLflow writes it."""
    from platform import python_version

    from mlrs.models._env import CONDA_ENV_FILE_NAME, PYTHON_ENV_FILE_NAME

    conf: dict[str, Any] = {MAIN: loader_module, PY_VERSION: python_version()}
    if data is not None:
        conf[DATA] = data
    conf[ENV] = {"conda": CONDA_ENV_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME}
    conf.update({k: v for k, v in params.items() if v is not None})
    return model.add_flavor(FLAVOR_NAME, **conf)


def _enforce_schema(data: Any, schema: Any) -> Any:
    """MLflow's main input checks: named columns present (and put in the schema's order, extras
    dropped with a WARNING), lists made arrays for tensor schemas."""
    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    if schema.is_tensor_spec():
        if isinstance(data, list) and np is not None and len(schema.inputs) == 1:
            return np.asarray(data, dtype=schema.inputs[0].type)
        return data
    if not schema.has_input_names():
        return data
    names = [spec.name for spec in schema.inputs]
    if isinstance(data, dict) and pd is not None:
        data = pd.DataFrame(data if all(isinstance(v, list) for v in data.values()) else [data])
    if pd is None or not isinstance(data, pd.DataFrame):
        return data
    required = [spec.name for spec in schema.inputs if spec.required]
    missing = [n for n in required if n not in data.columns]
    if missing:
        raise MlflowException(f"Model is missing inputs {missing}.")
    extra = [c for c in data.columns if c not in names]
    if extra:
        _log.logger().warning(
            "Found extra inputs in the model input that are not defined in the model signature: "
            f"`{extra}`. These inputs will be ignored."
        )
    return data[[n for n in names if n in data.columns]]


class PyFuncModel:
    """A loaded model behind MLflow's ``python_function`` interface: ``predict(data)`` and the
    model's ``metadata`` (its MLmodel)."""

    def __init__(
        self,
        model_meta: Model,
        model_impl: Any,
        predict_fn: str = "predict",
        predict_stream_fn: str | None = None,
        model_id: str | None = None,
    ) -> None:
        if not hasattr(model_impl, predict_fn):
            raise MlflowException(f"Model implementation is missing required {predict_fn} method.")
        if not model_meta:
            raise MlflowException("Model is missing metadata.")
        self._model_meta = model_meta
        self._model_impl = model_impl
        self._predict_fn = getattr(model_impl, predict_fn)
        self._model_id = model_id

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predictions for `data` (a pandas DataFrame or Series, a numpy array, a list or dict),
        checked against the model's input schema first."""
        schema = self._model_meta.get_input_schema()
        if schema is not None:
            try:
                data = _enforce_schema(data, schema)
            except Exception as e:
                raise MlflowException(
                    f"Failed to enforce schema of data '{data}' with schema '{schema}'. Error: {e}",
                    INVALID_PARAMETER_VALUE,
                ) from None
        if params:
            return self._predict_fn(data, params=params)
        return self._predict_fn(data)

    @property
    def metadata(self) -> Model:
        """The model's MLmodel (``mlrs.models.Model``)."""
        return self._model_meta

    @property
    def model_id(self) -> str | None:
        return self._model_id

    @property
    def loader_module(self) -> str | None:
        conf = self._model_meta.flavors.get(FLAVOR_NAME, {})
        return conf.get(MAIN)  # type: ignore[no-any-return]

    @property
    def model_config(self) -> dict[str, Any]:
        return {}

    @property
    def input_example(self) -> Any:
        info = self._model_meta.saved_input_example_info
        return None if info is None else info

    def get_raw_model(self) -> Any:
        """The underlying model (the estimator, booster, ...)."""
        getter = getattr(self._model_impl, "get_raw_model", None)
        if getter is None:
            raise MlflowException("get_raw_model is not supported for this model type.")
        return getter()

    def unwrap_python_model(self) -> Any:
        """The ``PythonModel`` instance of a custom model."""
        unwrap = getattr(self._model_impl, "unwrap_python_model", None)
        if unwrap is not None:
            return unwrap()
        raise MlflowException(
            "NOTE: `unwrap_python_model` only works with custom Python models (PythonModel). "
            f"This model has the loader module {self.loader_module}."
        )

    def __repr__(self) -> str:
        lines = ["mlflow.pyfunc.loaded_model:"]
        if self._model_meta.artifact_path:
            lines.append(f"  artifact_path: {self._model_meta.artifact_path}")
        lines.append(f"  flavor: {self.loader_module}")
        if self._model_meta.run_id:
            lines.append(f"  run_id: {self._model_meta.run_id}")
        return "\n".join(lines) + "\n"


def load_model(
    model_uri: str | Path,
    suppress_warnings: bool = False,
    dst_path: str | None = None,
    model_config: str | Path | dict[str, Any] | None = None,
) -> PyFuncModel:
    """Loads a model (``models:/m-<id>``, ``runs:/<run_id>/<name>``, a local path) as a
    ``PyFuncModel``."""
    import importlib

    from mlrs.models._uri import resolve_model_uri
    from mlrs.models.model import Model

    local = resolve_model_uri(model_uri, dst_path)
    meta = Model.load(local)
    conf = meta.flavors.get(FLAVOR_NAME)
    if conf is None:
        raise MlflowException(
            f'Model does not have the "{FLAVOR_NAME}" flavor', RESOURCE_DOES_NOT_EXIST
        )
    loader = conf.get(MAIN)
    module_name = _LOADERS.get(str(loader))
    if module_name is None:
        raise MlflowException(
            f"mlrs cannot load models of the loader module '{loader}'; it loads the "
            f"{sorted({k for k in _LOADERS if k.startswith('mlflow.')})} flavors.",
            INVALID_PARAMETER_VALUE,
        )
    data_path = os.path.join(local, conf[DATA]) if DATA in conf else local
    impl = importlib.import_module(module_name)._load_pyfunc(data_path)
    predict_fn = conf.get("predict_fn", "predict")
    return PyFuncModel(meta, impl, predict_fn=predict_fn, model_id=meta.model_id)


def save_model(
    path: str,
    loader_module: str | None = None,
    data_path: str | None = None,
    code_paths: list[str] | None = None,
    infer_code_paths: bool = False,
    conda_env: Any = None,
    mlflow_model: Model | None = None,
    python_model: PythonModel | None = None,
    artifacts: dict[str, Any] | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Saves a custom ``PythonModel`` (with its ``artifacts``) into a new directory ``path``
    in MLflow's format.

    Raises:
        MlflowException: no ``python_model``, or the ``loader_module``/``data_path`` form
            (not supported by mlrs), or a missing artifact (INVALID_PARAMETER_VALUE).
    """
    from mlrs.pyfunc import model as _model

    _only_python_models(loader_module, data_path, python_model)
    assert python_model is not None
    _model.save_model(
        path,
        python_model,
        artifacts=artifacts,
        mlflow_model=mlflow_model,
        signature=signature,
        input_example=input_example,
        conda_env=conda_env,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        model_config=model_config,
        code_paths=code_paths,
    )


def _only_python_models(loader_module: Any, data_path: Any, python_model: Any) -> None:
    if loader_module is not None or data_path is not None:
        raise MlflowException(
            "mlrs saves custom models given as `python_model` (a PythonModel); the "
            "`loader_module`/`data_path` form is not supported.",
            INVALID_PARAMETER_VALUE,
        )
    if python_model is None:
        raise MlflowException(
            "Either `loader_module` or `python_model` must be specified. A `loader_module` "
            "should be a python module. A `python_model` should be a subclass of PythonModel",
            INVALID_PARAMETER_VALUE,
        )


def log_model(
    artifact_path: str | None = None,
    loader_module: str | None = None,
    data_path: str | None = None,
    code_paths: list[str] | None = None,
    infer_code_paths: bool = False,
    conda_env: Any = None,
    python_model: PythonModel | None = None,
    artifacts: dict[str, Any] | None = None,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    prompts: list[Any] | None = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Logs a custom ``PythonModel`` as a LoggedModel of the active run (if any).

    Args:
        name: The model's name (``runs:/<run>/<name>`` then finds it).
        python_model: An instance of a ``PythonModel`` subclass; pickled with cloudpickle.
        artifacts: Files or directories the model needs, by name; copied into the model and
            given back as ``context.artifacts[name]`` when it is loaded.
        signature, input_example: As for every flavor (a signature is inferred from the
            example by calling ``predict``).
        registered_model_name: Also register it as a new version of this model.
        params, tags, model_type, step, model_id: The LoggedModel's fields, as for every
            flavor.

    Returns:
        The ``ModelInfo`` (``model_uri`` is ``models:/m-<id>``).

    Raises:
        MlflowException: no ``python_model``, a bad name, a missing artifact.
        MissingExtraError: cloudpickle is not installed (``pip install 'mlrs[models]'``).
    """
    from mlrs.models import _flavor

    _only_python_models(loader_module, data_path, python_model)
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
            "python_model": python_model,
            "artifacts": artifacts,
            "code_paths": code_paths,
            "conda_env": conda_env,
            "signature": signature,
            "input_example": input_example,
            "pip_requirements": pip_requirements,
            "extra_pip_requirements": extra_pip_requirements,
            "model_config": model_config,
        },
    )


from mlrs.pyfunc.model import PythonModel, PythonModelContext  # noqa: E402  (after the API)

__all__ = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
]
