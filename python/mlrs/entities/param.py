"""``Param``: one logged parameter of a run."""

from __future__ import annotations

import sys

from mlrs.entities._mlflow_object import _MlflowObject


class Param(_MlflowObject):
    """A parameter: a key and its string value.

    As in MLflow, params compare and hash by key only.
    """

    __slots__ = ("_key", "_value")

    def __init__(self, key: str, value: str) -> None:
        # MLflow accepts a pyspark.ml Param object as the key (its autologging passes them).
        if "pyspark.ml" in sys.modules:
            import importlib

            if isinstance(key, importlib.import_module("pyspark.ml.param").Param):
                key = key.name
                value = str(value)
        self._key = key
        self._value = value

    @classmethod
    def _from_row(cls, key: str, value: str) -> Param:
        """Fast constructor for trusted rows from the store."""
        param = object.__new__(cls)
        param._key = key
        param._value = value
        return param

    @property
    def key(self) -> str:
        """Name of the parameter."""
        return self._key

    @property
    def value(self) -> str:
        """The logged value, as a string."""
        return self._value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._key == other._key
        return False

    def __hash__(self) -> int:
        return hash(self._key)
