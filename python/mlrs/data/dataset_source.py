"""``DatasetSource``: where a dataset came from (a file, a URL, the code that built it)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from typing_extensions import Self


class DatasetSource:
    """Base class of dataset sources, as ``mlflow.data.dataset_source.DatasetSource``.

    A subclass names its kind in ``_get_source_type()`` (stored as ``dataset_source_type``),
    describes itself as a JSON-compatible dict in ``to_dict()`` (stored as ``dataset_source``),
    says in ``_can_resolve``/``_resolve`` which raw sources (strings, paths) it understands, and
    may ``load()`` the data.
    """

    @staticmethod
    def _get_source_type() -> str:
        raise NotImplementedError

    def load(self, **kwargs: Any) -> Any:
        """Fetches what the source refers to (for files: a local path)."""
        raise NotImplementedError

    @staticmethod
    def _can_resolve(raw_source: Any) -> bool:
        return False

    @classmethod
    def _resolve(cls, raw_source: Any) -> DatasetSource:
        raise NotImplementedError

    def to_dict(self) -> dict[Any, Any]:
        """A JSON-compatible dict describing the source."""
        raise NotImplementedError

    def to_json(self) -> str:
        """``to_dict()`` as JSON text, as stored in the ``datasets`` table."""
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> Self:
        raise NotImplementedError

    @classmethod
    def from_json(cls, source_json: str) -> Self:
        """The source that ``to_json`` described."""
        import json

        return cls.from_dict(json.loads(source_json))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"
