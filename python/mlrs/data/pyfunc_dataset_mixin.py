"""``mlrs.data.pyfunc_dataset_mixin``: a dataset split into a model's inputs and the outputs
expected of it (``PandasDataset.to_pyfunc``, ``NumpyDataset.to_pyfunc``), at MLflow's path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PyFuncInputsOutputs:
    """What a pyfunc model is given (``inputs``) and, when the dataset names them, what it
    should answer (``outputs``)."""

    inputs: Any
    outputs: Any = None


class PyFuncConvertibleDatasetMixin:
    """A dataset that splits into ``PyFuncInputsOutputs``."""

    def to_pyfunc(self) -> PyFuncInputsOutputs:
        """The dataset's model inputs and expected outputs."""
        raise NotImplementedError
