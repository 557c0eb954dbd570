"""The dataset sources mlrs knows, with MLflow 3.18's source types and JSON:

- none given: the code that built the dataset, ``code``, ``{"tags": {mlflow.user, ...}}``;
- a path or ``file:`` URI: ``local``, ``{"uri": "<as given>"}``;
- an ``http(s)://`` URL: ``http``, ``{"url": "<as given>"}``;
- ``s3``, ``gs``, ``r2``, ``b2``, ``wasbs``, ``abfss``, ``ftp``, ``sftp``, ``hdfs``, ``viewfs``
  URIs: the scheme, ``{"uri": "<as given>"}``.

Other URIs (``runs:/``, ``models:/``, ``dbfs:/``, unknown schemes) are refused as MLflow refuses
them. ``load()`` works for local files and HTTP(S); the cloud-storage sources describe where data
lives but do not fetch it (that needs MLflow's artifact repositories).
"""

from __future__ import annotations

from mlrs.data.dataset_source import DatasetSource
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _scheme(text: str) -> str:
    from urllib.parse import urlparse

    return urlparse(text).scheme


def _is_local(text: str) -> bool:
    """A path, or a ``file:`` URI on this host, as MLflow's ``is_local_uri`` for artifacts."""
    from urllib.parse import urlparse

    parsed = urlparse(text)
    if parsed.scheme == "":
        return True
    host = parsed.hostname or ""
    remote = bool(host) and not (
        host == "." or host.startswith("localhost") or host.startswith("127.0.0.1")
    )
    if parsed.scheme == "file":
        if remote:
            raise MlflowException(
                f"{text} is not a valid remote uri. For remote access on windows, please "
                "consider using a different scheme such as SMB (e.g. smb://<hostname>/<path>)."
            )
        return True
    if remote:
        return False
    import os

    return os.name == "nt" and len(parsed.scheme) == 1


def _missing_key(class_name: str, key: str) -> MlflowException:
    return MlflowException(
        f'Failed to parse {class_name}. Missing expected key: "{key}"', INVALID_PARAMETER_VALUE
    )


class CodeDatasetSource(DatasetSource):
    """The code that built the dataset, described by the run-context tags (user, source file,
    git commit) at the time the dataset was made."""

    def __init__(self, tags: dict[Any, Any]) -> None:
        self._tags = tags

    @staticmethod
    def _get_source_type() -> str:
        return "code"

    def load(self, **kwargs: Any) -> Any:
        """Code sources cannot be loaded."""
        raise NotImplementedError

    def to_dict(self) -> dict[Any, Any]:
        return {"tags": self._tags}

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> CodeDatasetSource:
        return cls(tags=source_dict.get("tags"))  # type: ignore[arg-type]


class FileSystemDatasetSource(DatasetSource):
    """A dataset stored at a filesystem or blob-storage URI."""

    _source_type = ""

    def __init__(self, uri: str) -> None:
        self._uri = uri

    @property
    def uri(self) -> str:
        """The path or URI of the data, as given."""
        return self._uri

    @classmethod
    def _get_source_type(cls) -> str:
        return cls._source_type

    @classmethod
    def _can_resolve(cls, raw_source: Any) -> bool:
        if not isinstance(raw_source, str):
            return False
        try:
            return _scheme(raw_source) == cls._source_type
        except ValueError:
            return False

    @classmethod
    def _resolve(cls, raw_source: Any) -> FileSystemDatasetSource:
        return cls(str(raw_source))

    def load(self, dst_path: str | None = None) -> str:  # type: ignore[override]
        """Refused: mlrs fetches local files and HTTP(S) URLs only."""
        raise MlflowException(
            f"mlrs cannot download '{self._uri}': loading from '{self._source_type}' storage "
            "needs MLflow's artifact repositories. Local paths and HTTP(S) URLs can be loaded.",
            INVALID_PARAMETER_VALUE,
        )

    def to_dict(self) -> dict[Any, Any]:
        return {"uri": self._uri}

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> FileSystemDatasetSource:
        uri = source_dict.get("uri")
        if uri is None:
            raise _missing_key(cls.__name__, "uri")
        return cls(uri=uri)


class LocalArtifactDatasetSource(FileSystemDatasetSource):
    """A dataset on the local filesystem: a path or a ``file:`` URI."""

    _source_type = "local"

    @classmethod
    def _can_resolve(cls, raw_source: Any) -> bool:
        import pathlib

        if not isinstance(raw_source, (str, pathlib.PurePath)):
            return False
        try:
            return _is_local(str(raw_source))
        except (ValueError, MlflowException):
            return False

    def _local_path(self) -> str:
        from urllib.parse import unquote, urlparse

        parsed = urlparse(self._uri)
        return unquote(parsed.path) if parsed.scheme == "file" else self._uri

    def load(self, dst_path: str | None = None) -> str:  # type: ignore[override]
        """The data's absolute local path; with ``dst_path``, a copy made in that directory."""
        import os
        import shutil

        path = self._local_path()
        if not os.path.exists(path):
            raise MlflowException(f"No such artifact: '{path}'", RESOURCE_DOES_NOT_EXIST)
        if dst_path is None:
            return os.path.abspath(path)
        os.makedirs(dst_path, exist_ok=True)
        target = os.path.join(os.path.abspath(dst_path), os.path.basename(os.path.normpath(path)))
        if os.path.isdir(path):
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, target)
        return target


def _uri_source(name: str, scheme: str) -> type[FileSystemDatasetSource]:
    doc = (
        "A filesystem-based or blob-storage-based dataset source identified by a URI with "
        f"scheme '{scheme}'."
    )
    return type(name, (FileSystemDatasetSource,), {"_source_type": scheme, "__doc__": doc})


S3ArtifactDatasetSource = _uri_source("S3ArtifactDatasetSource", "s3")
R2ArtifactDatasetSource = _uri_source("R2ArtifactDatasetSource", "r2")
B2ArtifactDatasetSource = _uri_source("B2ArtifactDatasetSource", "b2")
GCSArtifactDatasetSource = _uri_source("GCSArtifactDatasetSource", "gs")
AzureBlobArtifactDatasetSource = _uri_source("AzureBlobArtifactDatasetSource", "wasbs")
FTPArtifactDatasetSource = _uri_source("FTPArtifactDatasetSource", "ftp")
SFTPArtifactDatasetSource = _uri_source("SFTPArtifactDatasetSource", "sftp")
HdfsArtifactDatasetSource = _uri_source("HdfsArtifactDatasetSource", "hdfs")
ViewfsArtifactDatasetSource = _uri_source("HdfsArtifactDatasetSource", "viewfs")
AzureDataLakeArtifactDatasetSource = _uri_source("AzureDataLakeArtifactDatasetSource", "abfss")


class HTTPDatasetSource(DatasetSource):
    """A dataset at an HTTP or HTTPS URL."""

    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def url(self) -> str:
        """The URL of the data."""
        return self._url

    @staticmethod
    def _get_source_type() -> str:
        return "http"

    @staticmethod
    def _can_resolve(raw_source: Any) -> bool:
        if not isinstance(raw_source, str):
            return False
        try:
            return _scheme(raw_source) in ("http", "https")
        except ValueError:
            return False

    @classmethod
    def _resolve(cls, raw_source: Any) -> HTTPDatasetSource:
        return cls(raw_source)

    def load(self, dst_path: str | None = None) -> str:  # type: ignore[override]
        """Downloads the data into ``dst_path`` (a new temporary directory when None) and
        returns the file's path. The file name comes from ``Content-Disposition`` or the URL."""
        import os
        import re
        import shutil
        import tempfile
        import urllib.request
        from urllib.parse import urlparse

        with urllib.request.urlopen(self._url) as response:
            name = ""
            disposition = response.headers.get("Content-Disposition") or ""
            match = re.search(r"filename=(.+)", disposition)
            if match:
                name = match.group(1).strip().strip("'\"")
                if os.path.basename(name) != name:
                    raise MlflowException(
                        f"Invalid filename in Content-Disposition header: {name}. "
                        "It must be a file name, not a path.",
                        INVALID_PARAMETER_VALUE,
                    )
            name = name or os.path.basename(urlparse(self._url).path) or "dataset_source"
            directory = dst_path if dst_path is not None else tempfile.mkdtemp()
            os.makedirs(directory, exist_ok=True)
            target = os.path.join(directory, name)
            with open(target, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
        return target

    def to_dict(self) -> dict[Any, Any]:
        return {"url": self._url}

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> HTTPDatasetSource:
        url = source_dict.get("url")
        if url is None:
            raise _missing_key("HTTPDatasetSource", "url")
        return cls(url=url)


__all__ = [
    "AzureBlobArtifactDatasetSource",
    "AzureDataLakeArtifactDatasetSource",
    "B2ArtifactDatasetSource",
    "CodeDatasetSource",
    "FTPArtifactDatasetSource",
    "FileSystemDatasetSource",
    "GCSArtifactDatasetSource",
    "HTTPDatasetSource",
    "HdfsArtifactDatasetSource",
    "LocalArtifactDatasetSource",
    "R2ArtifactDatasetSource",
    "S3ArtifactDatasetSource",
    "SFTPArtifactDatasetSource",
]
