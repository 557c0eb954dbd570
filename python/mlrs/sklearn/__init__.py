"""``mlrs.sklearn``: scikit-learn models in MLflow 3.18's ``sklearn`` flavor (``model.skops`` by
default, ``model.pkl`` with ``serialization_format="cloudpickle"`` or ``"pickle"``), with the
``python_function`` flavor MLflow's ``mlflow.sklearn`` loader reads."""

from __future__ import annotations

import os

from mlrs import _log
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from mlrs.sklearn._autolog import autolog as autolog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.models.model import Model, ModelInfo
    from mlrs.models.signature import ModelSignature

FLAVOR_NAME = "sklearn"

SERIALIZATION_FORMAT_SKOPS = "skops"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SUPPORTED_SERIALIZATION_FORMATS = [
    SERIALIZATION_FORMAT_SKOPS,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
]

_PICKLE_MODEL_DATA_SUBPATH = "model.pkl"
_SKOPS_MODEL_DATA_SUBPATH = "model.skops"

_UNSAFE_FORMAT_WARNING = (
    "Saving scikit-learn models in the pickle or cloudpickle format requires exercising "
    "caution because these formats rely on Python's object serialization mechanism, "
    "which can execute arbitrary code during deserialization. "
    "The recommended safe alternative is the 'skops' format. "
    "For more information, see: https://scikit-learn.org/stable/model_persistence.html"
)


def _unrecognized_format(serialization_format: Any) -> MlflowException:
    return MlflowException(
        f"Unrecognized serialization format: {serialization_format}. Please specify one"
        f" of the following supported formats: {SUPPORTED_SERIALIZATION_FORMATS}.",
        INVALID_PARAMETER_VALUE,
    )


def get_default_pip_requirements(
    include_cloudpickle: bool = False, include_skops: bool = False
) -> list[str]:
    """The requirements of a saved model, pinned to the installed versions."""
    from mlrs.models._env import default_requirements

    return default_requirements(
        "scikit-learn", cloudpickle=include_cloudpickle, skops=include_skops
    )


def get_default_conda_env(
    include_cloudpickle: bool = False, include_skops: bool = False
) -> dict[str, Any]:
    from mlrs.models._env import default_conda_env

    return default_conda_env(get_default_pip_requirements(include_cloudpickle, include_skops))


def _serializer(serialization_format: str) -> Any:
    """The module that reads and writes a format (skops.io, cloudpickle; pickle is built in),
    or MissingExtraError naming the pip command when it is not installed."""
    from mlrs._extras import require

    module = "skops.io" if serialization_format == SERIALIZATION_FORMAT_SKOPS else "cloudpickle"
    return require(module, f"A scikit-learn model in the {serialization_format!r} format")


def _dump(
    sk_model: Any,
    output_path: str,
    serialization_format: str,
    skops_trusted_types: list[str] | None,
) -> None:
    """Writes the estimator in the format, checking a skops file loads with the trusted types."""
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        skops_io = _serializer(serialization_format)
        from skops.io.exceptions import UntrustedTypesFoundException

        try:
            skops_io.dump(sk_model, output_path)
            skops_io.load(output_path, trusted=skops_trusted_types)
        except UntrustedTypesFoundException as e:
            if os.path.exists(output_path):
                os.remove(output_path)
            raise MlflowException(
                "The saved sklearn model references untrusted types. If you are sure loading "
                "these types is safe, set the 'skops_trusted_types' parameter when calling "
                f"'log_model' or 'save_model' to the list of trusted types. Root error: {e!s}"
            ) from None
        except Exception as e:
            if os.path.exists(output_path):
                os.remove(output_path)
            raise MlflowException(
                "The sklearn model could not be serialized in the skops serialization format. "
                "skops does not support custom functions or classes that are not defined at the "
                "top level. To work around this limitation, you can set the serialization_format "
                "'cloudpickle', while exercising caution due to the possible arbitrary "
                "code during model deserialization using CloudPickle."
            ) from e
        return
    import pickle

    if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
        dump = _serializer(serialization_format).dump
    else:
        dump = pickle.dump
    with open(output_path, "wb") as out:
        # Python's default protocol, for the widest compatibility (as MLflow does).
        dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)


def save_model(
    sk_model: Any,
    path: str,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    mlflow_model: Model | None = None,
    serialization_format: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    skops_trusted_types: list[str] | None = None,
    extra_files: Any = None,
) -> None:
    """Saves a scikit-learn model into a new directory `path` in MLflow's format."""
    import sklearn

    from mlrs.models import _example, _flavor
    from mlrs.models._env import validate_env_arguments, write_environment
    from mlrs.models.model import MLMODEL_FILE_NAME, Model
    from mlrs.pyfunc import _add_pyfunc_flavor

    validate_env_arguments(conda_env, pip_requirements, extra_pip_requirements)
    if serialization_format is None:
        serialization_format = SERIALIZATION_FORMAT_SKOPS
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise _unrecognized_format(serialization_format)
    if serialization_format != SERIALIZATION_FORMAT_SKOPS:
        _log.logger().warning(_UNSAFE_FORMAT_WARNING)
    _unsupported_extras(code_paths, extra_files)
    path = _flavor.prepare_target(path)
    if mlflow_model is None:
        mlflow_model = Model()
    example = _example.save_example(mlflow_model, input_example, path)
    _example.prepare_signature(mlflow_model, signature, example, sk_model.predict)
    if metadata is not None:
        mlflow_model.metadata = metadata
    subpath = (
        _SKOPS_MODEL_DATA_SUBPATH
        if serialization_format == SERIALIZATION_FORMAT_SKOPS
        else _PICKLE_MODEL_DATA_SUBPATH
    )
    _dump(sk_model, os.path.join(path, subpath), serialization_format, skops_trusted_types)
    if hasattr(sk_model, pyfunc_predict_fn):
        _add_pyfunc_flavor(
            mlflow_model,
            loader_module="mlflow.sklearn",
            model_path=subpath,
            predict_fn=pyfunc_predict_fn,
        )
    else:
        _log.logger().warning(
            f"Model was missing function: {pyfunc_predict_fn}. Not logging python_function flavor!"
        )
    mlflow_model.add_flavor(
        FLAVOR_NAME,
        pickled_model=subpath,
        sklearn_version=sklearn.__version__,
        serialization_format=serialization_format,
        code=None,
        skops_trusted_types=skops_trusted_types,
    )
    mlflow_model.model_size_bytes = _flavor.total_size(path)
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))
    write_environment(
        path,
        sorted(
            get_default_pip_requirements(
                include_cloudpickle=serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE,
                include_skops=serialization_format == SERIALIZATION_FORMAT_SKOPS,
            )
        ),
        conda_env,
        pip_requirements,
        extra_pip_requirements,
    )


def _unsupported_extras(code_paths: Any, extra_files: Any) -> None:
    if code_paths or extra_files:
        raise MlflowException(
            "mlrs does not save `code_paths` or `extra_files` with a model yet.",
            INVALID_PARAMETER_VALUE,
        )


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    serialization_format: str | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    name: str | None = None,
    skops_trusted_types: list[str] | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Logs a scikit-learn model as a LoggedModel of the active run (if any); returns its
    ModelInfo (``model_uri='models:/m-<id>'``)."""
    from mlrs.models import _flavor

    if serialization_format in (None, SERIALIZATION_FORMAT_SKOPS, SERIALIZATION_FORMAT_CLOUDPICKLE):
        # Before the LoggedModel exists: a missing serializer leaves no FAILED model behind.
        _serializer(serialization_format or SERIALIZATION_FORMAT_SKOPS)
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
            "sk_model": sk_model,
            "conda_env": conda_env,
            "code_paths": code_paths,
            "serialization_format": serialization_format,
            "signature": signature,
            "input_example": input_example,
            "pip_requirements": pip_requirements,
            "extra_pip_requirements": extra_pip_requirements,
            "pyfunc_predict_fn": pyfunc_predict_fn,
            "skops_trusted_types": skops_trusted_types,
            "extra_files": extra_files,
            **kwargs,
        },
    )


def _flavor_conf(model_dir: str, flavor: str) -> dict[str, Any]:
    """A flavor's section of the MLmodel file in `model_dir`, with MLflow's errors."""
    from mlrs.models.model import MLMODEL_FILE_NAME, Model

    if not os.path.exists(os.path.join(model_dir, MLMODEL_FILE_NAME)):
        raise MlflowException(f"No such artifact: '{MLMODEL_FILE_NAME}'", RESOURCE_DOES_NOT_EXIST)
    model = Model.load(model_dir)
    if flavor not in model.flavors:
        raise MlflowException(f'Model does not have the "{flavor}" flavor', RESOURCE_DOES_NOT_EXIST)
    conf: dict[str, Any] = model.flavors[flavor]
    return conf


def _load_from_file(
    path: str, serialization_format: str, skops_trusted_types: list[str] | None = None
) -> Any:
    from mlrs.models._flavor import check_loading_allowed

    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise _unrecognized_format(serialization_format)
    check_loading_allowed()
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        return _serializer(serialization_format).load(path, trusted=skops_trusted_types)
    with open(path, "rb") as f:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            return _serializer(serialization_format).load(f)
        import pickle

        return pickle.load(f)


def _load_dir(model_dir: str) -> Any:
    conf = _flavor_conf(model_dir, FLAVOR_NAME)
    return _load_from_file(
        os.path.join(model_dir, conf["pickled_model"]),
        conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE),
        conf.get("skops_trusted_types"),
    )


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The scikit-learn model at a URI (``models:/m-<id>``, ``runs:/<run_id>/<name>``, a path)."""
    from mlrs.models._uri import resolve_model_uri

    return _load_dir(resolve_model_uri(model_uri, dst_path))


class _SklearnModelWrapper:
    """The pyfunc view of an estimator: ``predict`` plus the other predict functions it has."""

    _CUSTOM_PREDICT_FNS = ("predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")

    def __init__(self, sklearn_model: Any) -> None:
        self.sklearn_model = sklearn_model
        for fn_name in self._CUSTOM_PREDICT_FNS:
            fn = getattr(sklearn_model, fn_name, None)
            if fn is not None:
                setattr(self, fn_name, fn)

    def get_raw_model(self) -> Any:
        return self.sklearn_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.sklearn_model.predict(data)


def _load_pyfunc(path: str) -> _SklearnModelWrapper:
    """The pyfunc loader (``loader_module: mlflow.sklearn``): `path` is the model directory or
    the serialized file itself."""
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    try:
        conf = _flavor_conf(model_dir, FLAVOR_NAME)
        serialization_format = conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE)
        trusted = conf.get("skops_trusted_types")
    except MlflowException:
        _log.logger().warning(
            "Could not find scikit-learn flavor configuration during model loading process."
            " Assuming 'pickle' serialization format."
        )
        serialization_format, trusted = SERIALIZATION_FORMAT_PICKLE, None
    if not os.path.isfile(path):
        pyfunc_conf = _flavor_conf(path, "python_function")
        path = os.path.join(path, pyfunc_conf["model_path"])
    return _SklearnModelWrapper(_load_from_file(path, serialization_format, trusted))
