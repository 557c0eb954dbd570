"""``mlrs.models.model`` (MLflow's path): ``Model`` (the MLmodel file), ``ModelInfo`` (what
``log_model`` returns) and ``get_model_info``. The classes live in ``_mlmodel``, below the
logged models and model URIs that ``get_model_info`` reads through."""

from __future__ import annotations

from mlrs.exceptions import MlflowException
from mlrs.models._mlmodel import MLFLOW_FORMAT_VERSION as MLFLOW_FORMAT_VERSION
from mlrs.models._mlmodel import MLMODEL_FILE_NAME as MLMODEL_FILE_NAME
from mlrs.models._mlmodel import Model as Model
from mlrs.models._mlmodel import ModelInfo as ModelInfo


def get_model_info(model_uri: str) -> ModelInfo:
    """The ModelInfo of a model by URI (``models:/m-...``, ``runs:/...``, a local path)."""
    from mlrs.models._uri import resolve_model_uri

    model = Model.load(resolve_model_uri(model_uri))
    logged = None
    if model.model_id:
        from mlrs import _logged_models as _logged

        try:
            logged = _logged.get_logged_model(model.model_id)
        except MlflowException:
            logged = None
    return model.get_model_info(logged)
