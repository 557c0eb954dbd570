"""Datasets for tracking, at ``mlflow.data``'s names: ``from_pandas``, ``from_numpy``,
``from_dict`` (an mlrs extension), ``get_source``; log them with ``mlrs.log_input``.

pandas and numpy are imported only when a dataset is built from them.
"""

from __future__ import annotations

from mlrs.data.dataset import Dataset
from mlrs.data.dataset_source import DatasetSource
from mlrs.data.numpy_dataset import from_numpy
from mlrs.data.pandas_dataset import from_dict, from_pandas

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mlrs.entities.dataset import Dataset as DatasetEntity
    from mlrs.entities.dataset_input import DatasetInput


def get_source(dataset: DatasetEntity | DatasetInput | Dataset) -> DatasetSource:
    """The source of a dataset, a stored dataset entity, or a dataset input."""
    from mlrs.entities.dataset import Dataset as DatasetEntity
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.exceptions import MlflowException
    from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    if isinstance(dataset, DatasetInput):
        dataset = dataset.dataset
    if isinstance(dataset, DatasetEntity):
        from mlrs.data.dataset_source_registry import get_dataset_source_from_json

        return get_dataset_source_from_json(dataset.source, dataset.source_type)
    if isinstance(dataset, Dataset):
        return dataset.source
    raise MlflowException(
        f"Unrecognized dataset type {type(dataset)}. Expected one of: "
        "`mlflow.data.dataset.Dataset`, `mlflow.entities.Dataset`, `mlflow.entities.DatasetInput`.",
        INVALID_PARAMETER_VALUE,
    )


__all__ = ["Dataset", "DatasetSource", "from_dict", "from_numpy", "from_pandas", "get_source"]
