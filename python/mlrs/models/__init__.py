"""``mlrs.models``: the MLmodel format (``Model``), ``ModelInfo``, signatures and
``infer_signature``, at MLflow's import paths."""

from mlrs.models.model import Model, ModelInfo, get_model_info
from mlrs.models.signature import ModelSignature, infer_signature

__all__ = ["Model", "ModelInfo", "ModelSignature", "get_model_info", "infer_signature"]
