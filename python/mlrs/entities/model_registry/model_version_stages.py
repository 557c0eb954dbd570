"""The (deprecated) model version stages, as MLflow spells them."""

from __future__ import annotations

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
STAGE_DELETED_INTERNAL = "Deleted_Internal"
ALL_STAGES = [STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED]
DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS = [STAGE_STAGING, STAGE_PRODUCTION]


def get_canonical_stage(stage: str) -> str:
    """The stage spelled as stored (``production`` → ``Production``)."""
    for known in ALL_STAGES:
        if known.lower() == stage.lower():
            return known
    raise MlflowException(
        f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(ALL_STAGES)}.",
        INVALID_PARAMETER_VALUE,
    )
