"""``RunInputs``: what a run consumed (datasets and logged models)."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any


class RunInputs(_MlflowObject):
    """The dataset inputs and model inputs of a run. Compares by value; not hashable.

    Both lists default to empty (MLflow requires ``dataset_inputs``). ``to_dictionary`` converts
    each dataset input with its own ``to_dictionary()`` and, as MLflow does, returns the model
    inputs list as it is.
    """

    __slots__ = ("_dataset_inputs", "_model_inputs")

    def __init__(
        self, dataset_inputs: list[Any] | None = None, model_inputs: list[Any] | None = None
    ) -> None:
        self._dataset_inputs = dataset_inputs if dataset_inputs is not None else []
        self._model_inputs = model_inputs or []

    @property
    def dataset_inputs(self) -> list[Any]:
        """Datasets the run used, each with its input tags."""
        return self._dataset_inputs

    @property
    def model_inputs(self) -> list[Any]:
        """Logged models the run used."""
        return self._model_inputs

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return (self._dataset_inputs, self._model_inputs) == (
                other._dataset_inputs,
                other._model_inputs,
            )
        return False

    def to_dictionary(self) -> dict[str, Any]:
        """``{"model_inputs": [...], "dataset_inputs": [dict, ...]}``."""
        return {
            "model_inputs": self._model_inputs,
            "dataset_inputs": [d.to_dictionary() for d in self._dataset_inputs],
        }
