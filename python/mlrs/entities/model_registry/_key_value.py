"""The key/value pair shape shared by registered model tags and model version tags."""

from __future__ import annotations

from mlrs.entities.model_registry._model_registry_entity import _ModelRegistryEntity


class _KeyValueTag(_ModelRegistryEntity):
    def __init__(self, key: str, value: str) -> None:
        self._key = key
        self._value = value

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self.__dict__ == other.__dict__
        return False

    __hash__ = None
