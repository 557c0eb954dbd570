"""``Dataset``: the base of the dataset objects users build (``mlrs.data.from_pandas``, ...)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.data.dataset_source import DatasetSource
    from mlrs.entities.dataset import Dataset as DatasetEntity


class Dataset:
    """A dataset for tracking: name, digest (hash), source, and, in subclasses, schema and
    profile. ``mlrs.log_input`` stores what ``to_dict()`` returns."""

    def __init__(
        self, source: DatasetSource, name: str | None = None, digest: str | None = None
    ) -> None:
        self._name = name
        self._source = source
        # Subclasses set what the digest is computed from before calling this.
        self._digest = digest or self._compute_digest()

    def _compute_digest(self) -> str:
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The dataset's name; ``"dataset"`` when none was given."""
        return self._name if self._name is not None else "dataset"

    @property
    def digest(self) -> str:
        """A short hash of the content, e.g. ``"498c7496"``."""
        return self._digest

    @property
    def source(self) -> DatasetSource:
        """Where the data came from."""
        return self._source

    @property
    def profile(self) -> Any | None:
        """Summary statistics (row counts, shapes), or None."""
        return None

    @property
    def schema(self) -> Any | None:
        """The inferred schema, or None."""
        return None

    def _get_source_type(self) -> str:
        return self._source._get_source_type()

    def to_dict(self) -> dict[str, str]:
        """``name``, ``digest``, ``source`` (JSON text) and ``source_type``; subclasses add
        ``schema`` and ``profile``."""
        return {
            "name": self.name,
            "digest": self.digest,
            "source": self._source.to_json(),
            "source_type": self._source._get_source_type(),
        }

    def to_json(self) -> str:
        """``to_dict()`` as JSON text."""
        import json

        return json.dumps(self.to_dict())

    def _to_mlflow_entity(self) -> DatasetEntity:
        """The stored form: ``mlrs.entities.Dataset``."""
        from mlrs.entities.dataset import Dataset as DatasetEntity

        d = self.to_dict()
        return DatasetEntity(
            name=d["name"],
            digest=d["digest"],
            source_type=d["source_type"],
            source=d["source"],
            schema=d.get("schema"),
            profile=d.get("profile"),
        )
