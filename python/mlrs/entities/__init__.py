"""The objects that the tracking API returns and takes, at MLflow's import paths."""

from mlrs.entities.experiment import Experiment
from mlrs.entities.experiment_tag import ExperimentTag
from mlrs.entities.file_info import FileInfo
from mlrs.entities.lifecycle_stage import LifecycleStage
from mlrs.entities.metric import Metric
from mlrs.entities.param import Param
from mlrs.entities.run import Run
from mlrs.entities.run_data import RunData
from mlrs.entities.run_info import RunInfo
from mlrs.entities.run_inputs import RunInputs
from mlrs.entities.run_outputs import RunOutputs
from mlrs.entities.run_status import RunStatus
from mlrs.entities.run_tag import RunTag
from mlrs.entities.source_type import SourceType
from mlrs.entities.view_type import ViewType

__all__ = [
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelOutput",
    "LoggedModelStatus",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "SourceType",
    "ViewType",
]

# Logged-model entities load on first use (they need `enum`, which `import mlrs` avoids).
_LAZY = {
    "LoggedModel": "mlrs.entities.logged_model",
    "LoggedModelOutput": "mlrs.entities.logged_model_output",
    "LoggedModelStatus": "mlrs.entities.logged_model_status",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mlrs.entities' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
