"""``NumpyDataset`` and ``from_numpy``."""

from __future__ import annotations

from mlrs.data.dataset import Dataset
from mlrs.data.pyfunc_dataset_mixin import PyFuncConvertibleDatasetMixin, PyFuncInputsOutputs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.data.dataset_source import DatasetSource
    from mlrs.data.schema import TensorDatasetSchema

_UNSET: Any = object()


class NumpyDataset(Dataset, PyFuncConvertibleDatasetMixin):
    """Array features and optional targets (each an array or a dict of named arrays)."""

    def __init__(
        self,
        features: Any,
        source: DatasetSource,
        targets: Any = None,
        name: str | None = None,
        digest: str | None = None,
    ) -> None:
        self._features = features
        self._targets = targets
        self._schema: Any = _UNSET
        super().__init__(source=source, name=name, digest=digest)

    def _compute_digest(self) -> str:
        from mlrs.data.digest_utils import compute_numpy_digest

        return compute_numpy_digest(self._features, self._targets)

    @property
    def features(self) -> Any:
        """The features."""
        return self._features

    @property
    def targets(self) -> Any:
        """The targets, or None."""
        return self._targets

    @property
    def profile(self) -> Any | None:
        """Shape, size and nbytes of features (and targets), per array for dicts."""

        def attribute(data: Any, name: str) -> Any:
            if isinstance(data, dict):
                return {key: getattr(array, name) for key, array in data.items()}
            return getattr(data, name)

        profile = {
            f"features_{a}": attribute(self._features, a) for a in ("shape", "size", "nbytes")
        }
        if self._targets is not None:
            profile.update(
                {f"targets_{a}": attribute(self._targets, a) for a in ("shape", "size", "nbytes")}
            )
        return profile

    @property
    def schema(self) -> TensorDatasetSchema | None:
        """Tensor specs of features and targets (computed once), or None (with a warning on
        the ``mlrs`` logger, as MLflow warns) when none can be inferred."""
        if self._schema is _UNSET:
            from mlrs.data.schema import TensorDatasetSchema, infer_array_schema
            from mlrs.exceptions import MlflowException

            try:
                targets = None
                if self._targets is not None:
                    targets = infer_array_schema(self._targets)
                self._schema = TensorDatasetSchema(infer_array_schema(self._features), targets)
            except MlflowException as e:
                from mlrs._log import logger

                logger().warning("Failed to infer schema for NumPy dataset. Exception: %s", e)
                self._schema = None
        return self._schema  # type: ignore[no-any-return]

    def to_pyfunc(self) -> PyFuncInputsOutputs:
        """The features as a model's inputs and the targets (if any) as its expected outputs."""
        return PyFuncInputsOutputs(self._features, self._targets)

    def to_dict(self) -> dict[str, str]:
        """The base fields plus ``schema`` (``{"mlflow_tensorspec": ...}`` as JSON text, or
        None) and ``profile`` (JSON text)."""
        import json

        schema = self.schema
        config = super().to_dict()
        config["schema"] = json.dumps(schema.to_dict()) if schema else None  # type: ignore[assignment]
        config["profile"] = json.dumps(self.profile)
        return config


def from_numpy(
    features: Any,
    source: str | DatasetSource | None = None,
    targets: Any = None,
    name: str | None = None,
    digest: str | None = None,
) -> NumpyDataset:
    """A dataset of numpy features and optional targets, as ``mlflow.data.from_numpy``.

    Args:
        features: an array or a dict of named arrays.
        source: a path, a URI or a ``DatasetSource``; by default the calling code.
        targets: an array or a dict of named arrays, optional.
        name: the dataset's name (``"dataset"`` when None).
        digest: its digest; computed as MLflow computes it when None (needs pandas).
    """
    from mlrs.data.pandas_dataset import resolve_source

    return NumpyDataset(
        features=features, source=resolve_source(source), targets=targets, name=name, digest=digest
    )
