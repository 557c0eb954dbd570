"""Run artifacts, laid out as MLflow 3.18 lays them out under a run's artifact root
(`<experiment artifact_location>/<run_id>/artifacts`): the fluent `log_artifact`, `log_text`,
`log_dict`, `log_figure`, `log_image`, `log_table`, ..., the `MlflowClient` methods (through
`ArtifactsClientMixin`) and what `mlrs.artifacts` builds on.

Path checks, copies and listings run in Rust (`mlrs._core.artifact_*`) without the GIL; this
module turns Python objects into bytes or files and resolves URIs. Heavy libraries (numpy, PIL,
pandas, matplotlib, yaml) are imported only by the call that needs them.
"""

from __future__ import annotations

import contextlib
import os
import posixpath

from mlrs import _core, _runtime, _tracking
from mlrs.entities.file_info import FileInfo
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    RESOURCE_DOES_NOT_EXIST,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import Store
    from mlrs.entities.run import Run
    from mlrs.store.entities.paged_list import PagedList

LOGGED_IMAGES_TAG = "mlflow.loggedImages"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
_COMPRESSED_IMAGE_SIZE = 256
_TABLE_FORBIDDEN = ('"', "'", ",", ":", "[", "]", "{", "}")
_RUNS_URI_FORM = "Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'"


# ---- where artifacts live ------------------------------------------------------------------


def local_location(uri: str) -> str | None:
    """The local path an artifact location names (a plain path, or a `file:` URI without a
    remote host), or None when it is elsewhere (`s3://...`, `file://host/...`, `runs:/...`)."""
    if uri.startswith("file:"):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(uri)
        return unquote(parsed.path) if parsed.netloc in ("", "localhost") else None
    scheme, sep, _ = uri.partition(":")
    if sep and len(scheme) > 1 and scheme.replace("+", "").replace("-", "").isalnum():
        return None
    return uri


def local_artifact_path(uri: str) -> str:
    """The local directory of an artifact location: a plain path or a `file:` URI. Other
    schemes are refused: mlrs keeps artifacts on the local file system only."""
    local = local_location(uri)
    if local is None:
        scheme = uri.partition(":")[0]
        raise MlflowException(
            f"mlrs stores artifacts on the local file system only, so it cannot use the "
            f"artifact location {uri!r} ({scheme}:). Give the experiment a local path or a "
            "file:// URI as its artifact_location.",
            INVALID_PARAMETER_VALUE,
        )
    return local


_SERVICE = "/api/2.0/mlflow-artifacts/artifacts"


class _Remote:
    """An artifact root on a tracking server's artifact proxy: the HTTP URL of the root under
    `/api/2.0/mlflow-artifacts/artifacts`, reached through the tracking store's HTTP client
    (`mlrs._core.remote_artifact_*`, streaming, without the GIL)."""

    def __init__(self, store: Store, url: str) -> None:
        self.store, self.url = store, url

    def log_file(self, local_path: str, artifact_path: str | None) -> None:
        _core.remote_artifact_log_file(self.store, self.url, local_path, artifact_path)

    def log_dir(self, local_dir: str, artifact_path: str | None) -> None:
        _core.remote_artifact_log_dir(self.store, self.url, local_dir, artifact_path)

    def list(self, path: str | None) -> list[tuple[str, bool, int | None]]:
        return _core.remote_artifact_list(self.store, self.url, path)

    def download(self, path: str, dst: str) -> str:
        return _core.remote_artifact_download(self.store, self.url, path, dst)

    def local_copy(self, path: str) -> str:
        """The file `path`, downloaded to a new temporary directory."""
        import tempfile

        return self.download(path, tempfile.mkdtemp())


def _split_artifact_file(artifact_file: str) -> tuple[str | None, str]:
    """`(directory or None, file name)` of a run-relative artifact file, as MLflow splits it
    before uploading the file it wrote to a temporary directory."""
    norm = posixpath.normpath(artifact_file)
    return posixpath.dirname(norm) or None, posixpath.basename(norm)


def mlflow_artifacts_url(uri: str, tracking_uri: str) -> str:
    """The HTTP URL of an `mlflow-artifacts:` location on the tracking server `tracking_uri`
    (MLflow's `MlflowArtifactsRepository.resolve_uri`, done by the engine, which the UI's
    server shares)."""
    return _core.remote_artifact_root(uri, tracking_uri)


def location(store: Store, uri: str) -> str | _Remote:
    """Where an artifact location is: a local directory, or a root on a tracking server
    (`mlflow-artifacts:` resolved against the tracking server, or an `http(s)://` URL)."""
    if uri.startswith("mlflow-artifacts:"):
        return _Remote(store, mlflow_artifacts_url(uri, store.location))
    if uri.startswith(("http://", "https://")):
        return _Remote(store, uri.rstrip("/"))
    return local_artifact_path(uri)


def run_root(store: Store, run_id: str) -> str | _Remote:
    """The artifact root of a run, read from the run's `artifact_uri`."""
    uri = store.get_run(run_id).artifact_uri
    if uri is None:
        raise MlflowException(f"Run {run_id} has no artifact location")
    return location(store, uri)


def _log_file(root: str | _Remote, local_path: str, artifact_path: str | None) -> None:
    if isinstance(root, _Remote):
        root.log_file(local_path, artifact_path)
    else:
        _core.artifact_log_file(root, local_path, artifact_path)


def _log_dir(root: str | _Remote, local_dir: str, artifact_path: str | None) -> None:
    if isinstance(root, _Remote):
        root.log_dir(local_dir, artifact_path)
    else:
        _core.artifact_log_dir(root, local_dir, artifact_path)


def _write(root: str | _Remote, artifact_file: str, data: bytes) -> None:
    if not isinstance(root, _Remote):
        _core.artifact_write(root, artifact_file, data)
        return
    with _Staged(root, artifact_file) as path, open(path, "wb") as out:
        out.write(data)


def _list(root: str | _Remote, path: str | None) -> list[tuple[str, bool, int | None]]:
    return root.list(path) if isinstance(root, _Remote) else _core.artifact_list(root, path)


def _local_path(root: str | _Remote, path: str) -> str:
    """A local copy of a remote file; the file itself for a local root."""
    if isinstance(root, _Remote):
        return root.local_copy(path)
    return _core.artifact_local_path(root, path)


def _download(root: str | _Remote, path: str, dst: str) -> str:
    if isinstance(root, _Remote):
        return root.download(path, dst)
    return _core.artifact_download(root, path, dst)


def artifact_uri(store: Store, run_id: str, artifact_path: str | None = None) -> str:
    uri = store.get_run(run_id).artifact_uri or ""
    return uri if artifact_path is None else posixpath.join(uri, artifact_path)


class _Staged:
    """A path with the artifact's own file name to write to; moved into place on success (for
    a remote root: written in a temporary directory, then uploaded)."""

    def __init__(self, root: str | _Remote, artifact_file: str) -> None:
        self._root, self._artifact_file = root, artifact_file
        self._tmp: str | None = None
        if isinstance(root, _Remote):
            import tempfile

            directory, name = _split_artifact_file(artifact_file)
            self._tmp = tempfile.mkdtemp()
            self._directory = directory
            self.path = os.path.join(self._tmp, name)
        else:
            self.path, _ = _core.artifact_stage(root, artifact_file)

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self._tmp is not None:
            import shutil

            try:
                if exc_type is None:
                    assert isinstance(self._root, _Remote)
                    self._root.log_file(self.path, self._directory)
            finally:
                shutil.rmtree(self._tmp, ignore_errors=True)
        elif exc_type is None:
            assert isinstance(self._root, str)
            _core.artifact_publish(self.path, self._root, self._artifact_file)
        else:
            _core.artifact_discard(self.path)


# ---- writing -------------------------------------------------------------------------------


def _destination(artifact_path: Any) -> str | None:
    """`artifact_path` of `log_artifact(s)` as MLflow's local repository takes it: anything
    falsy is the root; a path object is its text; bytes never name a unique path (MLflow
    compares their normal form with their `str`), so they are refused as MLflow refuses them;
    other types are a TypeError."""
    if not artifact_path:
        return None
    if isinstance(artifact_path, os.PathLike):
        artifact_path = os.fspath(artifact_path)
    if isinstance(artifact_path, bytes):
        raise MlflowException(
            f"Invalid artifact path: '{artifact_path!s}'. Names may be treated as files in "
            "certain cases, and must not resolve to other names when treated as such. This "
            f"name would resolve to {posixpath.normpath(artifact_path)!r}",
            INTERNAL_ERROR,
        )
    if not isinstance(artifact_path, str):
        raise TypeError(
            f"expected str, bytes or os.PathLike object, not {type(artifact_path).__name__}"
        )
    return artifact_path


def log_artifact_to(store: Store, run_id: str, local_path: Any, artifact_path: Any = None) -> None:
    destination = _destination(artifact_path)
    _log_file(run_root(store, run_id), os.fspath(local_path), destination)


def log_artifacts_to(store: Store, run_id: str, local_dir: Any, artifact_path: Any = None) -> None:
    destination = _destination(artifact_path)
    _log_dir(run_root(store, run_id), os.fspath(local_dir), destination)


def log_text_to(store: Store, run_id: str, text: str, artifact_file: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"write() argument must be str, not {type(text).__name__}")
    _write(run_root(store, run_id), artifact_file, text.encode("utf-8"))


def log_dict_to(store: Store, run_id: str, dictionary: Any, artifact_file: str) -> None:
    """JSON (indent 2, unknown objects as `str`), or YAML for `.yml`/`.yaml` files."""
    if os.path.splitext(artifact_file)[1] in (".yml", ".yaml"):
        import yaml

        text = yaml.dump(dictionary, indent=2, default_flow_style=False)
    else:
        import json

        text = json.dumps(dictionary, indent=2, default=str)
    _write(run_root(store, run_id), artifact_file, text.encode("utf-8"))


def log_stream_to(store: Store, run_id: str, stream: Any, artifact_file: str) -> None:
    """Copies a binary file-like object in chunks, without holding it in memory."""
    with _Staged(run_root(store, run_id), artifact_file) as path, open(path, "wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)


def _figure_kind(figure: Any) -> str:
    import sys

    if "matplotlib" in sys.modules:
        import matplotlib.figure

        if isinstance(figure, matplotlib.figure.Figure):
            return "matplotlib"
    if "plotly" in sys.modules:
        import plotly.graph_objects

        if isinstance(figure, plotly.graph_objects.Figure):
            return "plotly"
    raise TypeError(f"Unsupported figure object type: '{type(figure)}'")


def log_figure_to(
    store: Store,
    run_id: str,
    figure: Any,
    artifact_file: str,
    save_kwargs: dict[str, Any] | None = None,
) -> None:
    """A matplotlib figure (`savefig`, format from the extension) or a plotly figure (`.html`,
    or an image format through `write_image`)."""
    kind = _figure_kind(figure)
    options = dict(save_kwargs or {})
    extension = os.path.splitext(artifact_file)[1]
    if kind == "plotly" and extension not in (".html", ".png", ".jpeg", ".webp", ".svg", ".pdf"):
        raise TypeError(f"Unsupported file extension for plotly figure: '{extension}'")
    with _Staged(run_root(store, run_id), artifact_file) as path:
        if kind == "matplotlib":
            figure.savefig(path, **options)
        elif extension == ".html":
            options.setdefault("include_plotlyjs", "cdn")
            options.setdefault("auto_open", False)
            figure.write_html(path, **options)
        else:
            figure.write_image(path, **options)


def _array_to_pil(array: Any) -> Any:
    """A numpy image (HxW, or HxWx1/3/4; bool, ints in [0, 255], floats in [0, 1]) as PIL."""
    import warnings

    import numpy as np
    from PIL import Image

    kinds = {"b": "bool", "i": "signed integer", "u": "unsigned integer", "f": "floating"}
    if array.dtype.kind not in kinds:
        raise TypeError(
            f"Invalid array data type: '{array.dtype}'. Must be one of {list(kinds.values())}"
        )
    if array.ndim not in (2, 3):
        raise ValueError(f"`image` must be a 2D or 3D array but got image shape: {array.shape}")
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ValueError(f"Invalid channel length: {array.shape[2]}. Must be one of [1, 3, 4]")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    integral = array.dtype.kind in "iu"
    low, high = array.min(), array.max()
    if low < 0 or high > (255 if integral else 1):
        if integral:
            raise ValueError(
                "Integer pixel values out of acceptable range [0, 255]. Found minimum value "
                f"{low} and maximum value {high}. Ensure all pixel values are within the "
                "specified range."
            )
        warnings.warn(
            "Float pixel values out of acceptable range [0.0, 1.0]. Found minimum value "
            f"{low} and maximum value {high}. Rescaling values to [0.0, 1.0] with min/max "
            "scaler.",
            stacklevel=4,
        )
        array = (array - low) / (high - low)
    if not integral:
        array = array * 255
    return Image.fromarray(array.astype(np.uint8))


def to_pil_image(image: Any) -> Any:
    import numpy as np

    if isinstance(image, np.ndarray):
        return _array_to_pil(image)
    if callable(getattr(image, "to_pil", None)):  # mlflow.Image
        return image.to_pil()
    import PIL.Image

    if not isinstance(image, PIL.Image.Image):
        raise TypeError(
            f"Unsupported image object type: {type(image)}. `image` must be one of "
            "numpy.ndarray, PIL.Image.Image, and mlflow.Image."
        )
    return image


def _compressed(image: Any) -> Any:
    """The image scaled so that its longer side is 256 pixels (the UI's thumbnail)."""
    width, height = image.size
    if width > height:
        size = (_COMPRESSED_IMAGE_SIZE, int(height * _COMPRESSED_IMAGE_SIZE / width))
    else:
        size = (int(width * _COMPRESSED_IMAGE_SIZE / height), _COMPRESSED_IMAGE_SIZE)
    return image.resize(size)


def log_image_to(
    store: Store,
    run_id: str,
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
) -> None:
    """One image file, or (with `key`) one step of an image series: `images/<key>+step+<step>+
    timestamp+<ms>+<uuid>.png` plus a 256-pixel `+compressed.webp`, and the run tag
    `mlflow.loggedImages`. The files are written before this returns."""
    if artifact_file is not None and (key is not None or step is not None or timestamp is not None):
        raise TypeError(
            "The `artifact_file` parameter cannot be used in conjunction with `key`, `step`, or "
            "`timestamp` parameters. Please ensure that `artifact_file` is specified alone, "
            "without any of these conflicting parameters."
        )
    if artifact_file is None and key is None:
        raise TypeError(
            "Invalid arguments: Please specify exactly one of `artifact_file` or `key`. Use "
            "`key` to log dynamic image charts or `artifact_file` for saving static images. "
        )
    picture = to_pil_image(image)
    root = run_root(store, run_id)
    if artifact_file is not None:
        with _Staged(root, artifact_file) as path:
            picture.save(path)
        return
    import re
    import uuid

    if not isinstance(key, str) or not re.fullmatch(r"[a-zA-Z0-9_\-./ ]+", key):
        raise ValueError(
            "The `key` parameter may only contain alphanumerics, underscores (_), dashes (-), "
            "periods (.), spaces ( ), and slashes (/)."
            f"The provided key `{key}` contains invalid characters."
        )
    stamp = timestamp if timestamp is not None else _runtime.now_ms()
    base = f"images/{key.replace('/', '~')}+step+{step or 0}+timestamp+{stamp}+{uuid.uuid4()}"
    thumbnail = _compressed(picture)
    with _Staged(root, f"{base}.png") as path:
        picture.save(path)
    with _Staged(root, f"{base}+compressed.webp") as path:
        thumbnail.save(path)
    _tracking.set_tag_to(store, run_id, LOGGED_IMAGES_TAG, True)
    if synchronous:
        store.flush()


# ---- tables --------------------------------------------------------------------------------


def _check_table_file(artifact_file: str) -> None:
    for char in _TABLE_FORBIDDEN:
        if char in artifact_file:
            raise ValueError(f"The artifact_file contains forbidden character: {char}")


def _read_table(path: str, infer_dtypes: bool = True) -> Any:
    import pandas as pd

    if path.endswith(".json"):
        if infer_dtypes:
            return pd.read_json(path, orient="split")
        import warnings

        # Values as stored, so that appending rows rewrites them unchanged ("02108" stays).
        # (pandas 3 deprecates `convert_dates`; without it, date-like columns would change.)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.read_json(path, orient="split", dtype=False, convert_dates=False)
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    raise ValueError(f"Unsupported file type in {path}. Expected .json or .parquet")


def _table_file_exists(root: str | _Remote, artifact_file: str) -> bool:
    """Whether `artifact_file` is listed as a file in its directory (as MLflow looks it up)."""
    directory = posixpath.dirname(posixpath.normpath(artifact_file)) or None
    listed = _list(root, directory)
    return any(path == artifact_file and not is_dir for path, is_dir, _ in listed)


def _is_image(value: Any) -> bool:
    return (
        callable(getattr(value, "save", None))
        and callable(getattr(value, "resize", None))
        and hasattr(value, "size")
    )


def _save_table_images(root: str | _Remote, data: Any, artifact_file: str) -> None:
    """Image cells are saved under `table_images/<table>/` and replaced by a reference."""
    import uuid

    table_name = os.path.splitext(artifact_file)[0]

    def save(image: Any) -> dict[str, str]:
        base = posixpath.join("table_images", table_name, str(uuid.uuid4()))
        with _Staged(root, f"{base}.png") as path:
            image.save(path)
        with _Staged(root, f"{base}.webp") as path:
            _compressed(image).save(path)
        return {"type": "image", "filepath": f"{base}.png", "compressed_filepath": f"{base}.webp"}

    for column in [c for c in data.columns if data[c].dtype == object]:
        flags = [_is_image(value) for value in data[column]]
        if any(flags) and not all(flags):
            raise ValueError(
                f"Column `{column}` contains a mix of images and non-images. Please ensure "
                "that all elements in the column are of the same type."
            )
        if flags and all(flags):
            data[column] = data[column].map(save)


def log_table_to(store: Store, run_id: str, data: Any, artifact_file: str) -> None:
    """A dict or DataFrame as `.json` (pandas `orient="split"`) or `.parquet`; rows are
    appended when the file exists. Records the table in the `mlflow.loggedArtifacts` tag."""
    import json

    import pandas as pd

    _check_table_file(artifact_file)
    if not artifact_file.endswith((".json", ".parquet")):
        raise ValueError(
            f"Invalid artifact file path '{artifact_file}'. Please ensure the file you are "
            "trying to log as a table has a file name with either '.json' or '.parquet' "
            "extension."
        )
    if not isinstance(data, (pd.DataFrame, dict)):
        raise MlflowException(
            "data must be a pandas.DataFrame or a dictionary", INVALID_PARAMETER_VALUE
        )
    if isinstance(data, dict):
        try:
            frame = pd.DataFrame(data)
        except ValueError:  # scalars only: one row
            frame = pd.DataFrame([data])
    else:
        frame = data.copy()
    root = run_root(store, run_id)
    _save_table_images(root, frame, artifact_file)
    if _table_file_exists(root, artifact_file):
        existing = _read_table(_local_path(root, artifact_file), infer_dtypes=False)
        frame = pd.concat([existing, frame], ignore_index=True)
    with _Staged(root, artifact_file) as path:
        try:
            if artifact_file.endswith(".json"):
                frame.to_json(path, orient="split", index=False, date_format="iso")
            else:
                frame.to_parquet(path, index=False)
        except Exception as e:
            raise MlflowException(
                f"Failed to save {frame} as table as the data is not JSON serializable. Error: {e}"
            ) from e
    tags = dict(store.get_run(run_id).tags)
    logged = json.loads(tags.get(LOGGED_ARTIFACTS_TAG) or "[]")
    entry = {"path": artifact_file, "type": "table"}
    if entry not in logged:
        logged.append(entry)
        _tracking.set_tag_to(store, run_id, LOGGED_ARTIFACTS_TAG, json.dumps(logged))


def load_table_to(
    store: Store,
    experiment_id: str,
    artifact_file: str,
    run_ids: list[str] | None = None,
    extra_columns: list[str] | None = None,
) -> Any:
    """The table `artifact_file` of every run of the experiment that logged it (or of
    `run_ids`), concatenated, with `extra_columns` (`run_id`, `tags.x`, ...) added."""
    import pandas as pd

    from mlrs import _log
    from mlrs._convert import runs_to_pandas

    _check_table_file(artifact_file)
    pattern = f'"path"%:%"{artifact_file}",%"type"%:%"table"'
    filter_string = f"tags.{LOGGED_ARTIFACTS_TAG} LIKE '%{pattern}%'"
    if run_ids:
        filter_string += f" and attributes.run_id IN ({','.join(map(repr, run_ids))})"
    found: list[Run] = []
    token = None
    while True:
        page: PagedList[Run] = _tracking.search_runs(
            store, [experiment_id], filter_string, max_results=50000, page_token=token
        )
        found.extend(page)
        token = page.token
        if not token:
            break
    runs = runs_to_pandas(found)
    if run_ids and len(run_ids) != len(runs):
        _log.logger().warning(
            "Not all runs have the specified table artifact. Some runs will be skipped."
        )
    if runs.empty:
        raise MlflowException(
            "No runs found with the corresponding table artifact.", RESOURCE_DOES_NOT_EXIST
        )
    frames = []
    for _, run in runs.iterrows():
        root = location(store, run["artifact_uri"])
        if not _table_file_exists(root, artifact_file):
            raise MlflowException(
                f"Artifact {artifact_file} not found for run {run['run_id']}.",
                RESOURCE_DOES_NOT_EXIST,
            )
        table = _read_table(_local_path(root, artifact_file))
        for column in extra_columns or ():
            name = column
            if column in table:
                name = f"{column}_"
                _log.logger().warning(
                    "Column name %s already exists in the table. Resolving the conflict, by "
                    "appending an underscore to the column name.",
                    column,
                )
            table[name] = run[column]
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


# ---- reading -------------------------------------------------------------------------------


def list_run(store: Store, run_id: str, path: str | None = None) -> list[FileInfo]:
    """The run's artifacts directly under `path`, and, when `path` starts with the name of a
    model the run logged (`log_model(..., name="model")`), that model's files as
    `<name>/<file>`, as MLflow 3.18 lists them."""
    root = run_root(store, run_id)
    infos = [FileInfo(*entry) for entry in _list(root, path)]
    model = _run_model(store, run_id, path)
    if model is not None:
        model_root, name, rel = model
        infos.extend(
            FileInfo(f"{name}/{entry_path}", is_dir, size)
            for entry_path, is_dir, size in _list(model_root, rel or None)
        )
    return infos


def _run_model(
    store: Store, run_id: str, path: str | None
) -> tuple[str | _Remote, str, str] | None:
    """`(model artifact root, model name, path inside the model)` when the first part of `path`
    names a model this run logged (the newest such model), else None."""
    if not path:
        return None
    name, _, rel = path.strip("/").partition("/")
    if not name or any(c in name for c in "'\"\\"):
        return None  # no model name holds a quote (see _logged_models.validate_name)
    experiment_id = store.get_run(run_id).experiment_id
    page = 0
    while True:
        rows = store.search_logged_models(
            [experiment_id], f"name = '{name}'", [], [], 100, page * 100
        )
        for row in rows:
            if row.source_run_id == run_id:
                return location(store, row.artifact_location), name, rel
        if len(rows) < 100:
            return None
        page += 1


def _no_such_artifact(name: str) -> MlflowException:
    return MlflowException(f"No such artifact: {name!r}", RESOURCE_DOES_NOT_EXIST)


def download_run(store: Store, run_id: str, path: str | None, dst_path: str | None) -> str:
    """A run's artifact `path` as a local path: in place when no `path` and no `dst_path` are
    given, else copied to `dst_path` (or a new temporary directory) as `<dst>/<last part>`."""
    if dst_path is not None:
        import pathlib

        pathlib.Path(dst_path).mkdir(parents=True, exist_ok=True)
    root = run_root(store, run_id)
    if isinstance(root, _Remote):
        if dst_path is None:
            import tempfile

            dst_path = tempfile.mkdtemp()
        if path:  # MLflow's error for an absolute path (it joins it to the run id)
            _split_runs_uri("runs:/" + posixpath.join(run_id, path))
        if _run_model(store, run_id, path) is None:
            try:
                return root.download(path or "", os.path.abspath(dst_path))
            except (MlflowException, OSError) as e:
                # MLflow's run repository words any failure so (the cause is in its debug
                # log), naming the last part of the path it downloads.
                raise MlflowException(
                    f"Failed to download artifacts from path "
                    f"{posixpath.basename(path or '')!r}, please ensure that the path is correct.",
                    RESOURCE_DOES_NOT_EXIST,
                ) from e
    elif not path:
        if dst_path is None:
            if not os.path.isdir(root):
                raise _no_such_artifact("")
            return root
        if not os.path.isdir(root):
            os.makedirs(dst_path, exist_ok=True)
            return os.path.abspath(dst_path)
        return _core.artifact_download(root, "", os.path.abspath(dst_path))
    assert path is not None  # a remote root without a path returned above
    if dst_path is None:
        import tempfile

        dst_path = tempfile.mkdtemp()
    destination = os.path.abspath(dst_path)
    model = _run_model(store, run_id, path)
    if model is None:
        return _download(root, path, destination)
    # The run's own files and those of the model named by the path's first part, as MLflow
    # 3.18 downloads them (the model's win where both have a file).
    found = None
    with contextlib.suppress(MlflowException, OSError):
        found = _download(root, path, destination)
    model_root, name, rel = model
    target = os.path.join(destination, name)
    os.makedirs(target, exist_ok=True)
    with contextlib.suppress(MlflowException, OSError):
        model_found = _download(model_root, rel, target)
        found = found or model_found
    if found is None:
        raise MlflowException(
            f"Failed to download artifacts from path {path!r}, please ensure that the path "
            "is correct.",
            RESOURCE_DOES_NOT_EXIST,
        )
    return found


def _split_runs_uri(uri: str) -> tuple[str, str]:
    """`runs:/<run_id>/<path>` as `(run_id, path)`."""
    directory = posixpath.dirname(uri)
    rest = directory[len("runs:/") :] if directory.startswith("runs:/") else ""
    run_id = rest.split("/", 1)[0]
    if not run_id:
        shown = f"{directory}/" if directory.startswith("runs:") else "runs:"
        raise MlflowException(f"Not a proper runs:/ URI: {shown}. {_RUNS_URI_FORM}")
    return run_id, uri[len("runs:/") + len(run_id) + 1 :]


def resolve_uri(store: Store, uri: str, dst_path: str | None, copied: bool = False) -> str:
    """`mlrs.artifacts.download_artifacts(artifact_uri)`: a `runs:/` URI is copied (to
    `dst_path` or a temporary directory); a local path or `file:` URI is returned in place, or
    copied when `dst_path` is given. `models:/` URIs are `mlrs.artifacts`' to resolve (through
    the registry and logged models, above this module)."""
    if uri.startswith("runs:"):
        run_id, path = _split_runs_uri(uri)
        return download_run(store, run_id, path, dst_path)
    remote = remote_parent(store, uri)
    if remote is not None:
        parent, name = remote
        if dst_path is None:
            import tempfile

            dst_path = tempfile.mkdtemp()
        return parent.download(name, os.path.abspath(dst_path))
    local = local_artifact_path(uri)
    root, name = os.path.dirname(local), os.path.basename(local)
    if not os.path.lexists(local):
        if dst_path is None and not copied:
            raise _no_such_artifact(name)
        raise MlflowException(
            "The following failures occurred while downloading one or more artifacts from "
            f"{root}:\n##### File {name} #####\nNo such artifact: {name!r}",
            RESOURCE_DOES_NOT_EXIST,
        )
    if dst_path is None:
        return _core.artifact_local_path(root, name)
    return _core.artifact_download(root, name, os.path.abspath(dst_path))


def remote_parent(store: Store, uri: str) -> tuple[_Remote, str] | None:
    """For an artifact URI on a tracking server: its parent as a root, and its last part (as
    MLflow splits the URI it downloads); None for a local URI."""
    if not uri.startswith(("mlflow-artifacts:", "http://", "https://")):
        return None
    from urllib.parse import urlparse

    parsed = urlparse(uri)
    parent = parsed._replace(path=posixpath.dirname(parsed.path)).geturl()
    root = location(store, parent)
    assert isinstance(root, _Remote)
    return root, posixpath.basename(parsed.path)


def list_uri(store: Store, uri: str) -> list[FileInfo]:
    """`mlrs.artifacts.list_artifacts(artifact_uri)`: paths relative to the URI's parent."""
    if uri.startswith("runs:"):
        run_id, path = _split_runs_uri(uri)
        parent = posixpath.dirname(path)
        prefix = f"{posixpath.normpath(parent)}/" if parent else ""
        infos = []
        for info in list_run(store, run_id, path):
            entry_path = info.path
            if prefix and entry_path.startswith(prefix):
                entry_path = entry_path[len(prefix) :]
            infos.append(FileInfo(entry_path, info.is_dir, info.file_size))
        return infos
    remote = remote_parent(store, uri)
    if remote is not None:
        remote_root, name = remote
        return [FileInfo(*entry) for entry in remote_root.list(name or None)]
    local = local_artifact_path(uri)
    root, name = os.path.dirname(local), os.path.basename(local)
    return [FileInfo(*entry) for entry in _core.artifact_list(root, name or None)]


def local_file(store: Store, uri: str) -> str:
    """The local file behind an artifact URI, for `load_text`/`load_dict`/`load_image`
    (read in place: nothing is copied)."""
    if uri.startswith("runs:"):
        run_id, path = _split_runs_uri(uri)
        return _local_path(run_root(store, run_id), path)
    # MLflow copies to a temporary directory first, and reports a missing file that way.
    return resolve_uri(store, uri, None, copied=True)


def not_utf8(uri: str) -> MlflowException:
    return MlflowException(
        f"Artifact {uri!r} is not valid UTF-8. To read a file in another encoding, download it "
        "with `mlflow.artifacts.download_artifacts` and open it with the correct `encoding`.",
        BAD_REQUEST,
    )


# ---- MlflowClient methods ------------------------------------------------------------------


class ArtifactsClientMixin:
    """The artifact methods of `MlflowClient`, with MLflow's signatures."""

    if TYPE_CHECKING:

        @property
        def _store(self) -> Store: ...

        def search_runs(
            self,
            experiment_ids: list[str] | str,
            filter_string: str = "",
            run_view_type: int = 1,
            max_results: int = 1000,
            order_by: list[str] | None = None,
            page_token: str | bytes | None = None,
        ) -> PagedList[Run]: ...

    def log_artifact(self, run_id: str, local_path: Any, artifact_path: str | None = None) -> None:
        """Copies a local file (or directory) under the run's artifact root."""
        _refuse_trace_id(run_id)
        log_artifact_to(self._store, run_id, local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        """Copies the contents of a local directory under the run's artifact root."""
        log_artifacts_to(self._store, run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        log_text_to(self._store, run_id, text, artifact_file)

    def log_dict(self, run_id: str, dictionary: dict[str, Any], artifact_file: str) -> None:
        log_dict_to(self._store, run_id, dictionary, artifact_file)

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> None:
        log_stream_to(self._store, run_id, stream, artifact_file)

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: dict[str, Any] | None = None,
    ) -> None:
        log_figure_to(self._store, run_id, figure, artifact_file, save_kwargs)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        log_image_to(self._store, run_id, image, artifact_file, key, step, timestamp, synchronous)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        log_table_to(self._store, run_id, data, artifact_file)

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: list[str] | None = None,
        extra_columns: list[str] | None = None,
    ) -> Any:
        return load_table_to(self._store, experiment_id, artifact_file, run_ids, extra_columns)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and directories directly under `path` of the run's artifacts, sorted."""
        return list_run(self._store, run_id, path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copies a run's artifact file or directory to `dst_path` (by default a new temporary
        directory) and returns its local path."""
        return download_run(self._store, run_id, path, dst_path)


# ---- fluent API ----------------------------------------------------------------------------


def _target(run_id: str | None) -> tuple[Store, str]:
    """The store and run to log to: `run_id`, else the active run (started when none is)."""
    return _tracking.target(run_id)


def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copies a local file (or directory) under the artifact root of the active run (or
    `run_id`), in `artifact_path` when given."""
    _refuse_trace_id(run_id)
    log_artifact_to(*_target(run_id), local_path, artifact_path)


def _refuse_trace_id(run_id: Any) -> None:
    """MLflow's error for a trace id (its `tr-` prefix) passed where a run id belongs."""
    if isinstance(run_id, str) and run_id.startswith("tr-"):
        raise MlflowException(
            f"Invalid run id: {run_id}. `log_artifact` run id must map to a valid run."
        )


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copies the contents of a local directory under the run's artifact root."""
    log_artifacts_to(*_target(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Writes `text` (UTF-8) to the run-relative `artifact_file`."""
    log_text_to(*_target(run_id), text, artifact_file)


def log_dict(dictionary: dict[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Writes a dict as JSON, or as YAML when `artifact_file` ends in `.yml`/`.yaml`."""
    log_dict_to(*_target(run_id), dictionary, artifact_file)


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Copies a binary file-like object (`.read()`) to `artifact_file`, in chunks."""
    log_stream_to(*_target(run_id), stream, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
) -> None:
    """Saves a matplotlib or plotly figure to `artifact_file` (format from the extension)."""
    log_figure_to(*_target(None), figure, artifact_file, save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = False,
) -> None:
    """Saves a numpy array or PIL image to `artifact_file`, or as step `step` of the image
    series `key` (see `MlflowClient.log_image`)."""
    log_image_to(*_target(None), image, artifact_file, key, step, timestamp, synchronous)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Logs a dict or DataFrame as a `.json` or `.parquet` table, appending to an existing
    one."""
    log_table_to(*_target(run_id), data, artifact_file)


def load_table(
    artifact_file: str, run_ids: list[str] | None = None, extra_columns: list[str] | None = None
) -> Any:
    """The table `artifact_file` across the runs of the current experiment that logged it."""
    experiment_id = _tracking.current_experiment_id()
    return load_table_to(_runtime.get_store(), experiment_id, artifact_file, run_ids, extra_columns)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The artifact root URI of the active run (started when none is), or `artifact_path`
    under it."""
    return artifact_uri(*_target(None), artifact_path)
