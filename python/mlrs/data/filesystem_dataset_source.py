"""``FileSystemDatasetSource`` at MLflow's import path: the base of sources stored at a path or
blob-storage URI (local files, ``s3://``, ...)."""

from mlrs.data.sources import FileSystemDatasetSource

__all__ = ["FileSystemDatasetSource"]
