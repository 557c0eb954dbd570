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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mlrs.entities.dataset import Dataset
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.input_tag import InputTag
    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.logged_model_input import LoggedModelInput
    from mlrs.entities.logged_model_output import LoggedModelOutput
    from mlrs.entities.logged_model_status import LoggedModelStatus

# Entities of run inputs and logged models are imported on first use: they are not needed to
# log runs, and the model ones need `enum`, which `import mlrs` avoids.
_LAZY = {
    "Dataset": "dataset",
    "DatasetInput": "dataset_input",
    "InputTag": "input_tag",
    "LoggedModel": "logged_model",
    "LoggedModelInput": "logged_model_input",
    "LoggedModelOutput": "logged_model_output",
    "LoggedModelStatus": "logged_model_status",
}


def __getattr__(name: str) -> object:
    import importlib

    if name == "model_registry":  # the subpackage, as `mlflow.entities.model_registry`
        return importlib.import_module("mlrs.entities.model_registry")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mlrs.entities' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mlrs.entities.{module}"), name)


__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
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
