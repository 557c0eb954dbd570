"""``Dataset``: the stored form of a dataset, as the tracking store keeps it per experiment."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Dataset(_MlflowObject):
    """A dataset as logged: name, digest, source type, and the source, schema and profile as
    the JSON text stored in the ``datasets`` table. Compares by value.

    This is ``mlflow.entities.Dataset``; the objects users build with ``mlrs.data.from_pandas``
    and friends are ``mlrs.data.dataset.Dataset`` and turn into this one when logged.
    """

    __slots__ = ("_digest", "_name", "_profile", "_schema", "_source", "_source_type")

    def __init__(
        self,
        name: str,
        digest: str,
        source_type: str,
        source: str,
        schema: str | None = None,
        profile: str | None = None,
    ) -> None:
        self._name = name
        self._digest = digest
        self._source_type = source_type
        self._source = source
        self._schema = schema
        self._profile = profile

    @property
    def name(self) -> str:
        """Name of the dataset."""
        return self._name

    @property
    def digest(self) -> str:
        """Digest (short hash) of the dataset's content."""
        return self._digest

    @property
    def source_type(self) -> str:
        """Kind of source: ``code``, ``local``, ``http``, ``s3``, ..."""
        return self._source_type

    @property
    def source(self) -> str:
        """The source as JSON text."""
        return self._source

    @property
    def schema(self) -> str | None:
        """The schema as JSON text, if one was inferred."""
        return self._schema

    @property
    def profile(self) -> str | None:
        """Summary statistics as JSON text, if any."""
        return self._profile

    def _fields(self) -> tuple[Any, ...]:
        return (
            self._name,
            self._digest,
            self._source_type,
            self._source,
            self._schema,
            self._profile,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._fields() == other._fields()
        return False

    def to_dictionary(self) -> dict[str, Any]:
        """The six fields by name."""
        return {
            "name": self._name,
            "digest": self._digest,
            "source_type": self._source_type,
            "source": self._source,
            "schema": self._schema,
            "profile": self._profile,
        }
