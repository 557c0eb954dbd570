"""Base class of the entities: iteration over properties, ``from_dictionary`` and the repr."""

from __future__ import annotations

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from typing_extensions import Self

# Property names per class, computed on first use (entities may be built by the million, so
# nothing here runs at construction time).
_PROPERTY_NAMES: dict[type, tuple[str, ...]] = {}


class _MlflowObject:
    """Iterating an entity yields ``(name, value)`` for each property its class defines, by name.

    As in MLflow, only properties defined on the class itself count, not inherited ones.
    """

    __slots__ = ()

    @classmethod
    def _properties(cls) -> tuple[str, ...]:
        names = _PROPERTY_NAMES.get(cls)
        if names is None:
            names = tuple(sorted(k for k, v in vars(cls).items() if isinstance(v, property)))
            _PROPERTY_NAMES[cls] = names
        return names

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._properties():
            yield name, getattr(self, name)

    @classmethod
    def from_dictionary(cls, the_dict: dict[str, Any]) -> Self:
        """Build an entity from a dict, ignoring keys that are not properties of the class."""
        names = cls._properties()
        return cls(**{k: v for k, v in the_dict.items() if k in names})

    def __repr__(self) -> str:
        import pprint

        fields = ", ".join(
            f"{name}={value!r}"
            if isinstance(value, _MlflowObject)
            else f"{name}={pprint.pformat(value)}"
            for name, value in self
        )
        return f"<{type(self).__name__}: {fields}>"
