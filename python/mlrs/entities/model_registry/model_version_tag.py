"""``ModelVersionTag``: one tag of a model version."""

from __future__ import annotations

from mlrs.entities.model_registry._key_value import _KeyValueTag


class ModelVersionTag(_KeyValueTag):
    """Tag object associated with a model version."""

    @property
    def key(self) -> str:
        """String name of the tag."""
        return self._key

    @property
    def value(self) -> str:
        """String value of the tag."""
        return self._value
