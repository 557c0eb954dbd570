"""The tags a fluent `start_run` adds on its own: who ran what, from which source, at which
git commit. Read from the environment and the `.git` directory, without running any program."""

from __future__ import annotations

import contextlib
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

_git_cache: dict[str, dict[str, str]] = {}


def _user() -> str:
    username = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if username:
        return username
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "unknown"


def _main_file() -> str | None:
    return sys.argv[0] if sys.argv and sys.argv[0] else None


def _find_git_dir(start: str) -> str | None:
    """The `.git` directory of the repository holding `start` (following `gitdir:` files)."""
    path = os.path.abspath(start)
    while True:
        candidate = os.path.join(path, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                line = f.readline().strip()
            if line.startswith("gitdir:"):
                return os.path.normpath(os.path.join(path, line[len("gitdir:") :].strip()))
            return None
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def _resolve_ref(common_dir: str, git_dir: str, ref: str) -> str | None:
    for base in (git_dir, common_dir):
        loose = _read(os.path.join(base, ref))
        if loose:
            return loose.strip()
    packed = _read(os.path.join(common_dir, "packed-refs")) or ""
    for line in packed.splitlines():
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1].strip() == ref:
            return parts[0]
    return None


def _first_remote_url(common_dir: str) -> str | None:
    import re

    config = _read(os.path.join(common_dir, "config")) or ""
    in_remote = False
    for raw in config.splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_remote = re.match(r'\[remote\s+"[^"]*"\]', line) is not None
        elif in_remote and line.split("=", 1)[0].strip() == "url" and "=" in line:
            return line.split("=", 1)[1].strip()
    return None


def _strip_credentials(url: str) -> str:
    import re

    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1", url)


def _git_tags(main_file: str) -> dict[str, str]:
    path = os.path.dirname(os.path.abspath(main_file)) if os.path.isfile(main_file) else main_file
    if path in _git_cache:
        return _git_cache[path]
    tags: dict[str, str] = {}
    git_dir = _find_git_dir(path) if os.path.isdir(path) else None
    if git_dir is not None:
        common = _read(os.path.join(git_dir, "commondir"))
        common_dir = os.path.normpath(os.path.join(git_dir, common.strip())) if common else git_dir
        head = (_read(os.path.join(git_dir, "HEAD")) or "").strip()
        branch = None
        if head.startswith("ref:"):
            ref = head[4:].strip()
            commit = _resolve_ref(common_dir, git_dir, ref)
            branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else None
        else:
            commit = head or None
        if commit:
            tags[GIT_COMMIT] = commit
            if branch:
                tags[GIT_BRANCH] = branch
            url = _first_remote_url(common_dir)
            if url:
                tags[GIT_REPO_URL] = _strip_credentials(url)
    _git_cache[path] = tags
    return tags


def resolve_tags(user_tags: dict[str, Any]) -> dict[str, Any]:
    """Context tags merged under the user's: default, then git, then `MLFLOW_RUN_CONTEXT`."""
    main_file = _main_file()
    tags: dict[str, Any] = {
        USER: _user(),
        SOURCE_NAME: main_file if main_file is not None else "<console>",
        SOURCE_TYPE: "LOCAL",
    }
    if main_file is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            tags.update(_git_tags(main_file))
    extra = os.environ.get("MLFLOW_RUN_CONTEXT")
    if extra:
        import json

        tags.update(json.loads(extra))
    tags.update(user_tags)
    return tags
