"""Logs datasets of every kind to two experiments (for test_interop_datasets)."""

import warnings

import numpy as np
import pandas as pd

from _parity import mlflow

warnings.simplefilter("ignore")  # mlflow warns about integer columns and ambiguous sources

frame = pd.DataFrame({"x": [1.0, 2.0, np.nan], "n": [1, 2, 3], "s": ["a", "b", None]})
features = np.arange(12, dtype="float32").reshape(4, 3)
mlflow.set_experiment("datasets")
with mlflow.start_run(run_name="train"):
    mlflow.log_input(mlflow.data.from_pandas(frame, name="table"), context="training")
    mlflow.log_input(
        mlflow.data.from_numpy(features, targets=np.array([0, 1, 0, 1]), source="s3://b/f.npy"),
        context="train",
        tags={"split": "80/20"},
    )
    mlflow.log_inputs(
        [mlflow.data.from_pandas(frame.head(2), source="https://e.com/d.csv", name="head")],
        contexts=["eval"],
        tags_list=[{"note": "first rows"}],
    )
with mlflow.start_run(run_name="reuse"):
    # The same (name, digest) as in "train": the experiment keeps one datasets row.
    mlflow.log_input(mlflow.data.from_pandas(frame, name="table"), context="test")
    mlflow.log_input(mlflow.data.from_numpy({"a": features}, source="local/data.npy"))
mlflow.set_experiment("other")
with mlflow.start_run(run_name="elsewhere"):
    mlflow.log_input(mlflow.data.from_pandas(frame, name="table"), context="training")
