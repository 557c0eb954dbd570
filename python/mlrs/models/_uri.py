"""Model URIs to local model directories: ``models:/m-<id>``, ``runs:/<run_id>/<name>``
(the run's artifacts, else the run's logged model of that name, as MLflow 3.18 resolves it),
``file://`` URIs and plain local paths. Registry URIs (``models:/Name/1``, ``models:/Name@alias``,
``models:/Name/latest``, ``models:/Name/Production``) are looked up in the model registry."""

from __future__ import annotations

import os

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INTERNAL_ERROR, RESOURCE_DOES_NOT_EXIST

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from mlrs._artifacts import _Remote
    from mlrs._core import Store


def _improper_models_uri(uri: str) -> MlflowException:
    return MlflowException(
        f"Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/name/suffix' "
        "or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and "
        "where alias is a registered model alias. Only one of suffix or alias can be defined at "
        "a time.",
        INTERNAL_ERROR,
    )


def _improper_runs_uri(uri: str) -> MlflowException:
    return MlflowException(
        f"Not a proper runs:/ URI: {uri}. Runs URIs must be of the form "
        "'runs:/<run_id>/run-relative/path/to/artifact'",
        INTERNAL_ERROR,
    )


def local_path(location: str) -> str:
    """The local filesystem path of an artifact location (a path or a ``file:`` URI)."""
    from mlrs._artifacts import local_location

    local = local_location(location)
    if local is not None:
        return local
    if location.startswith("file:"):
        raise MlflowException(
            f"File URI '{location}' names a remote host; mlrs reads models only from the "
            "local filesystem.",
            INTERNAL_ERROR,
        )
    raise MlflowException(
        f"Artifact location '{location}' is not on the local filesystem; mlrs reads and writes "
        "models only there.",
        INTERNAL_ERROR,
    )


def _existing(path: str) -> str:
    if not os.path.exists(path):
        name = os.path.basename(os.path.normpath(path))
        raise MlflowException(f"No such artifact: '{name}'", RESOURCE_DOES_NOT_EXIST)
    return os.path.abspath(path)


def _split_models_uri(uri: str) -> tuple[str, str]:
    """``models:/<name>/<version>/path`` (or ``models:/<name>@<alias>/path``) into the model part
    and the path inside the model, as MLflow splits them before looking the model up."""
    from urllib.parse import urlparse

    uri = uri.rstrip("/")
    path = urlparse(uri).path
    if path.count("/") >= 2 and not path.endswith("/"):
        parts = path.split("/", 3)
        cut = 2 if "@" in parts[1] else 3
        return "models:" + "/".join(parts[:cut]), "/".join(parts[cut:])
    return uri, ""


def _parse_models_uri(
    uri: str,
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """(model_id, name, version, stage, alias), one of them set besides the name, as MLflow
    parses ``models:/`` URIs: one segment is a model id, ``Name/<digits>`` a version,
    ``Name/latest`` the latest version, ``Name/<other>`` a stage, ``Name@alias`` an alias."""
    from urllib.parse import urlparse

    path = urlparse(uri, allow_fragments=False).path
    if not path.startswith("/") or len(path) <= 1:
        raise _improper_models_uri(uri)
    parts = path.lstrip("/").split("/")
    if len(parts) > 2 or parts[0].strip() == "":
        raise _improper_models_uri(uri)
    if len(parts) == 2:
        name, suffix = parts
        if suffix.strip() == "":
            raise _improper_models_uri(uri)
        if suffix.isdigit():
            return None, name, suffix, None, None
        if suffix.lower() == "latest":
            return None, name, None, None, None
        return None, name, None, suffix, None
    if "@" in path:
        name, _, alias = parts[0].rpartition("@")
        if not alias.strip():
            raise _improper_models_uri(uri)
        return None, name, None, None, alias
    return parts[0], None, None, None, None


def _resolve_registry_uri(uri: str) -> str:
    """The local directory of a registered model version (``models:/Name/1``, ``Name@alias``,
    ``Name/latest``, ``Name/<stage>``): the registry gives the version's storage location, or
    its source, which may itself be a model URI."""
    from mlrs import _registry

    location = _registry.resolve_registry_uri(uri)
    if location.startswith(("models:", "runs:")):
        return resolve_model_uri(location)
    return local_path(location)


def _root(store: Store, location: str) -> str | _Remote:
    """An artifact location as a local path, or as a root on the tracking server's artifact
    proxy (`mlflow-artifacts:` and http(s) locations)."""
    from mlrs import _artifacts

    if location.startswith(("mlflow-artifacts:", "http://", "https://")):
        return _artifacts.location(store, location)
    return local_path(location)


def _logged_model_dir(model_id: str) -> str:
    """The local directory of a logged model's files: its artifact location, or a download
    of it when the files are on a tracking server."""
    import tempfile

    from mlrs import _logged_models as _logged

    store = _logged._store()
    root = _root(store, _logged.get(store, model_id).artifact_location)
    if isinstance(root, str):
        return root
    return root.download("", tempfile.mkdtemp())


def _run_dir(uri: str) -> str:
    from urllib.parse import urlparse

    from mlrs import _artifacts
    from mlrs import _logged_models as _logged

    path = urlparse(uri).path
    if not path.startswith("/") or len(path) <= 1:
        raise _improper_runs_uri(uri)
    run_id, _, rel = path[1:].partition("/")
    if run_id == "":
        raise _improper_runs_uri(uri)
    rel = rel.strip("/")
    store = _logged._store()
    if rel and (os.path.isabs(rel) or ".." in rel.split("/")):
        raise MlflowException(f"Invalid artifact path: '{rel}'", RESOURCE_DOES_NOT_EXIST)
    root = _root(store, store.get_run(run_id).artifact_uri or "")
    if not isinstance(root, str):
        # The run's files and its logged model of that name, downloaded as MLflow does.
        return _artifacts.download_run(store, run_id, rel or None, None)
    candidate = os.path.normpath(os.path.join(root, rel)) if rel else root
    if os.path.exists(candidate):
        return os.path.abspath(candidate)
    if rel:
        # No such run artifact: MLflow 3 then looks for the run's logged model of that name.
        found = _artifacts._run_model(store, run_id, rel)
        if found is not None:
            model_root, _, rest = found
            if isinstance(model_root, str):  # local, as the run's own root is
                target = os.path.join(model_root, rest)
                if os.path.exists(target):
                    return os.path.abspath(target)
    raise MlflowException(
        f"Failed to download artifacts from path {rel!r}, please ensure that the path is correct.",
        RESOURCE_DOES_NOT_EXIST,
    )


def resolve_model_uri(uri: str | Path, dst_path: str | None = None) -> str:
    """The local directory (or file) a model URI names; with `dst_path`, a copy of it there."""
    from urllib.parse import urlparse

    uri = os.fspath(uri)
    if not isinstance(uri, str):
        raise MlflowException(f"Invalid model URI: {uri!r}", INTERNAL_ERROR)
    scheme = urlparse(uri).scheme
    if scheme == "models":
        root, inner = _split_models_uri(uri)
        model_id = _parse_models_uri(root)[0]
        found = _logged_model_dir(model_id) if model_id is not None else _resolve_registry_uri(root)
        if inner:
            found = os.path.join(found, inner)
    elif scheme == "runs":
        found = _run_dir(uri)
    else:
        found = local_path(uri)
    found = _existing(found)
    if dst_path is None:
        return found
    import shutil

    if scheme == "models":
        # As MLflow: the model's files land in dst_path itself, a path inside it at that path.
        target = os.path.join(os.path.abspath(dst_path), inner) if inner else dst_path
        target = os.path.abspath(target)
    else:
        target = os.path.join(os.path.abspath(dst_path), os.path.basename(found.rstrip(os.sep)))
    if os.path.isdir(found):
        shutil.copytree(found, target, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(found, target)
    return target
