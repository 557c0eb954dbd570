"""Base of the registry entities: equal when all their properties are equal."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject


class _ModelRegistryEntity(_MlflowObject):
    """A registry entity; instances keep a ``__dict__`` as MLflow's do."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _MlflowObject):
            return NotImplemented
        return dict(self) == dict(other)

    __hash__ = None  # type: ignore[assignment]  # equal by value, so not hashable
