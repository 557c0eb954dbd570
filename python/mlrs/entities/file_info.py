"""``FileInfo``: one entry of an artifact listing."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject


class FileInfo(_MlflowObject):
    """A file or directory under a run's artifact root. Compares by value; not hashable."""

    __slots__ = ("_bytes", "_is_dir", "_path")

    def __init__(self, path: str, is_dir: bool, file_size: int | None) -> None:
        self._path = path
        self._is_dir = is_dir
        self._bytes = file_size

    @property
    def path(self) -> str:
        """Path relative to the run's artifact root."""
        return self._path

    @property
    def is_dir(self) -> bool:
        """Whether the entry is a directory."""
        return self._is_dir

    @property
    def file_size(self) -> int | None:
        """Size in bytes; None for a directory."""
        return self._bytes

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return (self._path, self._is_dir, self._bytes) == (
                other._path,
                other._is_dir,
                other._bytes,
            )
        return False
