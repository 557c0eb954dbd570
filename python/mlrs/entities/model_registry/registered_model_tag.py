"""``RegisteredModelTag``: one tag of a registered model."""

from __future__ import annotations

from mlrs.entities.model_registry._key_value import _KeyValueTag


class RegisteredModelTag(_KeyValueTag):
    """A key/value tag on a registered model."""

    @property
    def key(self) -> str:
        """The tag's key."""
        return self._key

    @property
    def value(self) -> str:
        """The tag's value."""
        return self._value
