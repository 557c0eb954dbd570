"""``MetaDataset``: a dataset known only by where it is (its source) and, optionally, its
schema, with no data loaded, e.g. a table in a warehouse or files on S3 that training read
elsewhere. Logged with ``log_input`` like any dataset."""

from __future__ import annotations

import hashlib
import json

from mlrs.data.dataset import Dataset

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.data.dataset_source import DatasetSource


class MetaDataset(Dataset):
    """A dataset of metadata only: source, name, digest and an optional schema.

    Args:
        source: Where the data is (``HTTPDatasetSource``, a filesystem source, ...).
        name: The dataset's name (``"dataset"`` when None).
        digest: Its digest; computed from the name, source and schema when None.
        schema: An ``mlrs.types.Schema`` of its columns or tensors, if known.
    """

    def __init__(
        self,
        source: DatasetSource,
        name: str | None = None,
        digest: str | None = None,
        schema: Any | None = None,
    ) -> None:
        self._schema = schema  # the digest below depends on it
        super().__init__(source=source, name=name, digest=digest)

    def _compute_digest(self) -> str:
        # The same inputs, serialised the same way, as MLflow's digest of a MetaDataset, so
        # both compute the same eight hex digits for the same dataset.
        config = {
            "name": self.name,
            "source": self.source.to_json(),
            "source_type": self.source._get_source_type(),
            "schema": self._schema.to_dict() if self._schema else "",
        }
        return hashlib.sha256(json.dumps(config).encode("utf-8")).hexdigest()[:8]

    @property
    def schema(self) -> Any | None:
        """The schema given, or None."""
        return self._schema

    def to_dict(self) -> dict[str, str]:
        """The base fields, plus ``schema`` (``{"mlflow_colspec": [...]}`` as JSON text) when a
        schema was given."""
        config = super().to_dict()
        if self._schema:
            config["schema"] = json.dumps({"mlflow_colspec": self._schema.to_dict()})
        return config


__all__ = ["MetaDataset"]
