"""``LoggedModelOutput``: a model a run produced, with the step it was logged at."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject


class LoggedModelOutput(_MlflowObject):
    """A model output of a run. Compares by value."""

    __slots__ = ("_model_id", "_step")

    def __init__(self, model_id: str, step: int) -> None:
        self._model_id = model_id
        self._step = step

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return (self._model_id, self._step) == (other._model_id, other._step)
        return False

    __hash__ = None  # type: ignore[assignment]

    @property
    def model_id(self) -> str:
        """Model ID."""
        return self._model_id

    @property
    def step(self) -> int:
        """Step at which the model was logged."""
        return self._step

    def to_dictionary(self) -> dict[str, str | int]:
        return {"model_id": self._model_id, "step": self._step}
