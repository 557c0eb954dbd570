"""Column and tensor specs of model signatures, at MLflow's import path (``mlflow.types``)."""

from mlrs.types.schema import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"]
