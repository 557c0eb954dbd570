"""``RunTag``: one tag of a run."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject


class RunTag(_MlflowObject):
    """A run tag: a key and its string value. Compares by value; not hashable, as in MLflow."""

    __slots__ = ("_key", "_value")

    def __init__(self, key: str, value: str) -> None:
        self._key = key
        self._value = value

    @classmethod
    def _from_row(cls, key: str, value: str) -> RunTag:
        """Fast constructor for trusted rows from the store."""
        tag = object.__new__(cls)
        tag._key = key
        tag._value = value
        return tag

    @property
    def key(self) -> str:
        """Name of the tag."""
        return self._key

    @property
    def value(self) -> str:
        """Value of the tag."""
        return self._value

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return (self._key, self._value) == (other._key, other._value)
        return False
