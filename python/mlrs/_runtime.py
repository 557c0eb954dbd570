"""Process-wide state: the tracking URI, one engine store per database file, and the hooks
that keep data safe at exit, on fork and on SIGTERM."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import weakref

from mlrs import _core
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import FrameType

_TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
_DEFAULT_DB = "mlflow.db"

_FILE_STORE_MESSAGE = (
    "The filesystem tracking backend (e.g., './mlruns') is in maintenance mode and will not "
    "receive further updates. Please migrate to a database backend (e.g., "
    "'sqlite:///mlflow.db') to access the latest MLflow features. The `mlflow "
    "migrate-filestore` tool migrates your existing data losslessly. See "
    "https://mlflow.org/docs/latest/self-hosting/migrate-from-file-store for migration "
    "guidance. If the filesystem backend is required for your workflow, set "
    "`MLFLOW_ALLOW_FILE_STORE=true` to opt out of this exception."
)

_tracking_uri: str | None = None
_ASYNC_ENV = "MLFLOW_ENABLE_ASYNC_LOGGING"
# MLflow's async-logging switch as last read from the environment; the `log_metric` hot path
# reads this flag, every other logging call refreshes it from the environment.
async_flag = False
# Every store open in this process, by database path. Weak: a store lives as long as something
# uses it (the store of the current tracking URI, pinned below; an active run; a client), and
# closes itself (queue committed, writer thread and connections gone) when the last user lets go.
_stores: dict[str, weakref.ref[_core.Store]] = {}
_stores_lock = threading.Lock()
# The store of the tracking URI the process points at, kept open while it points there.
_current: list[_core.Store] = []
# Artifact roots for databases not opened yet (the pytest plugin puts them under tmp_path);
# other stores get `./mlruns` of the working directory, as MLflow does.
_artifact_roots: dict[str, str] = {}
# Databases that are thrown away afterwards (a test's): opened without fsyncs.
_scratch: set[str] = set()
# Stores inherited through fork: their writer thread did not survive, and their locks may be
# held by it, so the child never touches them; they are kept alive only so nothing drops them.
_abandoned: list[_core.Store] = []
# Called before the stores close at exit (the fluent layer ends active runs there).
_exit_callbacks: list[Callable[[], None]] = []
# Called on SIGTERM before the stores flush (the fluent layer ends active runs as KILLED).
_sigterm_callbacks: list[Callable[[], None]] = []
# Called in a forked child (the fluent layer forgets the parent's run stack).
_fork_callbacks: list[Callable[[], None]] = []


def now_ms() -> int:
    """Milliseconds since the epoch, as MLflow stamps runs and metrics."""
    import time

    return int(time.time() * 1000)


def set_tracking_uri(uri: str | Path | None) -> None:
    """Sets the tracking URI for this process and exports it to subprocesses."""
    global _tracking_uri
    if uri is None:
        _tracking_uri = None
        os.environ.pop(_TRACKING_URI_ENV, None)
        _current.clear()
        return
    if not isinstance(uri, str):
        uri = uri.absolute().as_uri()  # a pathlib.Path, as MLflow treats it
    _tracking_uri = uri
    os.environ[_TRACKING_URI_ENV] = uri
    if _current and str(_current[0].path) != _path_or_none(uri):
        # The process no longer points at the old store: it closes once no run uses it.
        _current.clear()


_registry_uri: str | None = None


def set_registry_uri(uri: str) -> None:
    """Sets the model registry URI (mlrs keeps the registry in the tracking database)."""
    global _registry_uri
    _registry_uri = uri
    os.environ["MLFLOW_REGISTRY_URI"] = uri


def get_registry_uri() -> str:
    """`set_registry_uri`, else `MLFLOW_REGISTRY_URI`, else the tracking URI."""
    if _registry_uri is not None:
        return _registry_uri
    return os.environ.get("MLFLOW_REGISTRY_URI") or get_tracking_uri()


def async_logging_enabled() -> bool:
    """`MLFLOW_ENABLE_ASYNC_LOGGING`, parsed as MLflow parses booleans."""
    global async_flag
    value = os.environ.get(_ASYNC_ENV)
    if value is None:
        async_flag = False
    elif value.lower() in ("true", "1", "false", "0"):
        async_flag = value.lower() in ("true", "1")
    else:
        raise ValueError(
            f"{_ASYNC_ENV} value must be one of ['true', 'false', '1', '0'] (case-insensitive), "
            f"but got {value}"
        )
    return async_flag


def _has_legacy_file_store() -> bool:
    """MLflow keeps the old default (`./mlruns` as a file store) when it holds experiments."""
    try:
        with os.scandir("mlruns") as entries:
            return any(
                e.is_dir()
                and e.name.isdigit()
                and os.path.isfile(os.path.join(e.path, "meta.yaml"))
                for e in entries
            )
    except OSError:
        return False


def _default_tracking_uri() -> str:
    if _has_legacy_file_store():
        from pathlib import Path

        return Path(os.path.abspath("mlruns")).as_uri()
    return "sqlite:///" + os.path.join(os.path.abspath(os.getcwd()), _DEFAULT_DB)


def get_tracking_uri() -> str:
    """`set_tracking_uri`, else `MLFLOW_TRACKING_URI`, else `sqlite:///<cwd>/mlflow.db`."""
    if _tracking_uri is not None:
        return _tracking_uri
    return os.environ.get(_TRACKING_URI_ENV) or _default_tracking_uri()


def is_tracking_uri_set() -> bool:
    return _tracking_uri is not None or bool(os.environ.get(_TRACKING_URI_ENV))


def _database_path(uri: str) -> str:
    """The SQLite file a tracking URI names; other URIs get a clear refusal."""
    if uri.startswith("sqlite://"):
        rest = uri[len("sqlite://") :].split("?", 1)[0]
        if rest in ("", "/", "/:memory:"):
            raise MlflowException(
                "mlrs needs a database file; in-memory SQLite URIs are not supported "
                f"(got {uri!r}).",
                INVALID_PARAMETER_VALUE,
            )
        return rest[1:] if rest.startswith("/") else rest
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    is_file_store = scheme in ("", "file") or len(scheme) == 1  # a path, or a drive letter
    if is_file_store and os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() != "true":
        raise MlflowException(_FILE_STORE_MESSAGE, INVALID_PARAMETER_VALUE)
    raise MlflowException(
        f"mlrs supports only SQLite tracking URIs (sqlite:///path/to/mlflow.db) for now; got "
        f"{uri!r}.",
        INVALID_PARAMETER_VALUE,
    )


def _queue_capacity() -> int:
    return int(os.environ.get("MLRS_QUEUE_CAPACITY", "32768"))


def _path_or_none(uri: str) -> str | None:
    try:
        return os.path.abspath(_database_path(uri))
    except MlflowException:
        return None


def get_store(uri: str | None = None) -> _core.Store:
    """The engine store of a tracking URI (the current one by default): one open store per
    file. The current URI's store stays open while the process points at it; any other closes
    when its last user (a run, a client) lets go of it."""
    if uri is None:
        uri = get_tracking_uri()
        current = True
    else:
        # A client of the current URI (every fluent call makes one) pins its store as well.
        current = uri == get_tracking_uri()
    path = os.path.abspath(_database_path(uri))
    ref = _stores.get(path)
    store = ref() if ref is not None else None
    if store is None or store.closed:
        with _stores_lock:
            ref = _stores.get(path)
            store = ref() if ref is not None else None
            if store is None or store.closed:
                root = _artifact_roots.get(path) or os.path.abspath("mlruns")
                store = _core.Store(
                    path, root, queue_capacity=_queue_capacity(), durable=path not in _scratch
                )
                _stores[path] = weakref.ref(store, _forget(path))
                _install_hooks()
    if current and (not _current or _current[0] is not store):
        _current[:] = [store]
    return store


def _forget(path: str) -> Callable[[weakref.ref[_core.Store]], None]:
    def callback(ref: weakref.ref[_core.Store]) -> None:
        if _stores.get(path) is ref:
            del _stores[path]

    return callback


def open_stores() -> list[_core.Store]:
    """The stores open in this process."""
    found = (ref() for ref in list(_stores.values()))
    return [s for s in found if s is not None and not s.closed]


def flush_all() -> None:
    """Waits until everything every store has queued is committed."""
    for store in open_stores():
        store.flush()


def _report_close_failure(path: object, error: Exception) -> None:
    import sys

    print(f"mlrs: closing the tracking store {path}: {error}", file=sys.stderr, flush=True)


def close_store(store: _core.Store) -> bool:
    """Commits what the store has queued and closes it. A failure is reported on stderr with
    what was not stored (never raised: the caller is tearing down); returns False then."""
    try:
        store.close()
    except Exception as e:
        _report_close_failure(store.path, e)
        return False
    return True


def close_all(report: bool = True) -> list[tuple[str, Exception]]:
    """Closes every open store (they reopen on next use) and returns the failures; each store
    closes all the same. With `report`, failures also go to stderr with what was not stored."""
    failures: list[tuple[str, Exception]] = []
    for store in open_stores():
        try:
            store.close()
        except Exception as e:
            failures.append((str(store.path), e))
            if report:
                _report_close_failure(store.path, e)
    _current.clear()
    return failures


def forget_uris() -> None:
    """Undoes `set_tracking_uri` and `set_registry_uri`, their exported variables included
    (a variable the user set to another value is left alone)."""
    global _tracking_uri, _registry_uri
    for value, name in ((_tracking_uri, _TRACKING_URI_ENV), (_registry_uri, "MLFLOW_REGISTRY_URI")):
        if value is not None and os.environ.get(name) == value:
            del os.environ[name]
    _tracking_uri = None
    _registry_uri = None
    _current.clear()


def _close_all() -> None:
    for callback in _exit_callbacks:
        try:
            callback()
        except Exception as e:
            # Ending the run at exit waits for the queue, so a failed commit surfaces here.
            import sys

            print(f"mlrs: at exit: {e}", file=sys.stderr, flush=True)
    close_all()


def _before_fork() -> None:
    # The child inherits the parent's memory, including queued ops it must never write twice:
    # drain them first, so the child starts from a committed database.
    with contextlib.suppress(Exception):
        flush_all()


def _after_fork_in_child() -> None:
    _abandoned.extend(s for s in (ref() for ref in _stores.values()) if s is not None)
    _stores.clear()
    _current.clear()
    for callback in _fork_callbacks:
        callback()


_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_close_all)
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    _install_sigterm_handler()


def _install_sigterm_handler() -> None:
    """On SIGTERM, end active runs as KILLED and commit everything queued, then let the signal
    do what it would have done: the default (terminate) or the handler the user installed.

    Only the main thread can install handlers; a handler that is not Python's (SIG_IGN, or one
    set from C) is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN or previous is None:
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        for callback in _sigterm_callbacks:
            with contextlib.suppress(Exception):
                callback()
        with contextlib.suppress(Exception):
            flush_all()
        if callable(previous):
            previous(signum, frame)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
