"""``RegisteredModelTag``: one tag of a registered model."""

from __future__ import annotations

from mlrs.entities.model_registry._key_value import _KeyValueTag


class RegisteredModelTag(_KeyValueTag):
    """Tag object associated with a registered model."""

    @property
    def key(self) -> str:
        """String name of the tag."""
        return self._key

    @property
    def value(self) -> str:
        """String value of the tag."""
        return self._value
