"""``Metric``: one logged value of a metric."""

from __future__ import annotations

import gc
from itertools import starmap

from mlrs.entities._mlflow_object import _MlflowObject
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


# The properties in the order of `Metric._row`.
_FIELD_NAMES = (
    "key",
    "value",
    "timestamp",
    "step",
    "model_id",
    "dataset_name",
    "dataset_digest",
    "run_id",
)


class Metric(_MlflowObject):
    """A metric value at a timestamp (ms since the epoch) and step.

    ``dataset_name`` and ``dataset_digest`` go together: give both or neither.
    """

    # One tuple, in `_fields` order: the engine reads a batch of Metrics with one attribute
    # lookup each (`Store.log_metric_entities`), and `_from_row` builds one with one store.
    __slots__ = ("_row",)
    _row: tuple[str, float, int, int, str | None, str | None, str | None, str | None]

    def __init__(
        self,
        key: str,
        value: float,
        timestamp: int,
        step: int,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        run_id: str | None = None,
    ) -> None:
        if (dataset_name is None) != (dataset_digest is None):
            raise MlflowException(
                "Both dataset_name and dataset_digest must be provided if one is provided",
                INVALID_PARAMETER_VALUE,
            )
        self._row = (key, value, timestamp, step, model_id, dataset_name, dataset_digest, run_id)

    @classmethod
    def _from_row(cls, key: str, value: float, timestamp: int, step: int) -> Metric:
        """Fast constructor for trusted rows from the store: no checks, no optional fields."""
        metric = object.__new__(cls)
        metric._row = (key, value, timestamp, step, None, None, None, None)
        return metric

    @classmethod
    def _from_rows(cls, rows: Iterable[tuple[str, float, int, int]]) -> list[Metric]:
        """Build Metrics from ``(key, value, timestamp, step)`` rows, as ``_from_row`` does.

        The cyclic GC is paused meanwhile: Metrics cannot form cycles, and the collections that
        a million new objects trigger would cost about three times the building itself.
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return list(starmap(cls._from_row, rows))
        finally:
            if paused:
                gc.enable()

    @property
    def key(self) -> str:
        """Name of the metric."""
        return self._row[0]

    @property
    def value(self) -> float:
        """The logged value."""
        return self._row[1]

    @property
    def timestamp(self) -> int:
        """When the value was logged, in milliseconds since the Unix epoch."""
        return self._row[2]

    @property
    def step(self) -> int:
        """Step (x coordinate) of the value."""
        return self._row[3]

    @property
    def model_id(self) -> str | None:
        """ID of the logged model the value belongs to, if any."""
        return self._row[4]

    @property
    def dataset_name(self) -> str | None:
        """Name of the dataset the value was computed on, if any."""
        return self._row[5]

    @property
    def dataset_digest(self) -> str | None:
        """Digest of the dataset the value was computed on, if any."""
        return self._row[6]

    @property
    def run_id(self) -> str | None:
        """ID of the run the value belongs to, when known."""
        return self._row[7]

    def _fields(self) -> tuple[Any, ...]:
        return self._row

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._fields() == other._fields()
        return False

    def __hash__(self) -> int:
        return hash(self._fields())

    def to_dictionary(self) -> dict[str, Any]:
        """All eight fields as a dict, keyed by property name."""
        return dict(zip(_FIELD_NAMES, self._row, strict=True))

    @classmethod
    def from_dictionary(cls, metric_dict: dict[str, Any]) -> Metric:
        """Build a Metric from a dict that has at least key, value, timestamp and step."""
        missing = [k for k in ("key", "value", "timestamp", "step") if k not in metric_dict]
        if missing:
            raise MlflowException(
                f"Missing required keys {missing} in metric dictionary", INVALID_PARAMETER_VALUE
            )
        return cls(**metric_dict)
