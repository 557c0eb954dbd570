"""Turning raw sources (paths, URIs) and stored JSON into ``DatasetSource`` objects.

Sources registered later win, as in MLflow: the generic storage sources first, then HTTP, then
the code source, then whatever users register with ``register_dataset_source``.
"""

from __future__ import annotations

from mlrs.data import sources as _sources
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs.data.dataset_source import DatasetSource

_registered: list[type[DatasetSource]] = [
    _sources.LocalArtifactDatasetSource,
    _sources.S3ArtifactDatasetSource,
    _sources.R2ArtifactDatasetSource,
    _sources.B2ArtifactDatasetSource,
    _sources.GCSArtifactDatasetSource,
    _sources.AzureBlobArtifactDatasetSource,
    _sources.FTPArtifactDatasetSource,
    _sources.SFTPArtifactDatasetSource,
    _sources.HdfsArtifactDatasetSource,
    _sources.ViewfsArtifactDatasetSource,
    _sources.AzureDataLakeArtifactDatasetSource,
    _sources.HTTPDatasetSource,
    _sources.CodeDatasetSource,
]


def register_dataset_source(source: type[DatasetSource]) -> None:
    """Adds a source class; it takes precedence over the ones registered before it."""
    _registered.append(source)


def get_registered_sources() -> list[type[DatasetSource]]:
    """The registered source classes, in registration order."""
    return _registered


def resolve_dataset_source(
    raw_source: Any, candidate_sources: list[type[DatasetSource]] | None = None
) -> DatasetSource:
    """The source that the most recently registered class able to read ``raw_source`` makes
    of it; MLflow's ``RESOURCE_DOES_NOT_EXIST`` error when none can."""
    import warnings

    for source in reversed(_registered):
        if candidate_sources and not any(issubclass(source, c) for c in candidate_sources):
            continue
        try:
            if not source._can_resolve(raw_source):
                continue
        except Exception as e:
            warnings.warn(
                f"Failed to determine whether {source.__name__} can resolve source information "
                f"for '{raw_source}'. Exception: {e}",
                stacklevel=2,
            )
            continue
        try:
            return source._resolve(raw_source)
        except Exception as e:
            warnings.warn(
                f"Encountered an unexpected error while using {source.__name__} to resolve "
                f"source information for '{raw_source}'. Exception: {e}",
                stacklevel=2,
            )
    raise MlflowException(
        "Could not find a source information resolver for the specified dataset source: "
        f"{raw_source}.",
        RESOURCE_DOES_NOT_EXIST,
    )


def get_dataset_source_from_json(source_json: str, source_type: str) -> DatasetSource:
    """The source a stored ``(dataset_source, dataset_source_type)`` pair describes."""
    for source in reversed(_registered):
        if source._get_source_type() == source_type:
            return source.from_json(source_json)
    raise MlflowException(
        f"Could not parse dataset source from JSON due to unrecognized source type: {source_type}.",
        RESOURCE_DOES_NOT_EXIST,
    )
