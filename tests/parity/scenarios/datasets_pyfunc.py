"""Datasets split into a pyfunc model's inputs and expected outputs (`to_pyfunc`), importable
from mlflow.data.pyfunc_dataset_mixin."""

import importlib
import warnings

import numpy as np
import pandas as pd

from _parity import mlflow, record

warnings.simplefilter("ignore")  # mlflow warns about integer columns and ambiguous sources

mixin = importlib.import_module(f"{mlflow.__name__}.data.pyfunc_dataset_mixin")
PyFuncInputsOutputs = mixin.PyFuncInputsOutputs


def shown(value: object) -> object:
    if isinstance(value, pd.DataFrame):
        return ["frame", list(value.columns), value.to_numpy().tolist()]
    if isinstance(value, pd.Series):
        return ["series", value.name, value.tolist()]
    if isinstance(value, np.ndarray):
        return ["array", value.tolist()]
    return value


frame = pd.DataFrame({"x": [1, 2], "y": [0.5, 1.5], "label": [0, 1], "pred": [1, 1]})
for title, dataset in [
    ("pandas", mlflow.data.from_pandas(frame, source="data.csv")),
    ("pandas targets", mlflow.data.from_pandas(frame, source="data.csv", targets="label")),
    (
        "pandas targets predictions",
        mlflow.data.from_pandas(frame, source="data.csv", targets="label", predictions="pred"),
    ),
    ("numpy", mlflow.data.from_numpy(np.array([[1, 2], [3, 4]]), source="data.npy")),
    (
        "numpy targets",
        mlflow.data.from_numpy(
            np.array([[1, 2], [3, 4]]), source="data.npy", targets=np.array([0, 1])
        ),
    ),
]:
    split = dataset.to_pyfunc()
    record(
        title, [isinstance(split, PyFuncInputsOutputs), shown(split.inputs), shown(split.outputs)]
    )
