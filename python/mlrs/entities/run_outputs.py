"""``RunOutputs``: what a run produced (logged models)."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any


class RunOutputs(_MlflowObject):
    """The model outputs of a run. Compares by value; not hashable.

    ``model_outputs`` defaults to empty (MLflow requires it).
    """

    __slots__ = ("_model_outputs",)

    def __init__(self, model_outputs: list[Any] | None = None) -> None:
        self._model_outputs = model_outputs if model_outputs is not None else []

    @property
    def model_outputs(self) -> list[Any]:
        """Logged models the run produced, each with the step it was logged at."""
        return self._model_outputs

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._model_outputs == other._model_outputs
        return False

    def to_dictionary(self) -> dict[str, Any]:
        """``{"model_outputs": [dict, ...]}``."""
        return {"model_outputs": [m.to_dictionary() for m in self._model_outputs]}
