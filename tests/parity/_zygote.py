"""A process that imports mlflow once and forks a child per script, so the parity suite pays
mlflow's import (seconds) per worker instead of per script.

Protocol (one JSON object per line): the harness writes a request on stdin,
``{"script": ..., "cwd": ..., "env": {...}, "stdout": path, "stderr": path}``; the zygote forks,
replies ``{"pid": N}``, waits for the child and replies ``{"returncode": N}`` (negative for a
signal, as subprocess reports it). The child becomes what ``python <script>`` would have been in
``cwd`` with ``env``: its own ``__main__``, ``sys.argv``, ``sys.path[0]``, standard streams on
the given files, and a normal interpreter exit (atexit handlers, non-daemon threads joined).
"""

from __future__ import annotations

import json
import os
import sys


def _child(request: dict[str, object]) -> None:
    """Turns the forked process into the script's interpreter; ends by raising SystemExit or
    the script's own uncaught exception, so the interpreter exits as `python script` would."""
    import runpy

    os.chdir(str(request["cwd"]))
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, key in ((1, "stdout"), (2, "stderr")):
        out = os.open(str(request[key]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, fd)
        os.close(out)
    script = str(request["script"])
    sys.argv = [script]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


def main() -> None:
    # Replies go to a copy of the original stdout: in a child, fd 1 becomes the script's.
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    requests = os.fdopen(os.dup(0), "r")
    import mlflow  # noqa: F401  (what every child inherits already imported)

    sys.stdout.flush()
    sys.stderr.flush()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            replies.close()
            requests.close()
            _child(request)
            return  # the script ended normally: the interpreter exits with status 0
        replies.write(json.dumps({"pid": pid}) + "\n")
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")


if __name__ == "__main__":
    main()
