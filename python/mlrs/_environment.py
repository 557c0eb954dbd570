"""What a run ran on, recorded next to it: the OS, the Python, the installed packages and the
state of the git checkout (an mlrs extension; MLflow records only the commit).

For each new fluent run, a background thread writes two artifacts,

* ``environment/requirements.txt``: every installed distribution as ``name==version``, sorted;
* ``environment/system.json``: Python, OS, CPU count, the entry-point script and git state;

and sets three summary tags: ``mlrs.env.python``, ``mlrs.env.os`` and, when it can be told,
``mlrs.source.git.dirty`` (``"true"``/``"false"``: tracked files differ from the index).

The caller pays one queue put. Everything is read from files, never from a subprocess or the
network: packages from the ``*.dist-info`` directory names on ``sys.path``, git state from
``.git`` by the Rust engine under a time budget. The snapshot is taken once per process.
``mlrs.flush()`` and interpreter exit wait for pending captures (at exit, for a bounded time).
Off with ``start_run(capture_env=False)`` or ``MLRS_CAPTURE_ENV=0``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading

from mlrs import _context, _log, _runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import Store

ENV_VAR = "MLRS_CAPTURE_ENV"
REQUIREMENTS_FILE = "environment/requirements.txt"
SYSTEM_FILE = "environment/system.json"
PYTHON_TAG = "mlrs.env.python"
OS_TAG = "mlrs.env.os"
GIT_DIRTY_TAG = "mlrs.source.git.dirty"
GIT_BUDGET_S = 2.0
EXIT_WAIT_S = 5.0

_lock = threading.Lock()
_jobs: queue.Queue[tuple[Store, str, str] | None] | None = None
_snapshot: tuple[bytes, bytes, dict[str, str]] | None = None


def enabled(capture_env: bool | None) -> bool:
    """`capture_env` when given, else the `MLRS_CAPTURE_ENV` switch (on unless 0/false/no)."""
    if capture_env is not None:
        return bool(capture_env)
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


def capture(store: Store, run_id: str, artifact_uri: str) -> None:
    """Queues the capture for one run; the background thread starts on first use."""
    global _jobs
    with _lock:
        if _jobs is None:
            _jobs = queue.Queue()
            threading.Thread(target=_work, args=(_jobs,), name="mlrs-env", daemon=True).start()
        _jobs.put((store, run_id, artifact_uri))


def wait(timeout: float | None = None) -> None:
    """Blocks until every queued capture is written (or `timeout` seconds have passed)."""
    jobs = _jobs
    if jobs is None:
        return
    if timeout is None:
        jobs.join()
        return
    done = threading.Event()

    def join() -> None:
        jobs.join()
        done.set()

    threading.Thread(target=join, daemon=True).start()
    done.wait(timeout)


def _work(jobs: queue.Queue[tuple[Store, str, str] | None]) -> None:
    while True:
        job = jobs.get()
        try:
            if job is not None:
                _record(*job)
        except Exception as e:  # never let a capture failure reach the user's run
            _log.logger().debug("Could not record the environment of run %s: %s", job, e)
        finally:
            jobs.task_done()


def _record(store: Store, run_id: str, artifact_uri: str) -> None:
    from mlrs import _artifacts, _core

    requirements, system, tags = _take_snapshot()
    store.log_batch(run_id, [], [], list(tags.items()))
    root = _artifacts.local_artifact_path(artifact_uri)  # refuses remote locations
    _core.artifact_write(root, REQUIREMENTS_FILE, requirements)
    _core.artifact_write(root, SYSTEM_FILE, system)


def _take_snapshot() -> tuple[bytes, bytes, dict[str, str]]:
    global _snapshot
    if _snapshot is None:
        _snapshot = _build_snapshot()
    return _snapshot


def _build_snapshot() -> tuple[bytes, bytes, dict[str, str]]:
    import json

    packages = installed_packages()
    uname = os.uname()
    python = ".".join(str(part) for part in sys.version_info[:3])
    os_text = f"{uname.sysname} {uname.release} {uname.machine}"
    git = git_state()
    system = {
        "python": {
            "version": python,
            "implementation": sys.implementation.name,
            "executable": sys.executable,
        },
        "os": {"system": uname.sysname, "release": uname.release, "machine": uname.machine},
        "cpu_count": os.cpu_count(),
        "entry_point": _entry_point(),
        "git": git,
        "packages": len(packages),
    }
    tags = {PYTHON_TAG: python, OS_TAG: os_text}
    if git.get("dirty") is not None:
        tags[GIT_DIRTY_TAG] = "true" if git["dirty"] else "false"
    lines = "".join(f"{name}=={version}\n" for name, version in sorted(packages.items()))
    return lines.encode(), (json.dumps(system, indent=2) + "\n").encode(), tags


def _entry_point() -> str | None:
    main = sys.argv[0] if sys.argv and sys.argv[0] else None
    if main is None or main == "-c":
        return main
    return os.path.abspath(main)


def installed_packages() -> dict[str, str]:
    """`{name: version}` of the distributions importable from `sys.path`, read from the names of
    their `*.dist-info` / `*.egg-info` directories (no metadata parsing: a few ms for hundreds
    of packages). The first one on `sys.path` wins, as for imports."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        with contextlib.suppress(OSError), os.scandir(entry) as names:
            for item in names:
                stem, dot, suffix = item.name.rpartition(".")
                if not dot or suffix not in ("dist-info", "egg-info"):
                    continue
                name, dash, version = stem.partition("-")
                if not dash or not name or not version:
                    continue
                version = version.split("-", 1)[0]  # egg-info: name-version-pyX.Y
                key = name.lower().replace("_", "-").replace(".", "-")
                if key not in seen:
                    seen.add(key)
                    found[key] = version
    return found


def git_state() -> dict[str, Any]:
    """Commit, branch, remote and dirty flag of the checkout holding the entry point."""
    from mlrs import _core

    main = sys.argv[0] if sys.argv and sys.argv[0] else None
    start = os.path.dirname(os.path.abspath(main)) if main and os.path.isfile(main) else os.getcwd()
    state: dict[str, Any] = {}
    try:
        git_dir, tags = _context.checkout(start)
    except OSError:
        return state
    state["commit"] = tags.get(_context.GIT_COMMIT)
    state["branch"] = tags.get(_context.GIT_BRANCH)
    state["repo_url"] = tags.get(_context.GIT_REPO_URL)
    state["dirty"] = None
    if git_dir is not None:
        state["dirty"] = _core.git_worktree_dirty(git_dir, GIT_BUDGET_S)
    return state


def _forget_after_fork() -> None:
    # The thread does not exist in a forked child; a new one starts on the next capture.
    global _jobs
    _jobs = None


_runtime._exit_callbacks.append(lambda: wait(EXIT_WAIT_S))
_runtime._fork_callbacks.append(_forget_after_fork)
