"""``InputTag``: one tag of a run input (``mlflow.data.context`` is one)."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject


class InputTag(_MlflowObject):
    """A key and a string value attached to a dataset input. Compares by value."""

    __slots__ = ("_key", "_value")

    def __init__(self, key: str, value: str) -> None:
        self._key = key
        self._value = value

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
