"""Process-wide state: the tracking URI, one engine store per database file or tracking server
(the backend is chosen by the URI's scheme), and the hooks that keep data safe at exit, on fork
and on SIGTERM."""

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
    if _current and _current[0].location != _path_or_none(uri):
        # The process no longer points at the old store: it closes once no run uses it.
        _current.clear()


_registry_uri: str | None = None


def set_registry_uri(uri: str | None) -> None:
    """Sets the model registry URI (mlrs keeps the registry in the tracking database) for this
    process and, through `MLFLOW_REGISTRY_URI`, its subprocesses. None (or "") drops what this
    process set, leaving the environment as it is, as MLflow does."""
    global _registry_uri
    _registry_uri = uri
    if uri:
        os.environ["MLFLOW_REGISTRY_URI"] = uri


def get_registry_uri() -> str:
    """`set_registry_uri`, else `MLFLOW_REGISTRY_URI`, else the tracking URI."""
    if _registry_uri:
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


def _remote_uri(uri: str) -> str | None:
    """The normalized server URL of an `http(s)://` tracking URI (or of an `azureml://` one,
    whose token provider it installs), else None."""
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme == "azureml":
        from mlrs import _azureml

        return _azureml.connect(uri)
    if scheme not in ("http", "https"):
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as e:
        raise MlflowException(
            f"Invalid tracking server URI {uri!r}: {e}.", INVALID_PARAMETER_VALUE
        ) from None
    if not parts.hostname:
        raise MlflowException(
            f"Invalid tracking server URI {uri!r}: it names no host.", INVALID_PARAMETER_VALUE
        )
    return uri.rstrip("/")


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
        if not rest.startswith("/"):
            # `sqlite://mlflow.db`: SQLAlchemy reads `mlflow.db` as a host, not a file.
            raise MlflowException(_invalid_sqlite_url(uri), INVALID_PARAMETER_VALUE)
        return rest[1:]
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    is_file_store = scheme in ("", "file") or len(scheme) == 1  # a path, or a drive letter
    if is_file_store and os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() != "true":
        raise MlflowException(_FILE_STORE_MESSAGE, INVALID_PARAMETER_VALUE)
    if scheme.split("+", 1)[0] in _SQLALCHEMY_SCHEMES:
        raise MlflowException(_server_database_message(uri, scheme), INVALID_PARAMETER_VALUE)
    raise MlflowException(
        f"mlrs supports only SQLite tracking URIs (sqlite:///path/to/mlflow.db) for now; got "
        f"{uri!r}.",
        INVALID_PARAMETER_VALUE,
    )


# Databases MLflow reaches through SQLAlchemy, which mlrs reaches through an MLflow server.
_SQLALCHEMY_SCHEMES = ("postgresql", "postgres", "mysql", "mssql", "oracle")


def _invalid_sqlite_url(uri: str) -> str:
    return (
        f"Invalid SQLite URL: {uri}\nValid SQLite URL forms are:\n sqlite:///:memory: (or, "
        "sqlite://)\n sqlite:///relative/path/to/file.db\n sqlite:////absolute/path/to/file.db"
    )


def _server_database_message(uri: str, scheme: str) -> str:
    from urllib.parse import urlsplit

    # The URI without its password: messages end up in logs.
    parts = urlsplit(uri)
    host = parts.hostname or ""
    shown = f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"
    return (
        f"mlrs does not open {scheme} databases itself (got {shown!r}). Serve that database "
        f"with MLflow's tracking server, `mlflow server --backend-store-uri '<your {scheme} "
        "URI>' --host 127.0.0.1 --port 5000`, and point mlrs at the server: "
        "`mlrs.set_tracking_uri('http://127.0.0.1:5000')` (or MLFLOW_TRACKING_URI). For a "
        "local database, use `sqlite:///path/to/mlflow.db`."
    )


def _queue_capacity() -> int:
    return int(os.environ.get("MLRS_QUEUE_CAPACITY", "32768"))


def _path_or_none(uri: str) -> str | None:
    try:
        return os.path.abspath(_database_path(uri))
    except MlflowException:
        return None


def _spool_dir() -> str:
    """Where remote stores keep what is not yet on the server: `MLRS_SPOOL_DIR`, else the
    user's cache directory."""
    configured = os.environ.get("MLRS_SPOOL_DIR")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mlrs", "spool")


def get_store(uri: str | None = None) -> _core.Store:
    """The engine store of a tracking URI (the current one by default): one open store per
    file or server (`sqlite:` URIs open the SQLite store, `http(s):` ones the remote store).
    The current URI's store stays open while the process points at it; any other closes when
    its last user (a run, a client) lets go of it."""
    if uri is None:
        uri = get_tracking_uri()
        current = True
    else:
        # A client of the current URI (every fluent call makes one) pins its store as well.
        current = uri == get_tracking_uri()
    remote = _remote_uri(uri)
    key = remote if remote is not None else os.path.abspath(_database_path(uri))
    ref = _stores.get(key)
    store = ref() if ref is not None else None
    if store is None or store.closed:
        with _stores_lock:
            ref = _stores.get(key)
            store = ref() if ref is not None else None
            if store is None or store.closed:
                if remote is None:
                    # A missing parent directory is created, as MLflow creates it for SQLite.
                    os.makedirs(os.path.dirname(key), exist_ok=True)
                root = _artifact_roots.get(key) or os.path.abspath("mlruns")
                store = _core.Store.open(
                    remote if remote is not None else "sqlite:///" + key,
                    root,
                    queue_capacity=_queue_capacity(),
                    spool_dir=_spool_dir() if remote is not None else None,
                    durable=key not in _scratch,
                )
                _stores[key] = weakref.ref(store, _forget(key))
                _install_hooks()
                _close_at_multiprocessing_exit()
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


_finalizer_registered = False


def _close_at_multiprocessing_exit() -> None:
    """A `multiprocessing` child ends through `os._exit` (with the fork start method): atexit
    never runs there, but multiprocessing's own exit finalizers do, so the stores are closed
    from one of those too. Registered when a child opens its first store, which is after
    multiprocessing cleared the finalizers it inherited; harmless where atexit also runs."""
    global _finalizer_registered
    if _finalizer_registered:
        return
    import sys

    util = sys.modules.get("multiprocessing.util")
    process = sys.modules.get("multiprocessing.process")
    if util is None or process is None or process.parent_process() is None:
        return
    util.Finalize(None, _close_all, exitpriority=0)
    _finalizer_registered = True


def flush_all() -> None:
    """Waits until everything every store has queued is committed."""
    for store in open_stores():
        store.flush()


# How long exit spends committing what was queued, over all stores together; what is left
# then is reported on stderr as not stored (a disk that stays full must not hang exit).
EXIT_WAIT_S = 5.0


def _exit_wait_s() -> float:
    try:
        return float(os.environ.get("MLRS_EXIT_TIMEOUT", EXIT_WAIT_S))
    except ValueError:
        return EXIT_WAIT_S


def close_store(store: _core.Store) -> bool:
    """Commits what the store has queued and closes it. A failure is reported on stderr with
    what was not stored (never raised: the caller is tearing down); returns False then."""
    left, failure = store.close(_exit_wait_s())
    _report_unstored(store.location, left, failure, "when it closed")
    return not left and failure is None


def close_all(report: bool = True) -> list[tuple[str, Exception]]:
    """Closes every open store (they reopen on next use) and returns the failures; each store
    closes all the same. With `report`, failures also go to stderr with what was not stored."""
    failures: list[tuple[str, Exception]] = []
    for store in open_stores():
        path = store.location
        left, failure = store.close(_exit_wait_s())
        if report:
            _report_unstored(path, left, failure, "when it closed")
        if failure is not None:
            failures.append((path, MlflowException(failure)))
        if left:
            failures.append((path, MlflowException(f"{left} queued write(s) were not stored")))
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
    """At exit: end runs, then close every store: new writes are refused from then on, what
    was queued is committed within the exit budget, and whatever was not stored is said on
    stderr. Safe to run twice (a multiprocessing finalizer and atexit both call it)."""
    for callback in _exit_callbacks:
        try:
            callback()
        except Exception as e:
            # Ending the run at exit waits for the queue, so a failed commit surfaces here.
            import sys

            print(f"mlrs: at exit: {e}", file=sys.stderr, flush=True)
    _close_stores_before_exit()


def _close_stores_before_exit() -> None:
    """Closes every open store within the exit budget, saying on stderr what was not stored."""
    import time

    deadline = time.monotonic() + _exit_wait_s()
    for store in open_stores():
        path = store.location
        try:
            left, failure = store.close(max(0.0, deadline - time.monotonic()))
        except Exception as e:  # exit reports, it never raises
            left, failure = 0, str(e)
        _report_unstored(path, left, failure, "before exit")


def _report_unstored(path: str, left: int, failure: str | None, when: str) -> None:
    import sys

    with contextlib.suppress(Exception):
        if failure is not None:
            print(f"mlrs: a write to {path} failed and was not stored: {failure}", file=sys.stderr)
        if left:
            print(
                f"mlrs: {left} queued write(s) to {path} were not stored {when} "
                f"(waited up to {_exit_wait_s():g} s; MLRS_EXIT_TIMEOUT sets the limit)",
                file=sys.stderr,
            )


def _before_fork() -> None:
    # The child inherits the parent's memory, including queued ops it must never write twice:
    # drain them first, so the child starts from a committed database.
    with contextlib.suppress(Exception):
        flush_all()
    # Then hold every thread out of SQLite across the fork: a lock SQLite holds at the fork
    # instant would stay held in the child for good (its holder does not exist there).
    _core.fork_pause()


def _after_fork_in_parent() -> None:
    _core.fork_resume()


def _after_fork_in_child() -> None:
    global _stores_lock
    _core.fork_resume()
    _abandoned.extend(s for s in (ref() for ref in _stores.values()) if s is not None)
    _stores.clear()
    _current.clear()
    # A parent thread may have held the lock at the fork; it does not exist here to release it.
    _stores_lock = threading.Lock()
    global _finalizer_registered
    _finalizer_registered = False
    for callback in _fork_callbacks:
        callback()


_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_close_all)
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
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
            # The process ends without atexit: close the stores now, so what was not stored is
            # said (a remote store names what it leaves in its spool).
            _close_stores_before_exit()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
