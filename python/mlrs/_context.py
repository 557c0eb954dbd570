"""The tags a fluent `start_run` adds on its own: who ran what, from which source, at which
git commit. Read from the environment and the `.git` directory (by the engine, `git.rs`),
without running any program."""

from __future__ import annotations

import contextlib
import functools
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"

_git_cache: dict[str, tuple[str | None, dict[str, str]]] = {}


def _user() -> str:
    username = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if username:
        return username
    # `getpass.getuser`'s order, with its last resort, the password database (a read of
    # /etc/passwd), consulted once per process rather than at every run.
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        username = os.environ.get(name)
        if username:
            return username
    return _account_name()


@functools.cache
def _account_name() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "unknown"


def _main_file() -> str | None:
    return sys.argv[0] if sys.argv and sys.argv[0] else None


def checkout(path: str) -> tuple[str | None, dict[str, str]]:
    """The git directory of the repository holding directory `path` and the git tags of a run
    started there, read by the engine from `.git` (once per path and process)."""
    if path in _git_cache:
        return _git_cache[path]
    from mlrs import _core

    found = _core.git_checkout(path)
    git_dir = None
    tags: dict[str, str] = {}
    if found is not None:
        git_dir, commit, branch, repo_url = found
        if commit:
            tags[GIT_COMMIT] = commit
            if branch:
                tags[GIT_BRANCH] = branch
            if repo_url:
                tags[GIT_REPO_URL] = repo_url
    _git_cache[path] = (git_dir, tags)
    return git_dir, tags


def _git_tags(main_file: str) -> dict[str, str]:
    path = os.path.dirname(os.path.abspath(main_file)) if os.path.isfile(main_file) else main_file
    return checkout(path)[1]


def resolve_tags(user_tags: dict[str, Any]) -> dict[str, Any]:
    """Context tags merged under the user's: default, then git, then `MLFLOW_RUN_CONTEXT`."""
    main_file = _main_file()
    tags: dict[str, Any] = {
        USER: _user(),
        SOURCE_NAME: main_file if main_file is not None else "<console>",
        SOURCE_TYPE: "LOCAL",
    }
    if main_file is not None:
        with contextlib.suppress(OSError):
            tags.update(_git_tags(main_file))
    extra = os.environ.get("MLFLOW_RUN_CONTEXT")
    if extra:
        import json

        tags.update(json.loads(extra))
    tags.update(user_tags)
    return tags
