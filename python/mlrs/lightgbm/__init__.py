"""``mlrs.lightgbm``: LightGBM models in MLflow 3.18's ``lightgbm`` flavor: a ``Booster`` in
LightGBM's text format (``model.lgb``), the scikit-learn API as ``model.skops`` by default (or
``model.pkl``)."""

from __future__ import annotations

import os

from mlrs import _log
from mlrs.lightgbm._autolog import autolog as autolog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.models.model import Model, ModelInfo
    from mlrs.models.signature import ModelSignature

FLAVOR_NAME = "lightgbm"

# Types a skops file of a LightGBM scikit-learn model holds beyond skops's defaults.
_SKOPS_TRUSTED_TYPES = {
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
}


def get_default_pip_requirements(
    include_cloudpickle: bool = False, include_skops: bool = False
) -> list[str]:
    """The requirements of a saved model, pinned to the installed versions."""
    from mlrs.models._env import default_requirements

    return default_requirements("lightgbm", cloudpickle=include_cloudpickle, skops=include_skops)


def get_default_conda_env(
    include_cloudpickle: bool = False, include_skops: bool = False
) -> dict[str, Any]:
    from mlrs.models._env import default_conda_env

    return default_conda_env(get_default_pip_requirements(include_cloudpickle, include_skops))


def save_model(
    lgb_model: Any,
    path: str,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    mlflow_model: Model | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    serialization_format: str | None = None,
    skops_trusted_types: list[str] | None = None,
    extra_files: Any = None,
    **kwargs: Any,
) -> None:
    """Saves a LightGBM model into a new directory `path` in MLflow's format."""
    import lightgbm as lgb

    from mlrs import sklearn as sk
    from mlrs.models import _example, _flavor
    from mlrs.models._env import validate_env_arguments, write_environment
    from mlrs.models.model import MLMODEL_FILE_NAME, Model
    from mlrs.pyfunc import _add_pyfunc_flavor

    validate_env_arguments(conda_env, pip_requirements, extra_pip_requirements)
    sk._unsupported_extras(code_paths, extra_files)
    if serialization_format is None:
        serialization_format = sk.SERIALIZATION_FORMAT_SKOPS
    if serialization_format not in sk.SUPPORTED_SERIALIZATION_FORMATS:
        raise sk._unrecognized_format(serialization_format)
    path = _flavor.prepare_target(path)
    is_booster = isinstance(lgb_model, lgb.Booster)
    if is_booster:
        subpath = "model.lgb"
    elif serialization_format == sk.SERIALIZATION_FORMAT_SKOPS:
        subpath = "model.skops"
    else:
        subpath = "model.pkl"
    if mlflow_model is None:
        mlflow_model = Model()
    example = _example.save_example(mlflow_model, input_example, path)
    _example.prepare_signature(
        mlflow_model, signature, example, _LGBModelWrapper(lgb_model).predict
    )
    if metadata is not None:
        mlflow_model.metadata = metadata
    if serialization_format == sk.SERIALIZATION_FORMAT_SKOPS:
        skops_trusted_types = sorted(_SKOPS_TRUSTED_TYPES.union(skops_trusted_types or ()))
    if is_booster:
        lgb_model.save_model(os.path.join(path, subpath))
    else:
        if serialization_format != sk.SERIALIZATION_FORMAT_SKOPS:
            _log.logger().warning(
                "Saving the models in the pickle or cloudpickle format requires exercising "
                "caution because these formats rely on Python's object serialization mechanism, "
                "which can execute arbitrary code during deserialization. "
                "The recommended safe alternative is the 'skops' format. "
                "For more information, see: "
                "https://scikit-learn.org/stable/model_persistence.html",
            )
        sk._dump(lgb_model, os.path.join(path, subpath), serialization_format, skops_trusted_types)
    _add_pyfunc_flavor(mlflow_model, loader_module="mlflow.lightgbm", data=subpath)
    mlflow_model.add_flavor(
        FLAVOR_NAME,
        lgb_version=lgb.__version__,
        data=subpath,
        model_class=f"{type(lgb_model).__module__}.{type(lgb_model).__name__}",
        code=None,
        serialization_format=serialization_format,
        skops_trusted_types=skops_trusted_types,
    )
    mlflow_model.model_size_bytes = _flavor.total_size(path)
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))
    write_environment(
        path,
        sorted(
            get_default_pip_requirements(
                include_cloudpickle=(not is_booster)
                and serialization_format == sk.SERIALIZATION_FORMAT_CLOUDPICKLE,
                include_skops=(not is_booster)
                and serialization_format == sk.SERIALIZATION_FORMAT_SKOPS,
            )
        ),
        conda_env,
        pip_requirements,
        extra_pip_requirements,
    )


def log_model(
    lgb_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    extra_files: Any = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    serialization_format: str | None = None,
    skops_trusted_types: list[str] | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Logs a LightGBM model as a LoggedModel of the active run (if any)."""
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
            "lgb_model": lgb_model,
            "conda_env": conda_env,
            "code_paths": code_paths,
            "signature": signature,
            "input_example": input_example,
            "pip_requirements": pip_requirements,
            "extra_pip_requirements": extra_pip_requirements,
            "serialization_format": serialization_format,
            "skops_trusted_types": skops_trusted_types,
            "extra_files": extra_files,
            **kwargs,
        },
    )


def _load_dir(model_dir: str) -> Any:
    from mlrs import sklearn as sk
    from mlrs.models._flavor import check_loading_allowed

    conf = sk._flavor_conf(model_dir, FLAVOR_NAME)
    model_class = conf.get("model_class", "lightgbm.basic.Booster")
    data = os.path.join(model_dir, conf["data"])
    if model_class == "lightgbm.basic.Booster":
        import lightgbm as lgb

        check_loading_allowed()
        return lgb.Booster(model_file=data)
    return sk._load_from_file(
        data,
        conf.get("serialization_format", sk.SERIALIZATION_FORMAT_CLOUDPICKLE),
        conf.get("skops_trusted_types"),
    )


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The LightGBM model (a ``Booster`` or an ``LGBMModel``) at a URI."""
    from mlrs.models._uri import resolve_model_uri

    return _load_dir(resolve_model_uri(model_uri, dst_path))


class _LGBModelWrapper:
    def __init__(self, lgb_model: Any) -> None:
        self.lgb_model = lgb_model

    def get_raw_model(self) -> Any:
        return self.lgb_model

    def predict(self, dataframe: Any, params: dict[str, Any] | None = None) -> Any:
        return self.lgb_model.predict(dataframe)


def _load_pyfunc(path: str) -> _LGBModelWrapper:
    """The pyfunc loader (``loader_module: mlflow.lightgbm``); `path` is the data file."""
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    return _LGBModelWrapper(_load_dir(model_dir))
