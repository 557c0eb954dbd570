"""Model registry entities at MLflow's import paths (``mlrs.entities.model_registry``)."""

from mlrs.entities.model_registry.model_version import ModelVersion
from mlrs.entities.model_registry.model_version_tag import ModelVersionTag
from mlrs.entities.model_registry.registered_model import RegisteredModel
from mlrs.entities.model_registry.registered_model_alias import RegisteredModelAlias
from mlrs.entities.model_registry.registered_model_tag import RegisteredModelTag

__all__ = [
    "ModelVersion",
    "ModelVersionTag",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
]
