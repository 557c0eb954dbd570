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


class Metric(_MlflowObject):
    """A metric value at a timestamp (ms since the epoch) and step.

    ``dataset_name`` and ``dataset_digest`` go together: give both or neither.
    """

    __slots__ = (
        "_dataset_digest",
        "_dataset_name",
        "_key",
        "_model_id",
        "_run_id",
        "_step",
        "_timestamp",
        "_value",
    )

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
        self._key = key
        self._value = value
        self._timestamp = timestamp
        self._step = step
        self._model_id = model_id
        self._dataset_name = dataset_name
        self._dataset_digest = dataset_digest
        self._run_id = run_id

    @classmethod
    def _from_row(cls, key: str, value: float, timestamp: int, step: int) -> Metric:
        """Fast constructor for trusted rows from the store: no checks, no optional fields."""
        metric = object.__new__(cls)
        metric._key = key
        metric._value = value
        metric._timestamp = timestamp
        metric._step = step
        metric._model_id = None
        metric._dataset_name = None
        metric._dataset_digest = None
        metric._run_id = None
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
        return self._key

    @property
    def value(self) -> float:
        """The logged value."""
        return self._value

    @property
    def timestamp(self) -> int:
        """When the value was logged, in milliseconds since the Unix epoch."""
        return self._timestamp

    @property
    def step(self) -> int:
        """Step (x coordinate) of the value."""
        return self._step

    @property
    def model_id(self) -> str | None:
        """ID of the logged model the value belongs to, if any."""
        return self._model_id

    @property
    def dataset_name(self) -> str | None:
        """Name of the dataset the value was computed on, if any."""
        return self._dataset_name

    @property
    def dataset_digest(self) -> str | None:
        """Digest of the dataset the value was computed on, if any."""
        return self._dataset_digest

    @property
    def run_id(self) -> str | None:
        """ID of the run the value belongs to, when known."""
        return self._run_id

    def _fields(self) -> tuple[Any, ...]:
        return (
            self._key,
            self._value,
            self._timestamp,
            self._step,
            self._model_id,
            self._dataset_name,
            self._dataset_digest,
            self._run_id,
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._fields() == other._fields()
        return False

    def __hash__(self) -> int:
        return hash(self._fields())

    def to_dictionary(self) -> dict[str, Any]:
        """All eight fields as a dict, keyed by property name."""
        return {
            "key": self._key,
            "value": self._value,
            "timestamp": self._timestamp,
            "step": self._step,
            "model_id": self._model_id,
            "dataset_name": self._dataset_name,
            "dataset_digest": self._dataset_digest,
            "run_id": self._run_id,
        }

    @classmethod
    def from_dictionary(cls, metric_dict: dict[str, Any]) -> Metric:
        """Build a Metric from a dict that has at least key, value, timestamp and step."""
        missing = [k for k in ("key", "value", "timestamp", "step") if k not in metric_dict]
        if missing:
            raise MlflowException(
                f"Missing required keys {missing} in metric dictionary", INVALID_PARAMETER_VALUE
            )
        return cls(**metric_dict)
