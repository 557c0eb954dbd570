"""``LoggedModelInput``: a logged model that a run used as an input."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject


class LoggedModelInput(_MlflowObject):
    """The id of a logged model (``m-...``) a run consumed. Compares by value."""

    __slots__ = ("_model_id",)

    def __init__(self, model_id: str) -> None:
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        """Id of the logged model."""
        return self._model_id

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._model_id == other._model_id
        return False
