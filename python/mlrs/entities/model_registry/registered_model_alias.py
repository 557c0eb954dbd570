"""``RegisteredModelAlias``: a name that points at one version of a registered model."""

from __future__ import annotations

from mlrs.entities.model_registry._model_registry_entity import _ModelRegistryEntity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class RegisteredModelAlias(_ModelRegistryEntity):
    """A name (such as ``champion``) that points at one version of a registered model."""

    def __init__(self, alias: str, version: Any) -> None:
        self._alias = alias
        self._version = version

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self.__dict__ == other.__dict__
        return False

    __hash__ = None

    @property
    def alias(self) -> str:
        """The alias itself."""
        return self._alias

    @property
    def version(self) -> Any:
        """The model version number the alias points to."""
        return self._version
