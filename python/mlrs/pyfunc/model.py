"""Custom Python models (``mlrs.pyfunc.PythonModel``), saved in MLflow 3.18's format: the model
object pickled with cloudpickle (``python_model.pkl``), its artifacts copied under
``artifacts/``, and a ``python_function`` flavor whose loader is ``mlflow.pyfunc.model``."""

from __future__ import annotations

import os
import pickle
import shutil

from mlrs import _log
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.models.model import Model
    from mlrs.models.signature import ModelSignature

LOADER_MODULE = "mlflow.pyfunc.model"
PICKLE_FILE = "python_model.pkl"
ARTIFACTS_DIR = "artifacts"
_PICKLE_WARNING = (
    "Passing a Python object as `python_model` causes it to be serialized using CloudPickle, "
    "it requires exercising caution as Python object serialization mechanisms may execute "
    "arbitrary code during deserialization.Consider using a file path (str or Path) instead. "
    "See https://mlflow.org/docs/latest/ml/model/models-from-code/ for details."
)


class PythonModel:
    """The base of a custom model: subclass it, implement ``predict``, and log an instance
    with ``mlrs.pyfunc.log_model(name=..., python_model=MyModel())``.

    ``load_context(context)`` runs once when the model is loaded (read
    ``context.artifacts[name]``, the local paths of the files logged with ``artifacts=``);
    ``predict(context, model_input, params=None)`` returns the predictions.
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Prepares the model after loading (a no-op unless overridden).

        Args:
            context: The artifacts' local paths and the model config.
        """

    def predict(self, context: PythonModelContext, model_input: Any, params: Any = None) -> Any:
        """The predictions for ``model_input``; subclasses must implement it.

        Args:
            context: The same context ``load_context`` got.
            model_input: What the caller passed to ``PyFuncModel.predict``.
            params: Inference parameters, if the caller gave any.

        Raises:
            NotImplementedError: not overridden.
        """
        raise NotImplementedError("A PythonModel subclass must implement `predict`.")


class PythonModelContext:
    """What a loaded custom model sees: its artifacts as local paths, and its config."""

    def __init__(self, artifacts: dict[str, str], model_config: dict[str, Any]) -> None:
        self._artifacts = artifacts
        self._model_config = model_config

    @property
    def artifacts(self) -> dict[str, str]:
        """Artifact name to the absolute local path of its file or directory."""
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config


def _copy_artifacts(artifacts: dict[str, Any], path: str) -> dict[str, Any]:
    """Copies each artifact (a local path or ``file:`` URI) under ``<path>/artifacts`` and
    returns the flavor's record of them."""
    from mlrs._artifacts import local_artifact_path

    records: dict[str, Any] = {}
    target = os.path.join(path, ARTIFACTS_DIR)
    for name, uri in artifacts.items():
        source = local_artifact_path(str(uri))
        if not os.path.exists(source):
            raise MlflowException(
                f"The artifact {name!r} at {uri!r} does not exist.", INVALID_PARAMETER_VALUE
            )
        os.makedirs(target, exist_ok=True)
        destination = os.path.join(target, os.path.basename(source.rstrip(os.sep)))
        if os.path.isdir(source):
            shutil.copytree(source, destination)
        else:
            shutil.copy2(source, destination)
        relative = os.path.relpath(destination, path).replace(os.sep, "/")
        records[name] = {"path": relative, "uri": str(uri)}
    return records


def save_model(
    path: str,
    python_model: PythonModel,
    artifacts: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    conda_env: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    code_paths: list[str] | None = None,
) -> None:
    """Saves a custom model into a new directory ``path`` in MLflow's format."""
    import platform

    from mlrs._extras import require
    from mlrs.models import _example, _flavor
    from mlrs.models._env import (
        CONDA_ENV_FILE_NAME,
        PYTHON_ENV_FILE_NAME,
        package_version,
        pinned,
        validate_env_arguments,
        write_environment,
    )
    from mlrs.models.model import MLMODEL_FILE_NAME, Model

    if not isinstance(python_model, PythonModel):
        raise MlflowException(
            "`python_model` must be a PythonModel instance (a subclass of "
            f"mlrs.pyfunc.PythonModel), got {type(python_model).__name__}.",
            INVALID_PARAMETER_VALUE,
        )
    if code_paths:
        raise MlflowException(
            "mlrs does not save `code_paths` with a model yet.", INVALID_PARAMETER_VALUE
        )
    validate_env_arguments(conda_env, pip_requirements, extra_pip_requirements)
    cloudpickle = require("cloudpickle", "A custom Python model (PythonModel)")
    path = _flavor.prepare_target(path)
    if mlflow_model is None:
        mlflow_model = Model()
    _log.logger().getChild("pyfunc").warning(_PICKLE_WARNING)
    records = _copy_artifacts(dict(artifacts or {}), path)
    context = PythonModelContext(
        {name: os.path.join(path, r["path"]) for name, r in records.items()},
        dict(model_config or {}),
    )
    example = _example.save_example(mlflow_model, input_example, path)
    loaded: list[bool] = []

    def predict(data: Any) -> Any:
        # As at load time: the model's context first, then a prediction on the example.
        if not loaded:
            python_model.load_context(context)
            loaded.append(True)
        return python_model.predict(context, data)

    _example.prepare_signature(mlflow_model, signature, example, predict)
    if metadata is not None:
        mlflow_model.metadata = metadata
    with open(os.path.join(path, PICKLE_FILE), "wb") as out:
        _pickler(cloudpickle, out).dump(python_model)
    conf: dict[str, Any] = {"cloudpickle_version": package_version("cloudpickle")}
    if records:
        conf["artifacts"] = records
    conf.update(
        {
            "code": None,
            "env": {"conda": CONDA_ENV_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME},
            "loader_module": LOADER_MODULE,
            "python_model": PICKLE_FILE,
            "python_version": platform.python_version(),
            "streamable": callable(getattr(python_model, "predict_stream", None)),
        }
    )
    if model_config:
        conf["model_config"] = dict(model_config)
    mlflow_model.add_flavor("python_function", **conf)
    mlflow_model.model_size_bytes = _flavor.total_size(path)
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))
    write_environment(
        path,
        [pinned("cloudpickle")],
        conda_env,
        pip_requirements,
        extra_pip_requirements,
    )


class _MlflowModule:
    """Pickles as `importlib.import_module("mlflow.pyfunc.model")`."""

    def __reduce__(self) -> tuple[Any, ...]:
        import importlib

        return (importlib.import_module, (LOADER_MODULE,))


def _pickler(cloudpickle: Any, out: Any) -> Any:
    """cloudpickle's pickler, writing mlrs's PythonModel base class as MLflow's
    (`mlflow.pyfunc.model.PythonModel`), so MLflow loads the model with its own base class and
    mlrs with its own (see `_Unpickler`)."""

    class Pickler(cloudpickle.Pickler):  # type: ignore[misc]
        def reducer_override(self, obj: Any) -> Any:
            if obj is PythonModel or obj is PythonModelContext:
                return (getattr, (_MlflowModule(), obj.__name__))
            return super().reducer_override(obj)

    return Pickler(out)


def _import_module(name: str) -> Any:
    import importlib

    if name == "mlflow" or name.startswith("mlflow."):
        try:
            return importlib.import_module("mlrs" + name[len("mlflow") :])
        except ImportError:
            pass
    return importlib.import_module(name)


class _Unpickler(pickle.Unpickler):
    """Reads a model MLflow pickled: its references to ``mlflow.*`` classes (the PythonModel
    base) resolve to mlrs's, so loading needs no MLflow."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("importlib", "import_module"):
            return _import_module  # the base class reference written by _Pickler
        if module == "mlflow" or module.startswith("mlflow."):
            import importlib

            try:
                return getattr(importlib.import_module("mlrs" + module[len("mlflow") :]), name)
            except (ImportError, AttributeError):
                pass
        return super().find_class(module, name)


class _PythonModelWrapper:
    """A loaded custom model behind the ``predict(data, params=None)`` of PyFuncModel."""

    def __init__(self, python_model: PythonModel, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if params:
            return self.python_model.predict(self.context, data, params=params)
        return self.python_model.predict(self.context, data)

    def unwrap_python_model(self) -> PythonModel:
        return self.python_model


def _load_pyfunc(path: str, model_config: dict[str, Any] | None = None) -> _PythonModelWrapper:
    """The loader MLmodel files name (``mlflow.pyfunc.model``): unpickles the model, resolves
    its artifacts to local paths, and runs its ``load_context``."""
    from mlrs.models._flavor import check_loading_allowed
    from mlrs.models.model import Model

    check_loading_allowed()
    conf = Model.load(path).flavors["python_function"]
    with open(os.path.join(path, conf.get("python_model", PICKLE_FILE)), "rb") as f:
        python_model = _Unpickler(f).load()
    artifacts = {
        name: os.path.join(path, record["path"])
        for name, record in (conf.get("artifacts") or {}).items()
    }
    config = {**(conf.get("model_config") or {}), **(model_config or {})}
    context = PythonModelContext(artifacts, config)
    python_model.load_context(context)
    return _PythonModelWrapper(python_model, context)


__all__ = ["PythonModel", "PythonModelContext"]
