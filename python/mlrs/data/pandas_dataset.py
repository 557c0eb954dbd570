"""``PandasDataset`` and ``from_pandas``."""

from __future__ import annotations

from mlrs.data.dataset import Dataset
from mlrs.data.pyfunc_dataset_mixin import PyFuncConvertibleDatasetMixin, PyFuncInputsOutputs
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.data.dataset_source import DatasetSource
    from mlrs.data.schema import Schema

_UNSET: Any = object()


class PandasDataset(Dataset, PyFuncConvertibleDatasetMixin):
    """A pandas DataFrame for tracking, with optional target and prediction column names."""

    def __init__(
        self,
        df: Any,
        source: DatasetSource,
        targets: str | None = None,
        name: str | None = None,
        digest: str | None = None,
        predictions: str | None = None,
    ) -> None:
        for role, column in (("targets", targets), ("predictions", predictions)):
            if column is not None and column not in df.columns:
                raise MlflowException(
                    f"The specified pandas DataFrame does not contain the specified {role} "
                    f"column '{column}'.",
                    INVALID_PARAMETER_VALUE,
                )
        self._df = df
        self._targets = targets
        self._predictions = predictions
        self._schema: Any = _UNSET
        super().__init__(source=source, name=name, digest=digest)

    def _compute_digest(self) -> str:
        from mlrs.data.digest_utils import compute_pandas_digest

        return compute_pandas_digest(self._df)

    @property
    def df(self) -> Any:
        """The DataFrame."""
        return self._df

    @property
    def targets(self) -> str | None:
        """Name of the target column, or None."""
        return self._targets

    @property
    def predictions(self) -> str | None:
        """Name of the predictions column, or None."""
        return self._predictions

    @property
    def profile(self) -> Any | None:
        """``{"num_rows": ..., "num_elements": ...}``."""
        return {"num_rows": len(self._df), "num_elements": int(self._df.size)}

    @property
    def schema(self) -> Schema | None:
        """Column specs inferred from the frame (computed once), or None when MLflow would
        infer none."""
        if self._schema is _UNSET:
            from mlrs.data.schema import infer_frame_schema

            self._schema = infer_frame_schema(self._df)
        return self._schema  # type: ignore[no-any-return]

    def to_pyfunc(self) -> PyFuncInputsOutputs:
        """The DataFrame as a model's inputs and, with ``targets``, that column as the outputs
        expected (the inputs are then the other columns)."""
        if self._targets:
            return PyFuncInputsOutputs(
                self._df.drop(columns=[self._targets]), self._df[self._targets]
            )
        return PyFuncInputsOutputs(self._df)

    def to_dict(self) -> dict[str, str]:
        """The base fields plus ``schema`` (``{"mlflow_colspec": [...]}`` as JSON text, or None)
        and ``profile`` (JSON text)."""
        import json

        schema = self.schema
        config = super().to_dict()
        config["schema"] = (
            json.dumps({"mlflow_colspec": schema.to_dict()}) if schema else None  # type: ignore[assignment]
        )
        config["profile"] = json.dumps(self.profile)
        return config


def resolve_source(source: Any) -> DatasetSource:
    """A DatasetSource as given, one resolved from a path or URI, or (for None) the code that
    is running, described by the same context tags a run gets."""
    from mlrs.data.dataset_source import DatasetSource

    if isinstance(source, DatasetSource):
        return source
    if source is None:
        from mlrs._context import resolve_tags
        from mlrs.data.sources import CodeDatasetSource

        return CodeDatasetSource(tags=resolve_tags({}))
    from mlrs.data.dataset_source_registry import resolve_dataset_source

    return resolve_dataset_source(source)


def from_pandas(
    df: Any,
    source: str | DatasetSource | None = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> PandasDataset:
    """A dataset of a DataFrame, as ``mlflow.data.from_pandas``.

    Args:
        df: the DataFrame.
        source: where it came from: a path, a URI (``s3://``, ``https://``, ...) or a
            ``DatasetSource``; by default the code that calls this (user, script, git commit).
        targets: name of the target column (must be in ``df``).
        name: the dataset's name (``"dataset"`` when None).
        digest: its digest; computed from the data (as MLflow computes it) when None.
        predictions: name of a column of model predictions (must be in ``df``).
    """
    return PandasDataset(
        df=df,
        source=resolve_source(source),
        targets=targets,
        name=name,
        digest=digest,
        predictions=predictions,
    )


def from_dict(
    data: dict[str, Any],
    source: str | DatasetSource | None = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> PandasDataset:
    """A dataset of a dict of columns (an mlrs extension: MLflow has no ``from_dict``).

    ``from_dict(d, ...)`` is ``from_pandas(pandas.DataFrame(d), ...)``: the dataset is a
    ``PandasDataset``, and its digest, schema and profile are the ones MLflow computes for that
    DataFrame. Needs pandas.
    """
    import pandas as pd

    if not isinstance(data, dict):
        raise MlflowException(
            f"from_dict expects a dict of columns, got {type(data).__name__}",
            INVALID_PARAMETER_VALUE,
        )
    return from_pandas(
        pd.DataFrame(data),
        source=source,
        targets=targets,
        name=name,
        digest=digest,
        predictions=predictions,
    )
