"""`mlrs.artifacts`: reading run artifacts, at `mlflow.artifacts`' import path.

URIs: `runs:/<run_id>/<path>`, a local path, or a `file:` URI. mlrs keeps artifacts on the
local file system, so other schemes (`s3://`, ...) raise `MlflowException`.
"""

from __future__ import annotations

from mlrs import _artifacts, _runtime
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import BAD_REQUEST, INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import Store
    from mlrs.entities.file_info import FileInfo

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]


def _store(tracking_uri: str | None) -> Store:
    return _runtime.get_store(tracking_uri)


def _check_source(artifact_uri: str | None, run_id: str | None, artifact_path: str | None) -> None:
    if (run_id, artifact_uri).count(None) != 1:
        raise MlflowException(
            "Exactly one of `run_id` or `artifact_uri` must be specified", INVALID_PARAMETER_VALUE
        )
    if artifact_uri is not None and artifact_path is not None:
        raise MlflowException(
            "`artifact_path` cannot be specified if `artifact_uri` is specified",
            INVALID_PARAMETER_VALUE,
        )


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
    registry_uri: str | None = None,
) -> str:
    """The local path of an artifact file or directory, copied to `dst_path` (created when
    missing) when given. Without `dst_path`, a `runs:/` URI or a run's `artifact_path` is copied
    to a new temporary directory, and a local URI or a whole run is returned in place."""
    _check_source(artifact_uri, run_id, artifact_path)
    if dst_path is not None:
        import pathlib

        pathlib.Path(dst_path).mkdir(parents=True, exist_ok=True)
    store = _store(tracking_uri)
    if artifact_uri is not None:
        return _resolve(store, artifact_uri, dst_path)
    return _artifacts.download_run(store, run_id, artifact_path, dst_path)  # type: ignore[arg-type]


def _resolve(store: Store, uri: str, dst_path: str | None) -> str:
    """`_artifacts.resolve_uri`, and the `models:/` URIs it leaves to this module: a model's
    files are found through the registry or its logged model, which sit above `_artifacts`."""
    if isinstance(uri, str) and uri.startswith("models:"):
        from mlrs.models._uri import resolve_model_uri

        if dst_path is None:
            import tempfile

            dst_path = tempfile.mkdtemp()  # a copy, as MLflow downloads models:/ URIs
        return resolve_model_uri(uri, dst_path)
    return _artifacts.resolve_uri(store, uri, dst_path)


def _local_file(store: Store, uri: str) -> str:
    """`_artifacts.local_file`; a `models:/` URI is copied to a temporary directory first."""
    if isinstance(uri, str) and uri.startswith("models:"):
        return _resolve(store, uri, None)
    return _artifacts.local_file(store, uri)


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """The files and directories directly under an artifact URI (paths relative to its parent
    directory) or under a run's `artifact_path` (paths relative to the run's root), sorted."""
    _check_source(artifact_uri, run_id, artifact_path)
    store = _store(tracking_uri)
    if artifact_uri is not None:
        return _artifacts.list_uri(store, artifact_uri)
    return _artifacts.list_run(store, run_id, artifact_path or None)  # type: ignore[arg-type]


def _read_text(artifact_uri: str) -> tuple[str, str]:
    path = _local_file(_store(None), artifact_uri)
    with open(path, encoding="utf-8") as file:
        try:
            return path, file.read()
        except UnicodeDecodeError as e:
            raise _artifacts.not_utf8(artifact_uri) from e


def load_text(artifact_uri: str) -> str:
    """The contents of a text artifact (UTF-8)."""
    return _read_text(artifact_uri)[1]


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """A JSON artifact (YAML for `.yml`/`.yaml` files) as a dict."""
    path, text = _read_text(artifact_uri)
    if path.endswith((".yml", ".yaml")):
        import yaml

        try:
            return yaml.safe_load(text)  # type: ignore[no-any-return]
        except yaml.YAMLError as e:
            raise MlflowException(
                "Unable to form a YAML object from file content", BAD_REQUEST
            ) from e
    import json

    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except json.JSONDecodeError as e:
        raise MlflowException("Unable to form a JSON object from file content", BAD_REQUEST) from e


def load_image(artifact_uri: str) -> Any:
    """An image artifact as a loaded `PIL.Image.Image`."""
    from PIL import Image

    path = _local_file(_store(None), artifact_uri)
    try:
        image = Image.open(path)
        image.load()
    except Exception as e:
        raise MlflowException(
            "Unable to form a PIL Image object from file content", BAD_REQUEST
        ) from e
    return image
